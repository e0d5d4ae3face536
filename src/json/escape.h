/* JSON string escapes, decoded once for both readers (reader.c's DOM parser
 * and jscan.c's on-demand cursors). Internal to json/.
 *
 * th_json_unescape decodes the string body s[b..e) (between the quotes) into
 * o, which must have room for e - b + 1 bytes (decoding never lengthens, and a
 * NUL is added); *w gets the length. \uXXXX pairs become one code point; a
 * lone surrogate becomes U+FFFD. On a bad escape it returns false and, when
 * err is not NULL, sets err->offset (an index into s) and err->reason; s[0..n)
 * bounds the \u digits. Pure function, thread-safe. */
#ifndef TH_JSON_ESCAPE_H
#define TH_JSON_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"

bool th_json_unescape(const unsigned char *s, size_t n, size_t b, size_t e, char *o, size_t *w,
                      th_json_error *err);

/* Index of the first byte in p[i..n) that a JSON string written out must
 * escape (a byte < 0x20, '"' or a backslash), or n. th_json_escape_scan uses
 * SSE2 where the build has it (every x86-64: 16 bytes a step), else
 * th_json_escape_scan_words (8 bytes a step in plain 64-bit words); both give
 * the same answer for every input (tests/json/test_escape.c). Pure functions. */
size_t th_json_escape_scan(const unsigned char *p, size_t i, size_t n);
size_t th_json_escape_scan_words(const unsigned char *p, size_t i, size_t n);

#endif
