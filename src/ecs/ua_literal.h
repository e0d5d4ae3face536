/* What a user-agent pattern's syntax proves: a literal that every match
 * contains, so that a pattern whose literal is absent from an agent is not run
 * (nor compiled) for it, and whether PCRE2 certainly compiles it, so that its
 * compilation can wait for its first use. Pure functions, thread-safe. */
#ifndef TH_ECS_UA_LITERAL_H
#define TH_ECS_UA_LITERAL_H

#include <stdbool.h>
#include <stddef.h>

#define TH_UA_LITERAL_MAX 32

/* The longest literal found in `pattern` (PCRE2 syntax, compiled with UTF and,
 * when caseless, PCRE2_CASELESS) written to out (not NUL-terminated); returns
 * its length, 0 when none is certain. Caseless: the literal is in lower case
 * and is to be looked for in the agent with its ASCII letters lowered. */
size_t th_ua_literal(const char *pattern, bool caseless, char out[TH_UA_LITERAL_MAX]);

/* Whether PCRE2 (10.42, UTF, caseless or not) certainly compiles `pattern`:
 * true only for the plainest syntax (characters, escaped punctuation, \d \w
 * \s and their negations, \b \B, `.`, simple classes and ranges, groups and
 * (?: groups, `|`, `^`, `$`, ? * + and small {n,m} after one character), so
 * that compiling it can wait for its first use with no error to report. */
bool th_ua_pattern_plain(const char *pattern);

#endif
