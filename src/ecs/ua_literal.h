/* What a user-agent pattern's syntax proves: literals of which every match
 * contains one, so that a pattern whose literals are all absent from an agent
 * is not run (nor compiled) for it, and whether PCRE2 certainly compiles it, so that its
 * compilation can wait for its first use. Pure functions, thread-safe. */
#ifndef TH_ECS_UA_LITERAL_H
#define TH_ECS_UA_LITERAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TH_UA_LITERAL_MAX 32

/* At most this many literals of which a match contains one (an alternation
 * of more requires nothing we keep). */
#define TH_UA_ALTS_MAX 256

typedef struct th_ua_lit {
    char s[TH_UA_LITERAL_MAX]; /* not NUL-terminated */
    uint8_t n;
} th_ua_lit;

/* Literals of which every match of `pattern` (PCRE2 syntax, compiled with UTF
 * and, when caseless, PCRE2_CASELESS) contains at least one, into out;
 * returns how many, 0 when nothing is certain. One literal is a run of plain
 * characters the pattern requires; several come from an alternation whose
 * every branch requires one (`(iPod|iPhone|iPad)`). Of the requirements the
 * syntax proves, the one kept has the longest shortest literal, then the
 * fewest. Caseless: the literals are in lower case and are to be looked for
 * in the agent with its ASCII letters lowered. */
size_t th_ua_literals(const char *pattern, bool caseless, th_ua_lit out[TH_UA_ALTS_MAX]);

/* Whether PCRE2 (10.42, UTF, caseless or not) certainly compiles `pattern`:
 * true only for the plainest syntax (characters, escaped punctuation, \d \w
 * \s and their negations, \b \B, `.`, simple classes and ranges, groups and
 * (?: groups, `|`, `^`, `$`, ? * + and small {n,m} after one character), so
 * that compiling it can wait for its first use with no error to report. */
bool th_ua_pattern_plain(const char *pattern);

#endif
