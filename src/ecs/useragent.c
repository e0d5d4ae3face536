/* User-agent parsing with uap-core's regexes.yaml, producing what
 * Elasticsearch's user_agent processor writes: name ("Other" when nothing
 * matches), version (major[.minor[.patch[.build]]]), os.name/version/full (only
 * when an OS pattern matches), device.name ("Other" when nothing matches).
 * Replacements: "$1" in a family/device replacement is substituted by group 1,
 * as ES does; version replacements are taken literally. Empty groups count as
 * absent (ES >= 8.16.2 behaviour). Each pattern has requirements every match
 * meets, each a set of literals one of which the match contains
 * (ua_literal.h), worked out on the pattern's first literal test: a pattern
 * with a requirement the agent does not meet is not run
 * (tests/ecs/test_ua_filter.c compares with running every pattern over the
 * corpus's agents). Patterns are compiled with PCRE2 once: when loaded,
 * or, for the plain ones that certainly compile (no error to report), on
 * their first try. A
 * JIT-compiled copy (where available) is made once a pattern has been tried
 * UA_JIT_AFTER times: the first agent tried ~1,170 patterns, and JIT-compiling
 * each on its first try was a quarter of the whole pack's start-up. Match data
 * is allocated per call, and compiled code and requirements are published
 * atomically (below), so a loaded th_ua may be shared by threads. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/file.h"
#include "ecs/mapper_int.h"
#include "ecs/ua_literal.h"
#include "ecs/ua_yaml.h"

/* How often a pattern runs in the interpreter before it gets a JIT-compiled
 * copy (a compilation is ~100 k instructions). Most patterns never pass the
 * literal test; of those that do, one tried a few times is tried again with
 * most agents. 4 did best of 1, 4, 16 and 64 on one record, 10k records and
 * the real samples (callgrind). */
#define UA_JIT_AFTER 4

typedef struct ua_rule {
    /* The compiled pattern. A plain one (th_ua_pattern_plain: it certainly
     * compiles) is compiled on its first try, from pattern and opts; the
     * others when loaded, where a compile error is reported. */
    _Atomic(pcre2_code *) re;
    char *pattern; /* the pattern's text (compiled from it when plain) */
    uint32_t opts;
    char *repl[5]; /* name/family, v1, v2, v3, v4 (device: repl[0] only) */
    /* Every match meets each of their requirements (ua_literal.h; none: none
     * known): worked out on the rule's first literal test (rule_needs), NULL
     * until then. */
    _Atomic(struct ua_needs *) needs;
    _Atomic(pcre2_code *) jit; /* re's JIT-compiled copy once made, else NULL */
    atomic_uint tries;         /* interpreted tries, counted up to UA_JIT_AFTER */
} ua_rule;

typedef struct ua_list {
    ua_rule *v;
    size_t n, cap;
} ua_list;

/* Parsed results by user-agent string: CloudTrail repeats a few agents
 * endlessly and a full scan of the lists costs ~1 ms. Sets of two entries (two
 * agents in one set do not evict each other as they alternate), the newer
 * first; guarded by a mutex (the mapper is shared by threads). */
#define UA_CACHE 4096
enum { R_NAME, R_VER, R_OSNAME, R_OSVER, R_OSFULL, R_DEV, R_N };
typedef struct ua_cached {
    char *ua;
    size_t ualen;
    char *r[R_N];
    size_t rn[R_N];
} ua_cached;

struct th_ua {
    ua_list ua, os, dev;
    char version[64];
    pthread_mutex_t mu;
    ua_cached *cache;
};

static void list_push(ua_list *l, ua_rule r)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = th_xrealloc(l->v, l->cap * sizeof(ua_rule));
    }
    l->v[l->n++] = r;
}

/* The state of reading regexes.yaml, event by event. */
typedef struct loader {
    th_ua *u;
    th_diags *diags;
    const char *path;
    ua_list *cur;
    int depth;
    bool keyed; /* a mapping's key was read, its value comes next */
    int slot;   /* the field that value goes to (key_slot) */
    char *regex, *flag, *repl[5];
} loader;

/* A literal of a rule, with the slots (pair_slot) of up to four byte pairs
 * spread over it (first, last and two between): an agent with none of the
 * pairs in one of the slots lacks the literal. */
