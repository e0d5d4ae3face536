/* libFuzzer target for ecs/ua_literal (what a user-agent pattern's syntax
 * proves). The first byte's low bit picks caseless; the rest is the pattern,
 * up to a NUL, and the agent after it (the pattern itself when there is no
 * NUL). Reading any pattern must neither crash nor overrun; and the property
 * the parser's skip relies on must hold: when PCRE2 compiles the pattern and
 * it matches the agent, the agent meets each requirement found (holds one of
 * its literals: in the agent folded by th_ua_fold for a folded one, at its start for a start
 * one), and th_ua_literals_held agrees. th_ua_pattern_plain must not call a
 * pattern plain that PCRE2 refuses.
 *
 *   build/fuzz/fuzz_ua_literal -max_len=512 CORPUS_DIR */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ecs/ua_literal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool holds(const char *s, size_t n, const th_ua_lit *l)
{
    for (size_t i = 0; i + l->n <= n && (i == 0 || !l->start); i++)
        if (memcmp(s + i, l->s, l->n) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 4096)
        return 0;
    bool caseless = data[0] & 1;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    const char *nul = memchr(in, 0, n);
    size_t pn = nul ? (size_t)(nul - in) : n;
    const char *agent = nul ? nul + 1 : in;
    size_t an = nul ? n - pn - 1 : n;
    char *pat = malloc(pn + 1);
    char *low = malloc(an + 1);
    memcpy(pat, in, pn);
    pat[pn] = 0;
    size_t lown = th_ua_fold(agent, an, low);
    static th_ua_lit lits[TH_UA_ALTS_MAX];
    size_t nl = th_ua_literals(pat, caseless, lits);
    bool plain = th_ua_pattern_plain(pat);
    uint32_t opts = PCRE2_UTF | (caseless ? PCRE2_CASELESS : 0);
    int err;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts, &err, &off, NULL);
    if (!re && plain)
        abort(); /* compiled on first use with no error to report: must compile */
    if (re && nl) {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
        /* an agent that is not UTF-8 is refused by PCRE2 (no match) */
        if (pcre2_match(re, (PCRE2_SPTR)agent, an, 0, 0, md, NULL) >= 0) {
            for (size_t k = 0; k < nl;) {
                bool held = false;
                size_t e = k;
                for (; e < nl && lits[e].req == lits[k].req; e++)
                    held = held || (lits[e].fold ? holds(low, lown, &lits[e])
                                                 : holds(agent, an, &lits[e]));
                if (!held)
                    abort();
                k = e;
            }
            if (!th_ua_literals_held(lits, nl, agent, an))
                abort();
        }
        pcre2_match_data_free(md);
    }
    pcre2_code_free(re);
    free(pat);
    free(low);
    return 0;
}
