/* Lucene RegExp (the syntax of Elasticsearch's regexp query and of EQL `regex`,
 * `regex~`) compiled to an automaton and run in time linear in the input, with
 * memory independent of it: no backtracking.
 *
 * Syntax (Lucene's grammar with every optional operator enabled, RegExp.ALL, as
 * Elasticsearch uses it for EQL):
 *   union `a|b`, intersection `a&b`, concatenation, repetition `? * + {n} {n,} {n,m}`
 *   (m < n: the empty language), complement `~a` (binds tighter than repetition),
 *   `[...]` `[^...]` classes with ranges `a-z`, `.` any code point, `#` the empty
 *   language, `@` any string, `"..."` a literal string, `()` the empty string,
 *   `<n-m>` decimal numbers in [n,m] (zero-padded to the width when n and m are
 *   written with the same number of digits, else any leading zeros), `\d \D \s \S
 *   \w \W` classes, `\c` the literal c. A character where an operand is expected
 *   is literal (`*a` is "*a"). Named automata `<name>` are not supported.
 * The pattern matches the WHOLE value. Matching is over Unicode code points (the
 * pattern and the value are UTF-8; an invalid byte in a value reads as U+FFFD).
 * TH_LRE_NOCASE (`regex~`) folds ASCII letters in characters, strings and ranges.
 *
 * A pattern `.*(L1|L2|...).*` whose middle spells a finite set of literal strings
 * (characters, `"..."`, `|`, `?`, `{n,m}`) is built directly as an Aho-Corasick
 * DFA (the same language as the subset construction's DFA) at a fraction of the
 * cost (start-up compiles every rule's patterns).
 * Evaluation: the automaton is determinized at compile time when that stays
 * within TH_LRE_MAX_DFA_STATES; otherwise the NFA is simulated (a set of states
 * per input code point, O(len * NFA size), scratch O(NFA size)). `~` and `&`
 * need a DFA of their operands; an operand too large for that is a compile error
 * (Elasticsearch refuses such patterns as too complex to determinize as well).
 *
 * Ownership: the compiled regex lives in the arena given to th_lregex_compile.
 * Thread safety: a compiled regex is immutable; th_lregex_match may run on any
 * number of threads at once. */
#ifndef TH_QUERY_LREGEX_H
#define TH_QUERY_LREGEX_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"

typedef struct th_lregex th_lregex;

#define TH_LRE_NOCASE 1u
/* Build by the general construction only, without the literal search fast path
 * (lregex.c); for tests that compare the two. */
#define TH_LRE_GENERAL 2u
/* Match a DFA code point by code point only, without its table of moves on
 * ASCII bytes (lregex.c ascii_table); for tests that compare the two. */
#define TH_LRE_CODEPOINTS 4u

/* Compiles pattern[0..n). On error returns NULL, writes a message to err and the
 * byte offset in the pattern where it was found to *errpos (when not NULL). */
th_lregex *th_lregex_compile(th_arena *a, const char *pattern, size_t n, unsigned flags,
                             char *err, size_t errcap, size_t *errpos);

/* Whether the whole of s[0..n) is in the pattern's language. Allocates nothing
 * when the pattern was determinized, else at most O(NFA size) scratch. */
bool th_lregex_match(const th_lregex *re, const char *s, size_t n);

/* Whether matching moves on ASCII bytes through a table (a DFA not compiled
 * with TH_LRE_CODEPOINTS, whose table is small enough); for tests. */
bool th_lregex_has_table(const th_lregex *re);

/* How many of a DFA's states skip runs of the bytes they move to themselves
 * on or compare a chain of bytes at once (lregex.c skip_run, lit_eq; 0
 * without a table); for tests. */
size_t th_lregex_skip_states(const th_lregex *re);

/* Whether matching runs on a DFA (true) or simulates the NFA; for tests. */
bool th_lregex_is_dfa(const th_lregex *re);

#endif