typedef struct ua_need {
    th_ua_lit lit;
    uint8_t npairs;
    uint16_t pair[4];
} ua_need;

/* The bit of the byte pair "ab" in a probe's pair set (ua_probe): 4,096
 * slots, each shared by 16 of the 65,536 pairs, so a set bit may stand for
 * another pair (the literal is then searched for, as when its pairs are
 * there) and a clear one proves every pair of its slot absent. A parse
 * cleared 2 x 8 KiB for an exact set of all pairs (16 k instructions, more
 * than a tenth of a new agent's parse once the rules' requirements are
 * known); an agent of 100 bytes sets ~2.5% of the slots. */
#define UA_PAIR_SLOTS 4096
static inline unsigned pair_slot(unsigned a, unsigned b)
{
    return ((a << 8 | b) * 40503u & 0xffffu) >> 4; /* Fibonacci hashing of 16 bits to 12 */
}

typedef struct ua_needs {
    size_t n;
    ua_need v[];
} ua_needs;

/* The rule's requirements, worked out on its first literal test rather than
 * when loaded: they serve only parsing, a parse stops at each list's first
 * match, and working out all 1,175 was 7.7 M of the pack's 88 M instructions
 * of start-up (spent even by runs that parse no agent). Published as rule_re
 * publishes: two threads may both work them out; the first to publish
 * (release; readers acquire) wins and the other frees its copy. */
__attribute__((noinline)) static const ua_needs *rule_needs_make(ua_rule *r)
{
    ua_needs *have = NULL;
    th_ua_lit lits[TH_UA_ALTS_MAX];
    size_t n = th_ua_literals(r->pattern, (r->opts & PCRE2_CASELESS) != 0, lits);
    ua_needs *mine = th_xcalloc(1, sizeof *mine + n * sizeof mine->v[0]);
    mine->n = n;
    for (size_t i = 0; i < n; i++) {
        ua_need *d = &mine->v[i];
        d->lit = lits[i];
        if (d->lit.n < 2 || d->lit.start)
            continue;
        size_t last = d->lit.n - 2u;
        size_t at[4] = {0, last, last / 2, last / 4 * 3};
        for (size_t k = 0; k < 4; k++) {
            const unsigned char *q = (const unsigned char *)d->lit.s + at[k];
            uint16_t v = (uint16_t)pair_slot(q[0], q[1]);
            bool seen = false;
            for (size_t j = 0; j < d->npairs; j++)
                seen |= d->pair[j] == v;
            if (!seen)
                d->pair[d->npairs++] = v;
        }
    }
    if (atomic_compare_exchange_strong_explicit(&r->needs, &have, mine, memory_order_acq_rel,
                                                memory_order_acquire))
        return mine;
    free(mine);
    return have;
}

/* The requirements once worked out (every literal test but a rule's first),
 * inline: the call to the function that works them out, with its 9 KiB of
 * literals on the stack, cost ~24 instructions a rule tested (esqlday: 1.2 M
 * of 50,717 tests). */
static inline const ua_needs *rule_needs(ua_rule *r)
{
    const ua_needs *have = atomic_load_explicit(&r->needs, memory_order_acquire);
    return have ? have : rule_needs_make(r);
}

/* The end of a rule's mapping: keeps it, compiled unless it is plain (then
 * on its first try: 1,170 of uap-core's 1,175 patterns are, and compiling
 * them all was 28 M instructions before the first agent), and its text, for
 * its requirements (rule_needs) and the plain one's compile. */
static void rule_end(loader *ld)
{
    int err = 0;
    PCRE2_SIZE off = 0;
    uint32_t opts = PCRE2_UTF | PCRE2_NO_UTF_CHECK;
    if (ld->flag && strchr(ld->flag, 'i'))
        opts |= PCRE2_CASELESS;
    bool plain = th_ua_pattern_plain(ld->regex);
    pcre2_code *re = plain ? NULL
                           : pcre2_compile((PCRE2_SPTR)ld->regex, PCRE2_ZERO_TERMINATED, opts, &err,
                                           &off, NULL);
    if (plain || re) {
        ua_rule r = {.re = re, .opts = opts, .pattern = th_xstrdup(ld->regex)};
        memcpy(r.repl, ld->repl, sizeof ld->repl);
        memset(ld->repl, 0, sizeof ld->repl);
        list_push(ld->cur, r);
    } else {
        th_diag_at(ld->diags, TH_SEV_WARNING, ld->path, 0, 0,
                   "user-agent regex skipped (PCRE2 error %d at %zu)", err, (size_t)off);
    }
}

