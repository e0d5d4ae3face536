/* What a user-agent pattern's syntax proves: requirements that every match
 * meets, each a set of literals one of which the match contains, so that a
 * pattern with a requirement the agent does not meet is not run (nor
 * compiled) for it, and whether PCRE2 certainly compiles it, so that its
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

/* At most this many requirements kept per pattern (the ones that filter
 * best: longest shortest literal, then fewest literals). */
#define TH_UA_REQS_MAX 4

typedef struct th_ua_lit {
    char s[TH_UA_LITERAL_MAX]; /* not NUL-terminated */
    uint8_t n;
    uint8_t req; /* which requirement: the literals of one are adjacent, numbered from 0 */
    bool fold;   /* s is lower case, to be looked for in the agent folded (th_ua_fold) */
    bool start;  /* only at the start of the agent */
} th_ua_lit;

/* The requirements of every match of `pattern` (PCRE2 syntax, compiled with
 * UTF and, when caseless, PCRE2_CASELESS), into out: returns how many
 * literals, 0 when nothing is certain. A match contains, for each
 * requirement, one of its literals (at the agent's start where `start`).
 * A requirement of one literal is a run of plain characters the pattern
 * requires (`[Ss]` is a plain s, folded); one of several comes from an
 * alternation whose every branch requires one (`(iPod|iPhone|iPad)`); a
 * branch requires each of its runs and groups (`Opera Mobi.{1,100}(Opera)`:
 * "Opera Mobi" and "Opera"), up to TH_UA_REQS_MAX, the best first. A literal
 * is `start` where the pattern begins with `^` and has no top-level `|`, and
 * nothing of the pattern before the literal consumes a character.
 * Caseless: every literal is folded. */
size_t th_ua_literals(const char *pattern, bool caseless, th_ua_lit out[TH_UA_ALTS_MAX]);

/* The agent folded for the folded literals, into out (room for n bytes):
 * ASCII letters lowered, and the two other code points PCRE2 (UTF, caseless)
 * matches ASCII letters by, U+212A (Kelvin sign) and U+017F (long s), made k
 * and s. Returns its length (at most n); the start of the agent folds to the
 * start of the copy. */
size_t th_ua_fold(const char *s, size_t n, char *out);

/* Whether the agent meets every requirement of lits (th_ua_literals' output,
 * n of them; true for none), searched plainly: the reference the parser's
 * faster test and the tests compare with. */
bool th_ua_literals_held(const th_ua_lit *lits, size_t n, const char *agent, size_t len);

/* Whether PCRE2 (10.42, UTF, caseless or not) certainly compiles `pattern`:
 * true only for the plainest syntax (characters, escaped punctuation, \d \w
 * \s and their negations, \b \B, `.`, simple classes and ranges, groups and
 * (?: groups, `|`, `^`, `$`, ? * + and small {n,m} after one character), so
 * that compiling it can wait for its first use with no error to report. */
bool th_ua_pattern_plain(const char *pattern);

#endif
