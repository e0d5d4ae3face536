/* Spelling check for rule names and descriptions through libhunspell
 * (Debian libhunspell-dev) with a Hunspell dictionary (Debian hunspell-en-us:
 * /usr/share/hunspell/en_US.dic and .aff): affix rules, compounding and
 * suggestions as Hunspell has them. A project word list (data/wordlist.txt,
 * one word per line) adds cloud and security terms. The tokenizer that picks
 * the words to check (skipping code, URLs, identifiers) is ours.
 *
 * Ownership: a th_spell owns its Hunspell handle. Not thread safe (Hunspell's
 * lookups keep state); lint uses it from one thread. */
#ifndef TH_TUNE_SPELL_H
#define TH_TUNE_SPELL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/str.h"

typedef struct th_spell th_spell;

th_spell *th_spell_new(void);
void th_spell_free(th_spell *s);
/* Loads <base>.dic and <base>.aff. Returns false when the .dic is unreadable. */
bool th_spell_load_hunspell(th_spell *s, const char *base);
/* Adds the words of a plain list (one per line, `#` comments). */
bool th_spell_load_list(th_spell *s, const char *path);
void th_spell_add_word(th_spell *s, th_str w);
/* Number of project words added (for diagnostics). */
size_t th_spell_size(const th_spell *s);

/* True when Hunspell knows the word (as written, capitalised or in capitals),
 * or knows it lowercased; true also when no dictionary is loaded. */
bool th_spell_check(const th_spell *s, th_str word);
/* Hunspell's first suggestions (at most 3) for word, ", "-separated in out
 * (cap bytes, NUL-terminated); returns how many. */
size_t th_spell_suggest(const th_spell *s, th_str word, char *out, size_t cap);

/* Splits text into words and calls bad() for each one not known. Code-ish
 * tokens are skipped: anything in backticks, URLs, words with digits,
 * underscores, dots, slashes, `@`, `=`, or inner capitals (camelCase), all-caps
 * acronyms, and quoted identifiers. Hyphenated words are checked part by part.
 * `offset` is the byte offset of the word in text. */
typedef void (*th_spell_bad_fn)(th_str word, size_t offset, void *ctx);
size_t th_spell_text(const th_spell *s, th_str text, th_spell_bad_fn bad, void *ctx);

#endif