/* Where a rule's mapping keeps the value of key: its regex, its flag, one of
 * its five replacements, or nowhere. Worked out when the key is read, not
 * kept as a copy to compare when the value comes. */
enum { S_OTHER, S_REGEX, S_FLAG, S_REPL /* S_REPL + i: repl[i] */ };

static int key_slot(const char *key)
{
    static const char *const names[] = {"family_replacement", "v1_replacement", "v2_replacement",
                                        "v3_replacement", "v4_replacement"};
    static const char *const os_names[] = {"os_replacement", "os_v1_replacement",
                                           "os_v2_replacement", "os_v3_replacement",
                                           "os_v4_replacement"};
    if (strcmp(key, "regex") == 0)
        return S_REGEX;
    if (strcmp(key, "regex_flag") == 0)
        return S_FLAG;
    if (strcmp(key, "device_replacement") == 0)
        return S_REPL;
    for (int i = 0; i < 5; i++)
        if (strcmp(key, names[i]) == 0 || strcmp(key, os_names[i]) == 0)
            return S_REPL + i;
    return S_OTHER;
}

/* A scalar: a key, or the value of the key before it. Every structural event
 * ends a key (on_event), so a key and its value are read at one depth. */
static void on_scalar(loader *ld, const char *val)
{
    if (!ld->keyed) {
        if (ld->depth == 1) { /* top-level key: which list follows */
            ld->cur = strcmp(val, "user_agent_parsers") == 0 ? &ld->u->ua
                      : strcmp(val, "os_parsers") == 0       ? &ld->u->os
                      : strcmp(val, "device_parsers") == 0   ? &ld->u->dev
                                                             : NULL;
            return;
        }
        ld->keyed = true;
        ld->slot = ld->depth == 3 ? key_slot(val) : S_OTHER;
        return;
    }
    ld->keyed = false;
    if (ld->slot == S_OTHER)
        return;
    char **dst = ld->slot == S_REGEX  ? &ld->regex
                 : ld->slot == S_FLAG ? &ld->flag
                                      : &ld->repl[ld->slot - S_REPL];
    free(*dst);
    *dst = th_xstrdup(val);
}

/* One YAML event. The file is a mapping of three sequences of mappings with
 * scalar values; anything else is skipped. */
static void on_event(void *ctx, yaml_event_type_t t, const char *scalar)
{
    loader *ld = ctx;
    if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT) {
        ld->depth++;
    } else if (t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT) {
        if (t == YAML_MAPPING_END_EVENT && ld->depth == 3 && ld->cur && ld->regex)
            rule_end(ld);
        if (t == YAML_MAPPING_END_EVENT && ld->depth == 3) {
            free(ld->regex), free(ld->flag);
            ld->regex = ld->flag = NULL;
            for (int i = 0; i < 5; i++)
                free(ld->repl[i]), ld->repl[i] = NULL;
        }
        ld->depth--;
    } else if (t == YAML_SCALAR_EVENT) {
        on_scalar(ld, scalar);
    }
    if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT ||
        t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT)
        ld->keyed = false;
}

/* Reads the YAML document into rule lists: uap-core's own file by its plain
 * layout (ua_yaml.h), any other through libyaml. */
