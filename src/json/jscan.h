/* On-demand JSON scanner: a SIMD structural index (stage 1), a light tape that
 * pairs every container with its end (stage 2), and cursors that look fields up
 * without building a DOM.
 *
 * Stage 1 finds, for a buffer p[0..n) holding one JSON value, the byte offsets
 * of every bracket { } [ ] outside strings, of the opening quote of every
 * string, and of the first byte of every scalar token (a run of bytes outside
 * strings that are not whitespace, brackets, ':', ',' or quotes). The
 * separators ':' and ',' are not indexed (stage 2 reads them where it expects
 * one): nearly half the entries of minified text, and the cost of writing and
 * reading them. Between a token and the next index entry only whitespace, ':'
 * and ',' can sit, so a string ends at the last quote before the next entry.
 * Backslash runs are resolved as in JSON: a
 * backslash escapes the next byte unless it is itself escaped (outside strings
 * too, so the index is defined for any bytes). Four implementations produce the
 * same index: AVX-512 (BW, VBMI, VBMI2 +PCLMUL, BMI1, POPCNT; masks straight from
 * compares, positions by byte compress), AVX2 (+PCLMUL, BMI1, POPCNT; 64-byte
 * blocks), SSE4.2 (+POPCNT; SSSE3 shuffles, no PCLMUL) and portable scalar; each
 * scanner starts with the best one the CPU has (override:
 * TH_JSCAN=scalar|sse|avx2|avx512 in the environment, or th_jscan_use). The SIMD code never reads
 * past p[n-1]: the last partial block is copied into a space-padded stack buffer.
 *
 * Stage 2 validates STRUCTURE: balanced and correctly nested brackets, key ':'
 * value ',' placement, string termination, depth <= TH_MAX_JSON_DEPTH, the exact
 * literals true/false/null, the full number grammar (as th_json_parse), bytes
 * outside strings, and nothing but whitespace after the value. Errors give a
 * byte offset and a static reason; for text whose strings are well-formed, the
 * verdict, offset and reason equal th_json_parse's.
 * NOT validated by th_jscan_load: string CONTENTS (UTF-8 validity, raw control
 * characters, escape sequences such as \q or bad \u hex), so it accepts some
 * text th_json_parse rejects, never the reverse. th_jcur_str rejects bad escapes
 * of the string it decodes; th_jcur_to_jval validates everything it builds: its
 * tree is exactly th_json_parse's, and when it fails on the root the offset and
 * reason are those th_json_parse reports.
 *
 * Ownership: a th_jscan owns its index, tape and scratch buffers; they are grown
 * when a larger record arrives and reused afterwards (no allocation per record
 * once warm). The scanner BORROWS the loaded text: it must stay alive and
 * unchanged until the next th_jscan_load or th_jscan_free. Cursors (th_jcur,
 * th_jiter) are plain values valid until the next load. Strings returned by
 * th_jcur_raw/th_jcur_str point into the text (zero copy) or into the arena given.
 *
 * Thread safety: a scanner belongs to one thread at a time; distinct scanners may
 * be used concurrently (no global mutable state). */
#ifndef TH_JSON_JSCAN_H
#define TH_JSON_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/str.h"
#include "json/json.h"

typedef struct th_jscan th_jscan;

typedef enum th_jscan_impl {
    TH_JSCAN_AUTO = 0, /* best available (or $TH_JSCAN) */
    TH_JSCAN_SCALAR,
    TH_JSCAN_SSE,
    TH_JSCAN_AVX2,
    TH_JSCAN_AVX512,
} th_jscan_impl;

th_jscan *th_jscan_new(void);
void th_jscan_free(th_jscan *s);
/* Selects the stage-1 implementation of this scanner; false (and no change) if the
 * CPU or build lacks it. TH_JSCAN_AUTO picks the best. */
bool th_jscan_use(th_jscan *s, th_jscan_impl impl);
th_jscan_impl th_jscan_impl_of(const th_jscan *s);
const char *th_jscan_impl_name(th_jscan_impl impl); /* "scalar", "sse", "avx2", "avx512" */
/* Whether this CPU/build can run impl. */
bool th_jscan_supported(th_jscan_impl impl);

/* Indexes and checks one JSON value in p[0..n) (whitespace around it allowed).
 * On failure returns false and fills *err (may be NULL); cursors are then unusable
 * but th_jscan_index still shows the stage-1 index. n must be < 4 GiB - 64. */
