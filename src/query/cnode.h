/* Internal to src/query: the compiled form of a query. An IR tree compiled
 * against the field schema: every leaf knows the path it reads, the field's
 * type and ignore_above, and holds its literal already converted to that type
 * (number, date ms, IP bytes, wildcard tokens, text tokens), so evaluation
 * parses nothing but the document's own values and allocates nothing. */
#ifndef TH_QUERY_CNODE_H
#define TH_QUERY_CNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/str.h"
#include "ecs/schema.h"
#include "json/json.h"
#include "query/ir.h"
#include "query/lregex.h"
#include "query/query.h"

typedef enum ctest {
    CT_TRUE, CT_FALSE, CT_AND, CT_OR, CT_NOT, /* structure */
    CT_EXISTS,
    CT_KW_EQ,      /* keyword text == s */
    CT_KW_SET,     /* keyword text in set */
    CT_KW_WILD,    /* keyword text matches wildcard tokens */
    CT_KW_PREFIX,
    CT_KW_RANGE,   /* bytewise */
    CT_BOOL_EQ,
    CT_NUM_RANGE,
    CT_DATE_RANGE,
    CT_IP_RANGE,   /* equality and CIDR are ranges over 16-byte addresses */
    CT_TEXT_MATCH, /* any query token among the value's tokens */
    CT_TEXT_PHRASE,
    CT_TEXT_WILD,  /* a token matches the (lower-cased) wildcard */
    CT_DYN_EQ,     /* unmapped field: compare by the JSON type of each value */
    CT_FREE,       /* KQL free text over the default fields */
    CT_KW_REGEX,   /* keyword text matches the Lucene RegExp (query/lregex.h) */
    CT_FIELD_CONTAINS, /* a value of path contains a value of path2 */
    CT_KW_WILDSET, /* keyword text matches any of several wildcards (an OR of CT_KW_WILD) */
} ctest;

typedef enum wkind { W_LIT, W_STAR, W_ONE } wkind;
typedef struct wtok {
    wkind kind;
    th_str lit;
} wtok;

/* A compiled wildcard with what any match must contain, worked out once so
 * that most values are settled without the backtracking matcher: a minimum
 * byte length, the literal before the first wildcard (at offset 0), the one
 * after the last (at the end) and the longest other literal (anywhere).
 * Those literals are ASCII-lower-cased when nocase. Shapes other than
 * WS_GENERAL are decided by these checks alone; WS_GENERAL values that pass
 * them are confirmed by th_q_wild_match, so results never depend on them. */
typedef enum wshape {
    WS_GENERAL,
    WS_EMPTY,  /* "": only the empty value */
    WS_ANY,    /* only `*`: every value */
    WS_EXACT,  /* one literal, no wildcard: equality */
    WS_PREFIX, /* literal then `*`: starts-with */
} wshape;
typedef struct wpat {
    wtok *w;
    size_t nw;
    bool nocase; /* ASCII case folding, as th_q_wild_match(..., nocase) */
    uint16_t atom_at; /* the atom's byte searched for (match.c rare_at), in the
                         padding: a larger cnode moves the run's allocations,
                         whose addresses the routing memos hash */
    wshape shape;
    size_t minlen;
    th_str pre, suf, atom; /* empty when absent */
} wpat;

typedef struct cnode cnode;
struct cnode {
    ctest test;
    unsigned flags;        /* TH_IRF_* */
    th_ftype ftype;
    int ignore_above;      /* 0 = none */
    bool deep;             /* values are every leaf below (flattened root, objects) */
    uint32_t fid;          /* th_query_field_id(path): its values in a th_qfields */
    th_str path;
    cnode **kids;
    size_t nkids;
    th_str s;              /* KW_EQ / KW_PREFIX / DYN_EQ */
    th_str *set;           /* KW_SET */
    size_t nset;
    wpat wp;               /* KW_WILD / TEXT_WILD / FREE wildcard */
    wpat *wps;             /* KW_WILDSET: any of these */
    size_t nwps;
    th_str lo, hi;         /* KW_RANGE */
    bool has_lo, has_hi, lo_incl, hi_incl;
    double dlo, dhi;       /* NUM_RANGE */
    int64_t tlo, thi;      /* DATE_RANGE (inclusive after rounding) */
    uint8_t iplo[16], iphi[16];
    bool bval;
    double num;            /* DYN_EQ: the literal as a number, when has_num */
    bool has_num;
    th_str *toks;          /* TEXT_MATCH / TEXT_PHRASE */
    size_t ntoks;
    const th_lregex *re;   /* KW_REGEX: the Lucene RegExp automaton, in the arena */
    th_str path2;          /* FIELD_CONTAINS */
    const th_ir *ir;
    int slot;              /* th_query_bind_slots: the slot the leaf reads */
    th_str slot_rest;      /* the path below that slot's field (empty: the field) */
    bool remember;         /* th_cnode_eval_slots: its tests go through the memo */
    bool slot_leaf;        /* th_cnode_bind_slots bound this leaf to a slot */
    bool on_slot;          /* and it is two-valued on that slot's own values */
    /* th_cnode_finish, once compiled (the evaluator gives the same results
     * without them: th_cnode_plain clears them, for the tests to compare):
     * a KW_SET of many values looked up in hset, an open-addressed table of
     * indexes into set plus one (0: empty) by th_q_set_hash, hmask + 1
     * slots; and quick, how a string value of at most qmax bytes decides
     * the leaf without test_string's call; and wquick, a KW_WILDSET's
     * patterns refused in line by their length and trailing literal's last
     * byte before th_q_wild_test's call (eval.c wild_refuses). */
    uint32_t *hset;
    uint32_t hmask;
    uint8_t quick;         /* Q_NONE, Q_EXISTS (TRUE), Q_EQ (== s, case kept) */
    bool wquick;
    size_t qmax;
};