th_ua *th_ua_load(const char *path, th_diags *diags)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "cannot open user-agent regexes");
        return NULL;
    }
    th_ua *u = th_xcalloc(1, sizeof *u);
    pthread_mutex_init(&u->mu, NULL);
    u->cache = th_xcalloc(UA_CACHE, sizeof(ua_cached));
    loader ld = {.u = u, .diags = diags, .path = path};
    bool ok = true;
    size_t n = 0;
    char *text = th_file_read_stream(f, &n);
    if (!text || !th_ua_yaml_plain(text, n, on_event, &ld)) {
        rewind(f);
        yaml_parser_t p;
        yaml_parser_initialize(&p);
        yaml_parser_set_input_file(&p, f);
        for (;;) {
            yaml_event_t ev;
            if (!yaml_parser_parse(&p, &ev)) {
                th_diag_at(diags, TH_SEV_ERROR, path, (unsigned)p.problem_mark.line + 1,
                           (unsigned)p.problem_mark.column + 1, "YAML: %s",
                           p.problem ? p.problem : "parse error");
                ok = false;
                break;
            }
            yaml_event_type_t t = ev.type;
            on_event(&ld, t, t == YAML_SCALAR_EVENT ? (const char *)ev.data.scalar.value : NULL);
            yaml_event_delete(&ev);
            if (t == YAML_STREAM_END_EVENT)
                break;
        }
        yaml_parser_delete(&p);
    }
    free(text);
    free(ld.regex), free(ld.flag);
    for (int i = 0; i < 5; i++)
        free(ld.repl[i]);
    fclose(f);
    if (!ok || u->ua.n == 0) {
        if (ok)
            th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "no user_agent_parsers found");
        th_ua_free(u);
        return NULL;
    }
    /* uap-core's package.json sits next to regexes.yaml: note its version */
    char pj[4096];
    snprintf(pj, sizeof pj, "%s", path);
    char *slash = strrchr(pj, '/');
    snprintf(slash ? slash + 1 : pj, sizeof pj - (size_t)(slash ? slash + 1 - pj : 0),
             "package.json");
    FILE *vf = fopen(pj, "rb");
    if (vf) {
        char line[512];
        while (fgets(line, sizeof line, vf)) {
            char *v = strstr(line, "\"version\"");
            if (v && (v = strchr(v + 9, '"'))) {
                char *e = strchr(v + 1, '"');
                if (e && e - v - 1 < (long)sizeof u->version) {
                    memcpy(u->version, v + 1, (size_t)(e - v - 1));
                    u->version[e - v - 1] = 0;
                }
                break;
            }
        }
        fclose(vf);
    }
    return u;
}

static void list_free(ua_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        pcre2_code_free(atomic_load(&l->v[i].re));
        free(l->v[i].pattern);
        pcre2_code_free(atomic_load(&l->v[i].jit));
        free(atomic_load(&l->v[i].needs));
        for (int k = 0; k < 5; k++)
            free(l->v[i].repl[k]);
    }
    free(l->v);
}

void th_ua_free(th_ua *u)
{
    if (!u)
        return;
    list_free(&u->ua);
    list_free(&u->os);
    list_free(&u->dev);
    for (size_t i = 0; i < UA_CACHE; i++) {
        free(u->cache[i].ua);
        for (int k = 0; k < R_N; k++)
            free(u->cache[i].r[k]);
    }
    free(u->cache);
    pthread_mutex_destroy(&u->mu);
    free(u);
}

const char *th_ua_version(const th_ua *u) { return u->version[0] ? u->version : NULL; }

typedef struct ua_hit {
    th_str g[6]; /* groups 1..5 in g[1..5]; p NULL = unset or empty */
    const ua_rule *rule;
} ua_hit;

/* The rule's compiled pattern, compiling a plain one on its first try. Two
 * threads may both compile it: the first to publish (release; readers
 * acquire) wins and the other frees its copy. NULL only when a plain pattern
 * fails to compile, which th_ua_pattern_plain rules out; it then matches
 * nothing, as a pattern skipped at loading did. */
static pcre2_code *rule_re(ua_rule *r)
{
    pcre2_code *re = atomic_load_explicit(&r->re, memory_order_acquire);
    if (re) /* a pattern that is not plain was compiled when loaded, or skipped */
        return re;
    int err;
    PCRE2_SIZE off;
    pcre2_code *mine = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED, r->opts, &err,
                                     &off, NULL);
    if (!mine)
        return NULL;
    if (atomic_compare_exchange_strong_explicit(&r->re, &re, mine, memory_order_acq_rel,
                                                memory_order_acquire))
        return mine;
    pcre2_code_free(mine);
    return re;
}

/* The code to match the rule with: its JIT-compiled copy once made, else the
 * interpreted pattern, whose UA_JIT_AFTER-th try makes the copy.
 * pcre2_jit_compile writes into the code object it compiles, so it compiles a
 * copy that no thread is matching with, and publishes it (release; readers
 * acquire) when done; exactly one try is the UA_JIT_AFTER-th. The interpreter
 * and the JIT give the same matches, so when JIT is unavailable (the copy is
 * then interpreted) nothing changes but speed. */
