/* A literal that every match of a user-agent pattern contains, proved from
 * the pattern's syntax, so that a pattern whose literal is absent from an
 * agent is not run (nor JIT-compiled) for it. Pure functions, thread-safe. */
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

#endif