bool th_jscan_load(th_jscan *s, const char *p, size_t n, th_json_error *err);
/* th_jscan_load of an NDJSON line, its end found in the same pass: the
 * line that starts at p ends at the first '\n' of p[0..avail); *nl is set to
 * its index and *n to the line's length less the whitespace before it, and
 * p[0..*n) is loaded as th_jscan_load would (the result, false for text it
 * rejects). *nl is SIZE_MAX, and nothing loaded, when no '\n' is found within
 * the scanner's reach (what its index holds: 16 K bytes at least, or the
 * longest text loaded): the caller then finds the line's end itself. */
bool th_jscan_load_line(th_jscan *s, const char *p, size_t avail, size_t *n, size_t *nl);
/* Whether the text of the last load holds a backslash anywhere (stage 1
 * finds them anyway). False: every key and string is its raw bytes, so
 * callers can skip looking for escapes themselves. */
bool th_jscan_has_backslash(const th_jscan *s);
/* Whether the text of the last load holds a byte < 0x20 (a control character,
 * or tab, CR, LF between tokens) or >= 0x80 (UTF-8) anywhere (stage 1 sees
 * every byte anyway). False together with th_jscan_has_backslash false: every
 * string is printable ASCII without escapes, valid as it is. */
bool th_jscan_has_ctl_high(const th_jscan *s);
/* Whether the text of the last load holds an '@' anywhere (stage 1 sees
 * every byte anyway). False: no key starts as "@timestamp" does, which io's
 * classifier would otherwise learn by walking a record's keys. */
bool th_jscan_has_at(const th_jscan *s);
/* The stage-1 index of the last load (byte offsets, ascending). For tests. */
const uint32_t *th_jscan_index(const th_jscan *s, size_t *count);

/* A value on the tape of a loaded scanner. */
typedef struct th_jcur {
    const th_jscan *s;
    uint32_t i;
} th_jcur;

th_jcur th_jscan_root(const th_jscan *s);
/* Makes c (a value on s's tape) what th_jscan_root gives, until the next
 * load: the tape of a container stands for one of its elements, without
 * scanning the element again. The text flags (th_jscan_has_backslash,
 * th_jscan_has_ctl_high, th_jscan_has_at) stay the whole text's: false holds
 * for the element too, true may not. */
void th_jscan_set_root(th_jscan *s, th_jcur c);
/* Loads s as th_jscan_load(s, text, th_jcur_raw(c).n) would, where `text`
 * is a copy of c's bytes (th_jcur_raw(c)) and c a value on another loaded
 * scanner (only read; or s itself): c's part of that tape is copied, moved to
 * the copy's offsets, instead of scanning the text again. For a thread that takes a
 * record out of a container indexed elsewhere, with the text it keeps. The
 * text flags are c's scanner's (as th_jscan_set_root: false holds, true may
 * not) and th_jscan_index is empty. */
void th_jscan_load_copy(th_jscan *s, th_jcur c, const char *text);
th_jtype th_jcur_type(th_jcur c);
/* Member of an object by decoded key; the LAST duplicate wins (as th_jobj_get).
 * False if c is not an object or has no such key. Keys without backslashes are
 * compared on raw bytes; keys with escapes are decoded first. */
bool th_jcur_get(th_jcur obj, const char *key, size_t klen, th_jcur *out);
/* Nested lookup through objects only: "a.b.c" is obj.a.b.c. */
bool th_jcur_path(th_jcur obj, const char *dotted, th_jcur *out);
/* The exact source bytes of the value (quotes included for strings). */
th_str th_jcur_raw(th_jcur c);
/* Decoded text of a string value: a zero-copy slice when it has no escapes, else
 * unescaped into a (\uXXXX and surrogate pairs as th_json_parse; a NUL is added
 * after the text). False if c is not a string or holds an invalid escape. String
 * contents are otherwise not validated (see above). */
bool th_jcur_str(th_jcur c, th_arena *a, th_str *out);
/* One value on a scanner's tape: its first byte (quote, bracket or scalar
 * start), the offset past its last byte, and the number of nodes in its
 * subtree, itself included (1 for a string or scalar; not written for an
 * object's keys). Public for th_jplain_str only. */
typedef struct th_jnode {
    uint32_t pos, end, size;
} th_jnode;
/* The text and tape of s's last load where the text holds no backslash (then
 * every string is its raw bytes), else both NULL. Valid until the next load. */
typedef struct th_jscan_plain {
    const unsigned char *p;
    const th_jnode *tape;
} th_jscan_plain;
th_jscan_plain th_jscan_plain_of(const th_jscan *s);
/* th_jcur_str of c, a cursor on the scanner v was taken from (v.p not NULL),
 * in line: a caller reading many strings of a record saves the call and the
 * registers it spills (b100k with the pack: 1.18 M strings of the slot fill,
 * ~37 instructions each with the call). */