static const pcre2_code *rule_code(ua_rule *r)
{
    pcre2_code *jit = atomic_load_explicit(&r->jit, memory_order_acquire);
    if (jit)
        return jit;
    pcre2_code *re = rule_re(r);
    if (!re)
        return NULL;
    if (atomic_load_explicit(&r->tries, memory_order_relaxed) >= UA_JIT_AFTER ||
        atomic_fetch_add_explicit(&r->tries, 1, memory_order_relaxed) + 1 != UA_JIT_AFTER)
        return re;
    jit = pcre2_code_copy(re);
    if (!jit)
        return re;
    pcre2_jit_compile(jit, PCRE2_JIT_COMPLETE);
    atomic_store_explicit(&r->jit, jit, memory_order_release);
    return jit;
}

static bool contains(th_str hay, const char *needle, size_t n)
{
    for (size_t i = 0; i + n <= hay.n; i++) {
        const char *f = memchr(hay.p + i, needle[0], hay.n - n + 1 - i);
        if (!f)
            return false;
        i = (size_t)(f - hay.p);
        if (memcmp(f, needle, n) == 0)
            return true;
    }
    return false;
}

/* What one agent holds, for the literal test of every rule: the agent and its
 * folded copy (th_ua_fold, for the folded literals), and which bytes
 * and which byte pairs occur in each. A literal with a byte or pair the agent
 * lacks is absent, which a bit test tells; only the others are searched for.
 * (Searching every literal was a quarter of the parse of a new agent, and a
 * busy account's agents are mostly new: aws-cli's name the command run.) */
typedef struct ua_probe {
    th_str text[2];          /* [0]: the agent, [1]: folded */
    uint64_t bytes[2][4];    /* bit c: byte c occurs */
    uint64_t pairs[2][UA_PAIR_SLOTS / 64]; /* bit pair_slot(a, b): "ab" may occur */
} ua_probe;

static void probe_init(ua_probe *p, th_str s, th_str lower)
{
    memset(p->bytes, 0, sizeof p->bytes);
    memset(p->pairs, 0, sizeof p->pairs);
    p->text[0] = s;
    p->text[1] = lower;
    for (int t = 0; t < 2; t++) {
        const unsigned char *q = (const unsigned char *)p->text[t].p;
        size_t n = p->text[t].n;
        for (size_t i = 0; i < n; i++) {
            p->bytes[t][q[i] >> 6] |= 1ull << (q[i] & 63);
            if (i + 1 < n) {
                unsigned v = pair_slot(q[i], q[i + 1]);
                p->pairs[t][v >> 6] |= 1ull << (v & 63);
            }
        }
    }
}

/* Whether the agent holds the literal d (in text t of the probe; at its
 * start only, for a start one). */
static bool may_hold_one(const ua_probe *p, int t, const ua_need *d)
{
    if (d->lit.start)
        return p->text[t].n >= d->lit.n && memcmp(p->text[t].p, d->lit.s, d->lit.n) == 0;
    if (d->lit.n == 1) {
        unsigned char c = (unsigned char)d->lit.s[0];
        return p->bytes[t][c >> 6] >> (c & 63) & 1;
    }
    for (size_t k = 0; k < d->npairs; k++)
        if (!(p->pairs[t][d->pair[k] >> 6] >> (d->pair[k] & 63) & 1))
            return false;
    return contains(p->text[t], d->lit.s, d->lit.n);
}

/* Whether the agent meets each of r's requirements (true for a rule
 * without): th_ua_literals_held, with the probe's bit tests first. */
static bool may_hold(const ua_probe *p, ua_rule *r)
{
    const ua_needs *nd = rule_needs(r);
    for (size_t i = 0; i < nd->n;) {
        uint8_t q = nd->v[i].lit.req;
        bool held = false;
        for (; i < nd->n && nd->v[i].lit.req == q; i++)
            held = held || may_hold_one(p, nd->v[i].lit.fold, &nd->v[i]);
        if (!held)
            return false;
    }
    return true;
}

/* The first rule of l matching the probed agent. A rule with a requirement
 * the agent does not meet cannot match, so it is not run (filtered; without,
 * every rule is tried, for the tests to compare with). */