enum { Q_NONE, Q_EXISTS, Q_EQ };

/* The hash of a set value or of a value looked up in one: case-folded
 * (ASCII, as th_q_eq_nocase compares) when nocase, so that values equal
 * under the set's comparison hash alike. */
static inline uint64_t th_q_set_hash(th_str s, bool nocase)
{
    if (!nocase)
        return th_str_hash_sample(s);
    uint64_t h = 0xcbf29ce484222325ull ^ s.n;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

struct th_query {
    th_qlang lang;
    th_ir *ir;
    cnode *root;
    th_str *fields;        /* distinct paths read */
    size_t nfields;
    bool slots_bound;      /* th_query_bind_slots succeeded */
};

/* eval.c */
typedef enum tv { TV_FALSE = 0, TV_TRUE = 1, TV_NULL = 2 } tv;
tv th_cnode_eval(const cnode *c, const th_jval *doc);
/* The same on the document of f, the leaves of f's kept fields reading
 * their values through f. */
tv th_cnode_eval_fields(const cnode *c, th_qfields *f);
/* Whether that is TRUE: a quick leaf (th_cnode_finish) decided without
 * th_cnode_eval_fields' call, whose registers cost about what the leaf
 * does (b100k with the pack: ~86k rests of one leaf, `event.outcome ==
 * "success"` the most). */
bool th_cnode_match_fields(const cnode *c, th_qfields *f);
/* The same over numbered fields (th_query_bind_slots gave every leaf one). */
tv th_cnode_eval_slots(const cnode *c, const th_qslot *slots, th_qmemo *memo);
bool th_cnode_bind_slots(cnode *c, th_qslot_fn slot_of);
bool th_cnode_slots_read(const cnode *c, uint64_t *mask);
/* Puts the leaves of c's AND (c bound), and of the ANDs among its kids, that
 * read only the given slots after its other kids, in order (th_query_last_of). */
void th_cnode_last_of(cnode *c, uint64_t slots);
/* Puts the kids of every AND and OR cheapest first, as binding does. */
void th_cnode_order(cnode *c);

/* compile.c: builds what the evaluator's quicker ways read (hset, quick)
 * over the tree, in a; th_cnode_plain clears it again (tests: the plain
 * evaluation the quicker ways must agree with). */
void th_cnode_finish(th_arena *a, cnode *c);
void th_cnode_plain(cnode *c);

/* match.c: value helpers shared by compile and eval */
bool th_q_keyword_text(const th_jval *v, int ignore_above, th_str *out);
size_t th_q_utf16_len(th_str s);
/* The backtracking matcher: the reference semantics of a wildcard. */
bool th_q_wild_match(const wtok *w, size_t nw, th_str s, bool nocase);
size_t th_q_wild_compile(th_arena *a, th_str pattern, bool lower, wtok **out);
/* Compiles pattern (lower: lower-case its literals, for text tokens) and its
 * literal requirements (nocase: matched with ASCII case folding). */
void th_q_wild_prepare(th_arena *a, th_str pattern, bool lower, bool nocase, wpat *out);
/* Same truth value as th_q_wild_match(p->w, p->nw, s, p->nocase), faster. */
bool th_q_wild_test(const wpat *p, th_str s);
bool th_q_parse_ip(th_str s, uint8_t out[16]);
bool th_q_parse_cidr(th_str s, uint8_t lo[16], uint8_t hi[16]);
bool th_q_parse_number(th_str s, double *out);
/* Date literal to [first ms, last ms] covered by its precision (ES rounding). */
bool th_q_parse_date(th_str s, int64_t *lo, int64_t *hi);
/* Epoch milliseconds a date bound may have (exclusive, both signs): a long,
 * less a margin for the +-1 of exclusive bounds. Beyond it a bound is no date. */
#define TH_Q_EPOCH_MS_LIMIT 9.2e18
/* Standard-analyser-like tokens: next token at *i, lower-cased into buf (cap bytes). */
bool th_q_next_token(th_str s, size_t *i, char *buf, size_t cap, th_str *tok);
bool th_q_eq_nocase(th_str a, th_str b);

#endif
