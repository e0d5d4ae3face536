/* Internal to io/: a structural JSON scanner that finds where values begin and
 * end without building anything, so each record of a container can be parsed
 * (and reported) on its own, with its exact source bytes and offset.
 *
 * It checks only what it needs to find boundaries: strings, bracket matching,
 * nesting depth. Full validation is th_json_parse's job on each record.
 * Thread safety: pure functions. */
#ifndef TH_IO_SCAN_H
#define TH_IO_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "json/jscan.h"

typedef struct th_io_scan_err {
    size_t at;          /* byte offset (same base as the positions given) */
    const char *reason; /* static string */
} th_io_scan_err;

static inline bool th_io_is_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* First index >= i in s[0..n) that is not JSON whitespace (n if none). */
size_t th_io_skip_ws(const char *s, size_t n, size_t i);

/* Skips the JSON value starting at s[i] (no leading whitespace). Returns the
 * index just past it, or 0 with *err filled (a value never ends at 0). */
size_t th_io_skip_value(const char *s, size_t n, size_t i, th_io_scan_err *err);

/* Iterates the elements of an array. `pos` starts just past the '['. */
typedef struct th_io_arr {
    size_t pos;
    bool started, done;
} th_io_arr;

/* Next element: 1 with [*start, *end) set, 0 after the closing ']' (pos is then
 * just past it), -1 on a structural error (*err filled; stop iterating). */
int th_io_arr_next(const char *s, size_t n, th_io_arr *it, size_t *start, size_t *end,
                   th_io_scan_err *err);
/* Like th_io_arr_next but stops at the element's first byte (*start) without
 * scanning it: the caller parses it and then sets it->pos past its end. */
int th_io_arr_begin(const char *s, size_t n, th_io_arr *it, size_t *start, th_io_scan_err *err);

/* For an object starting at s[i] == '{' whose members the scanner walks: finds
 * the member `key` whose value is an array. Returns the index of its '[' or 0.
 * Only the top level of the object is looked at. */
size_t th_io_find_array_member(const char *s, size_t n, size_t i, const char *key);

/* If the object at s[i] == '{' starts with the member `"Records": [` (as AWS
 * writes S3 log files), returns the index of the '['; else 0. Cheap: looks at
 * the first key only. */
size_t th_io_records_first(const char *s, size_t n, size_t i);

/* After a container array that is a member of an object ended at `pos`, skips
 * the object's remaining members. Returns the index just past
 * its '}', or 0 with *err filled. With `key` set, it stops at a further member
 * of that name whose value is an array (a duplicate "Records"): *arr and the
 * return value are then the index of its '['. */
size_t th_io_finish_object(const char *s, size_t n, size_t pos, const char *key, size_t *arr,
                           th_io_scan_err *err);

/* What a parsed top-level JSON value is, for record selection. */
typedef enum th_io_class {
    TH_IO_CLOUDTRAIL, /* an object with eventVersion, eventTime, eventSource or eventName */
    TH_IO_ECS,        /* an object with @timestamp and an `event` object or `event.*` keys */
    TH_IO_CONTAINER,  /* an object (not an event) with a `Records` array */
    TH_IO_DIGEST,     /* a CloudTrail digest (digestStartTime and digestEndTime) */
    TH_IO_OTHER,      /* anything else */
} th_io_class;

struct th_jval;
th_io_class th_io_classify(const struct th_jval *v);
/* The same classification from a loaded scanner's root cursor, whose text the
 * caller has validated (keys with escapes are decoded into `a`). */
th_io_class th_io_classify_scan(th_jcur root, th_arena *a);

#endif