static bool first_match(ua_list *l, const ua_probe *p, pcre2_match_data *md, ua_hit *hit,
                        bool filtered)
{
    th_str s = p->text[0];
    for (size_t i = 0; i < l->n; i++) {
        ua_rule *r = &l->v[i];
        if (filtered && !may_hold(p, r))
            continue;
        const pcre2_code *code = rule_code(&l->v[i]);
        int rc = code ? pcre2_match(code, (PCRE2_SPTR)s.p, s.n, 0, 0, md, NULL) : -1;
        if (rc < 0)
            continue;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        uint32_t groups = pcre2_get_ovector_count(md);
        memset(hit, 0, sizeof *hit);
        hit->rule = &l->v[i];
        for (uint32_t g = 1; g <= 5 && g < groups && (int)g < rc; g++) {
            if (ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] <= ov[2 * g])
                continue;
            hit->g[g] = th_str_make(s.p + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
        }
        return true;
    }
    return false;
}

/* a family/device replacement: first "$1" replaced by group 1 when it is set */
static th_str replace1(th_arena *a, const char *repl, th_str g1)
{
    const char *d = strstr(repl, "$1");
    if (!d || !g1.p)
        return th_str_c(repl);
    char *s = th_arena_printf(a, "%.*s%.*s%s", (int)(d - repl), repl, (int)g1.n, g1.p, d + 2);
    return th_str_c(s);
}

static th_str version_of(th_arena *a, const ua_hit *h)
{
    th_str part[4];
    for (int i = 0; i < 4; i++) {
        const char *r = h->rule->repl[i + 1];
        part[i] = r ? th_str_c(r) : h->g[i + 2];
        if (part[i].p && !part[i].n)
            part[i] = TH_STR_NULL;
    }
    if (!part[0].p)
        return TH_STR_NULL;
    th_buf b;
    th_buf_init(&b);
    th_buf_putstr(&b, part[0]);
    for (int i = 1; i < 4 && part[i].p; i++) {
        th_buf_putc(&b, '.');
        th_buf_putstr(&b, part[i]);
    }
    char *s = th_arena_strndup(a, b.data, b.len);
    th_str r = th_str_make(s, b.len);
    th_buf_free(&b);
    return r;
}

/* user_agent.name from the agent rule that matched */
static th_str name_of(th_arena *a, const ua_hit *h)
{
    return h->rule->repl[0] ? replace1(a, h->rule->repl[0], h->g[1]) : h->g[1];
}

/* The agent's fields into r; with name_only, user_agent.name alone (the
 * other fields stay NULL): the agent rules only. The os and device rules,
 * which cannot change the name, were 85% of a parse (b10k with the pack: 6.5 M
 * of the 8.2 M instructions of 21 new agents went to the device rules). */
static void parse(th_ua *u, th_arena *a, th_str s, th_str r[R_N], bool filtered, bool name_only)
{
    pcre2_match_data *md = pcre2_match_data_create(16, NULL);
    char *low = th_xmalloc(s.n + 1);
    th_str lower = th_str_make(low, th_ua_fold(s.p, s.n, low));
    ua_probe probe, *p = &probe;
    probe_init(p, s, lower);
    ua_hit h;
    for (int i = 0; i < R_N; i++)
        r[i] = TH_STR_NULL;
    if (first_match(&u->ua, p, md, &h, filtered)) {
        r[R_NAME] = name_of(a, &h);
        if (!name_only)
            r[R_VER] = version_of(a, &h);
    }
    if (!r[R_NAME].n)
        r[R_NAME] = TH_STR_LIT("Other");
    if (!name_only) {
        if (first_match(&u->os, p, md, &h, filtered)) {
            th_str os = h.rule->repl[0] ? replace1(a, h.rule->repl[0], h.g[1]) : h.g[1];
            if (os.n) {
                r[R_OSNAME] = os;
                th_str ver = version_of(a, &h);
                if (ver.p) {
                    r[R_OSVER] = ver;
                    r[R_OSFULL] = th_str_c(
                        th_arena_printf(a, "%.*s %.*s", (int)os.n, os.p, (int)ver.n, ver.p));
                }
            }
        }
        if (first_match(&u->dev, p, md, &h, filtered))
            r[R_DEV] = h.rule->repl[0] ? replace1(a, h.rule->repl[0], h.g[1]) : h.g[1];
        if (!r[R_DEV].n)
            r[R_DEV] = TH_STR_LIT("Other");
    }
    pcre2_match_data_free(md);
    free(low);
}