static inline bool th_jplain_str(th_jscan_plain v, th_jcur c, th_str *out)
{
    const th_jnode *t = &v.tape[c.i];
    if (v.p[t->pos] != '"')
        return false;
    *out = th_str_make((const char *)v.p + t->pos + 1, t->end - t->pos - 2);
    return true;
}
/* Items of an array / members of an object (c must be one; else count 0). */
uint32_t th_jcur_count(th_jcur c);

/* Iteration: for objects *key gets the member's key (a string cursor), for arrays
 * key may be NULL and is left alone. */
typedef struct th_jiter {
    const th_jscan *s;
    uint32_t k, end;
    bool obj;
} th_jiter;
th_jiter th_jcur_iter(th_jcur c);
bool th_jiter_next(th_jiter *it, th_jcur *key, th_jcur *val);

/* A set of raw keys compiled for th_jcur_members_find: a filter on their
 * lengths and a perfect hash of the keys into TH_JKEYS_BUCKETS buckets, so that
 * a member costs a length test and, when that passes, one hash and one key
 * comparison. Built once by th_jkeys_build, read-only afterwards (shareable
 * between threads). The key texts are borrowed: they must outlive the set. */
#define TH_JKEYS_MAX 32
#define TH_JKEYS_BUCKETS 128
typedef struct th_jkeys {
    uint64_t lens;  /* bit (n + 2) % 64: some key is n bytes long (n + 2 with its quotes) */
    uint64_t seed;  /* the hash's multiplier */
    bool prefix;    /* the hash reads a key's first word only (jscan.c key_word) */
    /* the key hashed there, 1 + its index below; 0: none, whose entry 0 has
     * a length no key has (UINT32_MAX), so that an empty bucket fails the
     * length compare a key's would make, without a test of its own */
    uint8_t bucket[TH_JKEYS_BUCKETS];
    const char *name[TH_JKEYS_MAX + 1];
    uint32_t quoted[TH_JKEYS_MAX + 1]; /* the key's length with its two quotes */
    int id[TH_JKEYS_MAX + 1];
    uint32_t at[TH_JKEYS_MAX + 1]; /* id * sizeof(th_jcur): the found entry's offset */
} th_jkeys;
/* Compiles n (<= TH_JKEYS_MAX) distinct keys name[i][0..len[i]) with their
 * ids; false when n is too large or no perfect hash was found (keys repeat).
 * n may be 0: no member matches. */
bool th_jkeys_build(th_jkeys *ks, size_t n, const char *const *name, const size_t *len,
                    const int *id);
/* For every member of object obj whose raw key (between its quotes, not
 * decoded) equals key i of ks: found[id[i]] = its value, have[id[i]] = true; in
 * order, so the last duplicate wins (as th_jcur_get). Nothing when obj is not
 * an object. Keys with escapes are compared raw: a caller that must decode
 * them checks th_jscan_has_backslash first. */
void th_jcur_members_find(th_jcur obj, const th_jkeys *ks, th_jcur *found, bool *have);

/* Returns false to end the walk there. */
typedef bool (*th_jcur_member_fn)(void *ctx, th_str raw_key, th_jcur val);
/* Calls fn for every member of object obj whose raw key (between its quotes,
 * not decoded) is not empty and starts with a byte b whose bit is set in
 * first[b >> 6] (bit b & 63); in order, until fn returns false. For a caller
 * that looks for a few keys by their first byte (a key with escapes may start
 * with a backslash: add it to the set to see those). fn may change first[]
 * (through its context): each member is tested against the set as it is
 * then, so that a caller can narrow its look as it learns. */
void th_jcur_members_first(th_jcur obj, const uint64_t first[4], th_jcur_member_fn fn, void *ctx);
/* Whether a member of object obj after the one whose value is `val` (a member
 * of obj, as th_jcur_members_first gives it) has a raw key whose byte b after
 * its opening quote (the closing one for the empty key) has first[b] set. For
 * a walk ended early that asks only whether a later key may be one it looks
 * for: a loop with no call and one load a member. */
bool th_jcur_members_after(th_jcur obj, th_jcur val, const bool first[256]);

/* Builds the th_jval tree of the subtree at c in arena a, validating string
 * contents; the result equals th_json_parse's tree for the same bytes. NULL and
 * *err (absolute offset in the loaded text) on invalid string contents. */
th_jval *th_jcur_to_jval(th_jcur c, th_arena *a, th_json_error *err);

#endif
