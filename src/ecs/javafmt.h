/* Java's textual forms, as the Elastic ingest pipeline produces and reads them:
 * java.util.HashMap/ArrayList toString() of a JSON tree parsed by the `json`
 * processor (SEMANTICS.md 8.5), Double.toString, String.hashCode, and the
 * Elasticsearch date formats the pipeline's `date` processors name
 * (javadate.c).
 *
 * Ownership: pure functions; output is appended to the caller's buffer.
 * Thread safety: reentrant. */
#ifndef TH_ECS_JAVAFMT_H
#define TH_ECS_JAVAFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/str.h"
#include "json/json.h"

/* String.hashCode over the UTF-16 code units of the UTF-8 text s. */
int32_t th_java_string_hash(th_str s);

/* HashMap table size after inserting n distinct keys into `new HashMap<>()`
 * (16, doubled whenever size exceeds 0.75 * capacity). */
uint32_t th_java_hashmap_capacity(uint32_t n);

/* Double.toString(d) (shortest round-trip digits; "1.0", "1.0E10", "1.0E-5"). */
void th_java_double(th_buf *out, double d);

/* Java form of one JSON number as the json processor types it: Integer/Long/
 * BigInteger printed plainly, anything with a fraction or exponent as Double. */
void th_java_number(th_buf *out, th_str text);

/* Map.toString() of an object / ArrayList.toString() of an array / the value's
 * toString() otherwise. `cap_hint` gives, per object node, the number of keys
 * the map had when it was built (before entries were dropped): the table size
 * depends on it. Pass NULL to use the current member count. The callback is
 * asked for every object. */
typedef uint32_t (*th_java_keycount_fn)(const th_jval *obj, void *ctx);
void th_java_tostring(th_buf *out, const th_jval *v, th_java_keycount_fn keycount, void *ctx);

/* Members of obj in java.util.HashMap iteration order for a table built by
 * inserting `nkeys_built` keys (>= obj->len): writes obj->len indexes into
 * order[]. */
void th_java_hashmap_order(const th_jval *obj, uint32_t nkeys_built, uint32_t *order);

/* The date formats named by the cloudtrail pipeline's `date` processors, as
 * Elasticsearch defines them (java.time, strict; javadate.c has the grammar). */
typedef enum th_java_datefmt {
    TH_JDATE_ISO8601,                   /* "ISO8601": yyyy[-MM[-dd]]['T'[HH[:mm[:ss[.f]]]][zone]] */
    TH_JDATE_BASIC_DATE_TIME_NO_MILLIS, /* yyyyMMdd'T'HHmmssZ */
    TH_JDATE_BASIC_DATE_TIME,           /* yyyyMMdd'T'HHmmss.SSSZ */
} th_java_datefmt;

/* Parses s[0..n) in one format; the instant in epoch ms (sub-millisecond
 * digits dropped, a missing zone = UTC, the processor's default timezone).
 * False when the format does not accept the text. */
bool th_java_date_parse(th_java_datefmt fmt, const char *s, size_t n, int64_t *out_ms);
/* The name the pipeline uses for fmt ("ISO8601", "basic_date_time", ...). */
const char *th_java_datefmt_name(th_java_datefmt fmt);

#endif