void th_ua_apply(const th_ua *cu, mctx *c, th_str s)
{
    th_ua *u = (th_ua *)cu; /* only the cache (under mu) and the JIT state (rule_code) are written */
    th_str r[R_N];
    ua_cached *set = &u->cache[(th_str_hash_words(s) % UA_CACHE) & ~(size_t)1], *e = NULL;
    bool hit = false;
    pthread_mutex_lock(&u->mu);
    for (int w = 0; w < 2 && !e; w++)
        if (set[w].ua && set[w].ualen == s.n && memcmp(set[w].ua, s.p, s.n) == 0)
            e = &set[w];
    if (e) {
        /* the six texts copied into one allocation (the entry may be replaced
         * once the lock is let go), each NUL-terminated as th_arena_strndup's */
        size_t total = 0;
        for (int i = 0; i < R_N; i++)
            total += e->r[i] ? e->rn[i] + 1 : 0;
        char *p = th_arena_alloc(c->a, total ? total : 1);
        for (int i = 0; i < R_N; i++) {
            r[i] = TH_STR_NULL;
            if (!e->r[i])
                continue;
            memcpy(p, e->r[i], e->rn[i]);
            p[e->rn[i]] = '\0';
            r[i] = th_str_make(p, e->rn[i]);
            p += e->rn[i] + 1;
        }
        hit = true;
    }
    pthread_mutex_unlock(&u->mu);
    if (!hit) {
        parse(u, c->a, s, r, true, false);
        pthread_mutex_lock(&u->mu);
        free(set[1].ua);
        for (int i = 0; i < R_N; i++)
            free(set[1].r[i]);
        set[1] = set[0];
        e = &set[0];
        e->ua = th_xstrndup(s.p, s.n);
        e->ualen = s.n;
        for (int i = 0; i < R_N; i++) {
            e->r[i] = r[i].p ? th_xstrndup(r[i].p, r[i].n) : NULL;
            e->rn[i] = r[i].n;
        }
        pthread_mutex_unlock(&u->mu);
    }
    /* Set through mx_dst, as the paths user_agent.name ... would set them,
     * without a walk from the root per field: convert sets them on every
     * record (b10k: th_ua_apply 34.5 M -> 31.3 M inclusive, 19.2 M of it the
     * parses of its 29 agents). */
    static const char *const keys[R_N] = {"name", "version", "name", "version", "full", "name"};
    mx_dst ua = MX_DST("user_agent"), os = MX_DST_UP(&ua, "os"), dev = MX_DST_UP(&ua, "device");
    mx_dst *const dst[R_N] = {&ua, &ua, &os, &os, &os, &dev};
    for (int i = 0; i < R_N; i++)
        if (r[i].p)
            mx_put(c, dst[i], keys[i], th_jnew_str(c->a, r[i]));
}

th_str th_ua_name(const th_ua *cu, th_arena *a, th_str s)
{
    th_ua *u = (th_ua *)cu; /* as th_ua_apply: the cache under mu, the JIT state */
    const ua_cached *set = &u->cache[(th_str_hash_words(s) % UA_CACHE) & ~(size_t)1];
    th_str name = TH_STR_NULL;
    pthread_mutex_lock(&u->mu);
    for (int w = 0; w < 2; w++)
        if (set[w].ua && set[w].ualen == s.n && memcmp(set[w].ua, s.p, s.n) == 0) {
            const char *r = set[w].r[R_NAME]; /* copied: the entry may be replaced */
            name = th_str_make(r ? th_arena_strndup(a, r, set[w].rn[R_NAME]) : "",
                               r ? set[w].rn[R_NAME] : 0);
            break;
        }
    pthread_mutex_unlock(&u->mu);
    if (name.p)
        return name;
    th_str r[R_N];
    parse(u, a, s, r, true, true);
    return r[R_NAME];
}

void th_ua_parse_uncached(const th_ua *cu, th_arena *a, th_str ua, bool filtered, th_str out[6])
{
    parse((th_ua *)cu, a, ua, out, filtered, false); /* writes only the JIT state (rule_code) */
}
