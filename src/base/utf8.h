/* UTF-8 validation and encoding shared by the JSON reader, the TOML lexer and the
 * query lexers, so that all accept exactly the same byte sequences (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF) and encode escapes alike.
 *
 * Ownership: pure functions over caller-owned bytes; nothing is allocated.
 * Thread safety: no state; safe from any thread. */
#ifndef TH_BASE_UTF8_H
#define TH_BASE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Why a sequence was rejected; callers that report errors word them per kind. */
typedef enum th_utf8_status {
    TH_UTF8_OK = 0,
    TH_UTF8_BAD_LEAD,     /* byte cannot start a sequence (0x80-0xC1, 0xF5-0xFF) */
    TH_UTF8_TRUNCATED,    /* fewer bytes left than the lead byte announces */
    TH_UTF8_BAD_CONT,     /* a continuation byte is not 10xxxxxx */
    TH_UTF8_OVERLONG,     /* code point encoded with more bytes than needed */
    TH_UTF8_BAD_CODEPOINT /* surrogate (U+D800-U+DFFF) or above U+10FFFF */
} th_utf8_status;

/* Decodes the sequence at s[0..avail) (avail >= 1). On TH_UTF8_OK sets *len to its
 * length (1-4) and *cp to the code point; on TH_UTF8_BAD_CODEPOINT *cp holds the
 * decoded value for the message; otherwise *len and *cp are unspecified. */
th_utf8_status th_utf8_decode(const unsigned char *s, size_t avail, size_t *len, uint32_t *cp);

/* Encodes code point cp (at most U+10FFFF) into out; returns the length (1-4). */
size_t th_utf8_encode(uint32_t cp, char out[4]);

#endif
