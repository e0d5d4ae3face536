/* ES|QL internals shared by esql_*.c (not a public header).
 * Ownership: everything lives in the arena of the parse or of the run. */
#ifndef TH_QUERY_ESQL_INT_H
#define TH_QUERY_ESQL_INT_H

#include <stdbool.h>
#include <string.h>

#include "query/esql.h"
#include "query/ir.h"

/* ---- values ------------------------------------------------------------
 * A cell: a type and 0 (NULL), 1 or more values of that type. */
typedef enum ev_type {
    EV_NULL,
    EV_KW,      /* keyword / text: s */
    EV_LONG,    /* i */
    EV_DOUBLE,  /* d */
    EV_BOOL,    /* i: 0 / 1 */
    EV_DATE,    /* i: epoch ms */
    EV_IP,      /* s: canonical text */
    EV_SPAN,    /* i: milliseconds (time-span literals) */
} ev_type;

typedef union ev_s {
    th_str s;
    int64_t i;
    double d;
} ev_s;

typedef struct ev {
    uint8_t t;
    uint32_t n;      /* 0 = NULL */
    union {
        ev_s one;    /* n == 1 */
        ev_s *many;  /* n > 1 */
    };
} ev;

static inline ev_s ev_at(const ev *v, uint32_t i) { return v->n == 1 ? v->one : v->many[i]; }
/* x and y are the same value of type t, representation included (the same
 * text; the same bits of a double): either may stand for the other in any
 * result, whatever the comparison. VALUES / COUNT_DISTINCT skip a value
 * identical to the one gathered just before it (runs of the same user agent,
 * ASN, action in a group): sorting and de-duplicating keeps the first of equal
 * values, which the skipped one never is. */
static inline bool ev_s_same(uint8_t t, ev_s x, ev_s y)
{
    if (t == EV_KW || t == EV_IP)
        return x.s.n == y.s.n && (x.s.p == y.s.p || memcmp(x.s.p, y.s.p, x.s.n) == 0);
    if (t == EV_DOUBLE)
        return memcmp(&x.d, &y.d, sizeof x.d) == 0;
    return x.i == y.i;
}
/* x and y are the same cell: the same type, count and values, texts at the
 * same address (so the same text); false when unsure. The first word of the
 * values (the values' array, a text's address, an integer or a double's
 * bits) first, for every count but 0: the memos' test of every row, with
 * one branch less per kind of cell. */
static inline bool ev_same_cell(const ev *x, const ev *y)
{
    if (x->t != y->t || x->n != y->n)
        return false;
    if (x->n == 0)
        return true;
    if (x->one.i != y->one.i)
        return false;
    return x->n > 1 || (x->t != EV_KW && x->t != EV_IP) || x->one.s.n == y->one.s.n;
}
static inline ev ev_null(void) { return (ev){EV_NULL, 0, {.one = {.i = 0}}}; }
static inline ev ev_long(int64_t i) { return (ev){EV_LONG, 1, {.one = {.i = i}}}; }
static inline ev ev_bool(bool b) { return (ev){EV_BOOL, 1, {.one = {.i = b}}}; }
static inline ev ev_kw(th_str s) { return (ev){EV_KW, 1, {.one = {.s = s}}}; }

/* ---- expressions ------------------------------------------------------ */
typedef enum xkind {
    X_LIT, X_COL, X_NOT, X_AND, X_OR, X_CMP, X_ARITH, X_NEG, X_IN, X_LIKE, X_RLIKE,
    X_ISNULL, X_CALL,
} xkind;

enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

typedef struct xnode xnode;
struct xnode {
    uint8_t kind;
    uint8_t op;       /* CMP_* or the arithmetic character */
    bool neg;         /* NOT IN / NOT LIKE / NOT RLIKE / IS NOT NULL */
    int fn;           /* X_CALL: function id */
    th_str name;      /* X_COL: column; X_CALL: function name as written */
    ev lit;           /* X_LIT */
    xnode **kids;
    size_t nkids;
    void *aux;        /* compiled pattern (LIKE, RLIKE), KQL query, IN set (esql_inset) */
    unsigned line, col;
};

/* the string literals of an IN list that holds nothing else, sorted by
 * length, then bytes */
typedef struct esql_inset {
    th_str *v;
    size_t n;
} esql_inset;

/* ---- commands ---------------------------------------------------------- */
typedef enum ckind {
    C_FROM, C_WHERE, C_EVAL, C_STATS, C_KEEP, C_DROP, C_RENAME, C_SORT, C_LIMIT,
    C_DISSECT, C_GROK, C_MV_EXPAND,
} ckind;

typedef struct assign {
    th_str name;      /* output column (generated from the text when not given) */
    xnode *x;
    xnode *filter;    /* STATS agg WHERE cond */
} assign;

typedef struct sortkey {
    th_str name;
    bool desc, nulls_first;
} sortkey;

typedef struct dkey {
    th_str name;      /* empty: skipped key */
    th_str delim;     /* the text after the key up to the next %{ (may be empty) */
    bool skip;
} dkey;

typedef struct cmd {
    uint8_t kind;
    unsigned line, col;
    xnode *cond;                /* WHERE */
    assign *as;                 /* EVAL, STATS aggregates */
    size_t nas;
    assign *by;                 /* STATS BY (x NULL: a plain column) */
    size_t nby;
    th_str *names;              /* KEEP / DROP patterns, RENAME pairs (old, new), MV_EXPAND */
    size_t nnames;
    th_str **srcs;              /* KEEP: per pattern names[k], the schema's loadable fields it
                                 * matches, in schema order (th_esql_keep_compile) */
    size_t *nsrcs;
    sortkey *keys;              /* SORT */
    size_t nkeys;
    int64_t limit;              /* LIMIT */
    th_str field;               /* DISSECT / GROK input column */
    th_str prefix;              /* DISSECT: text before the first key */
    dkey *dk;                   /* DISSECT keys */
    size_t ndk;
    th_str append_sep;          /* DISSECT APPEND_SEPARATOR */
    void *re;                   /* GROK: compiled pcre2 pattern */
    th_str *gnames;             /* GROK: column of capture group i+1 (empty: none) */
    size_t ngroups;
    th_str *outcols;            /* DISSECT / GROK output columns, in order */
    size_t nout;
} cmd;

struct th_esql {
    cmd *cmds;
    size_t ncmds;
    char *index;
    bool meta_id, meta_version, meta_index;
    bool aggregating, has_limit;
    const char *file;
};

/* function ids */
enum {
    F_COUNT, F_COUNT_DISTINCT, F_VALUES, F_MIN, F_MAX, F_SUM, F_AVG, F_NAGG,
    F_CASE = F_NAGG, F_COALESCE, F_CONCAT, F_DATE_TRUNC, F_DATE_FORMAT, F_DATE_DIFF, F_NOW,
    F_TO_LOWER, F_TO_UPPER, F_TO_INTEGER, F_TO_LONG, F_TO_DOUBLE, F_TO_STRING, F_TO_BOOLEAN,
    F_STARTS_WITH, F_ENDS_WITH, F_MV_COUNT, F_MV_FIRST, F_MV_LAST, F_CIDR_MATCH, F_FROM_BASE64,
    F_KQL, F_LENGTH, F_ABS,
};
/* name -> id, -1 unknown; *minargs / *maxargs (-1: any) */
int th_esql_fn_lookup(th_str name, int *minargs, int *maxargs);

/* ---- run time ---------------------------------------------------------- */
typedef struct etab {
    size_t ncols, nrows, capcols;
    th_str *names;
    ev **cols;                  /* cols[c][r] */
    long *doc;                  /* per row: input document, -1 after STATS */
} etab;

/* Cell ids of a column (esql_val.c's load_keyed, in the prefix, for the
 * columns a memo may key on, a STATS groups by or VALUES, COUNT_DISTINCT,
 * MIN or MAX take bare: th_esql_memo_reads):
 * ids[row] < n, equal ids only where the rows hold the very same cell (the
 * same key, so the cell copied from the first row with it), so a memo over
 * such columns remembers by id (esql_memo's idv, idh), not by comparing
 * cells, and the panes' grouping finds a row's group by its BY columns'
 * ids (esql_cmd.c's group_cols), and its aggregates pass a row whose id
 * is the row before's where that changes nothing (esql_inc.c's part_loop). By the
 * column's cell array: a command that makes a new array makes no ids for
 * it; compact() keeps them with the rows it keeps in place. An EVAL whose
 * memo worked by id gives its column the same ids (its cells a function of
 * them). Freed with the prefix's run, or, handed out by
 * th_esql_run_prefix_kept, by th_esql_ids_free. */
enum { ESQL_IDCOLS = 32 };
typedef struct esql_ids {
    const ev *col;
    uint32_t *ids;
    uint32_t n;
    /* an EVAL's column whose cells are few (a flag of an action or an
     * organisation): per id, its cell's index among them by ev_same_cell
     * (cls, ncls of them: th_esql_ids_classes), and those per row, made
     * where a memo over two or three columns first asks
     * (th_esql_ids_values); else NULL */
    uint32_t *cls, *vals;
    uint32_t ncls;
} esql_ids;
typedef struct th_esql_ids {
    esql_ids ids[ESQL_IDCOLS];  /* the columns with cell ids */
    size_t nids;
    uint32_t *buf[ESQL_IDCOLS]; /* the id arrays made (malloc'd; several columns may share one) */
    size_t nbuf;
} esql_idset;

/* the column an X_COL node found last (esql_expr.c) */
enum { ESQL_HINTS = 64 };
typedef struct colhint {
    const xnode *x;
    long col;
    const char *name;   /* that column's name (names outlive every run) */
} colhint;

typedef struct erun {
    th_arena *a;
    const th_esql *q;
    const th_esql_doc *docs;
    size_t ndocs;
    int64_t now;
    uint64_t warnings;
    bool source;                /* columns not yet present may be loaded from documents */
    const char *err;
    long track;                 /* th_esql_run_traced: the document followed, else -1 */
    const th_esql_result *prefix; /* th_esql_run_prefix's result, being built: its
                                 * columns are its own (filtered in place) and those no
                                 * later command reads are dropped; else NULL */
    size_t at;                  /* the command running */
    th_arena *scratch;          /* the prefix's WHERE: the columns only it reads (else NULL) */
    th_esql_plain_fn plain;     /* th_esql_run_prefix_routed's (else NULL), with its ctx */
    const void *pctx;
    th_esql_key_texts_fn texts; /* th_esql_run_prefix_keyed's (else NULL) */
    th_esql_key_ids_fn key_ids; /* th_esql_run_prefix_kept's (else NULL) */
    colhint hint[ESQL_HINTS];   /* by node address */
    esql_idset *ids;            /* cell ids (esql_ids): made in the prefix, read by its panes; else NULL */
    const long *rows0;          /* source_rows' doc array, row i document i: a table whose doc is it
                                 * with ndocs rows was never filtered (only compact writes into it,
                                 * in place and leaving fewer rows), so its row i is document i */
    struct esql_keepmemo *keeps; /* th_esql_keep's answers kept from run to run (ESQL_KEEP_MEMOS:
                                 * th_esql_panes_run's windows), else NULL */
} erun;

/* A KEEP or DROP over columns it saw before (th_esql_keep): the windows of
 * one rule run the same commands after their STATS over columns of the same
 * names every run, and ranking each name against each pattern was ~4k
 * instructions a call (b100k pack: 633 calls, 2.8 M). Which columns come
 * out, and in which order, depends only on the input's names, so a call
 * whose input names equal the kept ones (same count, same bytes) takes the
 * kept selection. Names and selection are heap copies (not charged, like
 * the windows' other memos). */
enum { ESQL_KEEP_MEMOS = 4 };
typedef struct esql_keepmemo {
    const struct cmd *c; /* the command it answers; NULL: free */
    size_t n;            /* its input's columns */
    th_str *names;       /* their names (text in the same block) */
    uint32_t *sel;       /* the output's columns by input index, w of them */
    size_t w;
} esql_keepmemo;
void th_esql_keepmemo_free(esql_keepmemo *m);

/* esql_run.c: whether a memo may key on the column or a STATS groups by it
 * (its ids are worth making) */
bool th_esql_memo_reads(const th_esql *q, th_str name);
/* esql_val.c: cell ids (esql_ids) */
const esql_ids *th_esql_ids_of(const erun *r, const ev *col);
void th_esql_ids_add(erun *r, const ev *col, uint32_t *ids, uint32_t n);
/* col's cells by id are cls[id] < ncls (cls malloc'd, now the idset's;
 * freed here where the idset has no room) */
void th_esql_ids_classes(erun *r, const ev *col, uint32_t *cls, uint32_t ncls);
/* the classes per row of t of col's ids (their vals), made at the first
 * call; NULL where col has no ids or classes, or the idset has no room */
const uint32_t *th_esql_ids_values(erun *r, const etab *t, const ev *col);
/* the rows kept at[0..n) of the table (compact, in place) and only the
 * columns still in it */
void th_esql_ids_compact(erun *r, const etab *t, const size_t *at, size_t n);

/* a row's doc after STATS when its group holds the followed document */
#define ESQL_TRACKED (-2L)

struct th_esql_result {
    etab t;
    uint64_t warnings;
    size_t *rows_in, *rows_out; /* per command */
    long track;                 /* the followed document, else -1 */
    size_t *tracked;            /* th_esql_run_traced: per command, the rows out that hold the
                                 * followed document (NULL: not followed) */
    size_t ncmds;
    bool source;                /* columns may still be loaded from the documents */
    size_t next;                /* th_esql_run_prefix: the first command not run */
    const xnode **where;        /* th_esql_run_prefix: per command, the WHERE condition run
                                 * in the prefix (NULL: none); NULL: each command's own */
    const xnode *deferred;      /* th_esql_run_prefix: conditions on NOW() moved out of the
                                 * prefix's WHEREs, to filter each window's rows first */
};

/* esql_run.c: the pieces th_esql_run is made of */
th_esql_result *th_esql_new_result(th_arena *a, const th_esql *q);
/* the conditions on NOW() the prefix defers to each window (res->deferred
 * of every run of it), planned in arena a; NULL: none */
const xnode *th_esql_prefix_deferred(th_arena *a, const th_esql *q);
void th_esql_run_cmds(erun *r, th_esql_result *res, size_t from, size_t to);
th_esql_result *th_esql_finish(erun *r, th_esql_result *res, size_t limit, const char **err);
bool th_esql_uses_now(const xnode *x);
/* x reads NOW() or a document (KQL()): its value over one table may differ
 * from run to run */
bool th_esql_reads_run(const xnode *x);
/* a WHERE in two parts (esql_run.c): how many of its first conjuncts read
 * neither NOW() nor a document (0: no split); their outcome per row; the
 * WHERE's rows given it */
size_t th_esql_where_split(const xnode *cond);
uint8_t *th_esql_where_first(erun *r, etab *t, const xnode *cond, size_t nfirst);
void th_esql_where_then(erun *r, etab *t, const xnode *cond, size_t nfirst, const uint8_t *first);

/* esql_val.c */
int th_ev_cmp(const ev *a, uint32_t ia, const ev *b, uint32_t ib); /* same-family scalars */
bool th_ev_comparable(const ev *a, const ev *b);
ev th_ev_from_doc(th_arena *a, const th_jval *doc, th_str field);
/* the same over a document however held (th_esql_doc.each), with the field's
 * schema entry (NULL: unmapped) looked up by the caller */
struct th_field_def;
ev th_ev_from_esql_doc(th_arena *a, const th_esql_doc *in, th_str field, const struct th_field_def *d);
ev th_ev_make(th_arena *a, uint8_t t, const ev_s *vals, uint32_t n);
th_str th_ev_text(th_arena *a, uint8_t t, ev_s s); /* a scalar as keyword text */
th_jval *th_ev_json(th_arena *a, const ev *v);
const char *th_ev_type_name(uint8_t t);
/* column index of name in t, or -1 (nothing loaded) */
long th_etab_find(const etab *t, th_str name);
/* column index of name in t, loading it from documents while r->source; -1 */
long th_etab_col(erun *r, etab *t, th_str name);
/* esql_run.c: the arena a column loaded now takes its cells from: r->scratch
 * for one that only the prefix's WHERE running reads, else r->a */
th_arena *th_esql_col_arena(const erun *r, th_str name);
void th_etab_set(erun *r, etab *t, th_str name, ev *vals); /* add or replace (moved last) */

/* esql_expr.c */
ev th_esql_eval(erun *r, etab *t, size_t row, const xnode *x);
/* the truth of a condition (NULL counts as false) */
bool th_esql_true(erun *r, etab *t, size_t row, const xnode *x);

/* An expression evaluated row after row of one table (WHERE, EVAL, an
 * aggregate's argument or filter). Its value is a function of the cells of
 * the columns it reads (KQL(), which reads the document, is never
 * remembered): a row whose cells there are those of the row evaluated just
 * before (ev_same_cell: runs of the same action, user, flag) gets that row's
 * value, and counts the warnings that row counted. With th_esql_memo_cache,
 * an expression of at most ESQL_MEMO_CACHED columns also remembers, once
 * ESQL_MEMO_WARM rows missed, the values of earlier rows by their cells
 * (a direct-mapped table of ESQL_MEMO_SLOTS: users and ASNs that come back
 * after others); th_esql_memo_free frees it. A CASE whose values are
 * columns or literals remembers, by its conditions' cells alone, which value
 * they pick (a time or an action read in a branch, new in almost every row,
 * would make every row a miss). Where its key columns (one to
 * ESQL_MEMO_CACHED) have cell ids (esql_ids: the prefix's captured columns
 * and EVALs of one of them), it remembers by the ids instead, every value
 * kept: a row's test is a load or a hash of its ids, not a comparison of
 * cells, and a user, action and type met before is no miss however many
 * came between. In the prefix, two or three key columns of which some
 * have none (GROK's, DISSECT's) give those ids by their cells
 * (memo_cell_ids, idown). */
enum { ESQL_MEMO_COLS = 8, ESQL_MEMO_CACHED = 3, ESQL_MEMO_SLOTS = 256, ESQL_MEMO_WARM = 16 };
/* idh's packing: key column k's id, under 2^ESQL_MEMO_ID_BITS, at bit
 * idsh[k] = ESQL_MEMO_ID_BITS * k */
enum { ESQL_MEMO_ID_BITS = 21 };
/* what a row's cells gave: the value, or the picked column's cell */
typedef struct esql_memo_val {
    ev out;
    long pcol;                  /* picks: the column whose cell is the value, -1: out is */
    uint64_t warn;
} esql_memo_val;
typedef struct esql_memo_slot {
    ev in[ESQL_MEMO_CACHED];
    esql_memo_val v;
} esql_memo_slot;
typedef struct esql_memo_ent {
    uint64_t key;
    esql_memo_val v;
} esql_memo_ent;
typedef struct esql_memo {
    const xnode *x;
    int state;                  /* 0: columns not all in the table yet, 1: remembered, -1: never */
    size_t tcols;               /* the table's column count when last looked up */
    th_str names[ESQL_MEMO_COLS];
    long cols[ESQL_MEMO_COLS];
    size_t ncols;
    size_t nkey;                /* the columns whose cells are compared: cols[0..nkey) */
    bool partial;               /* keyed on the columns in the table, not all yet (memo_resolve) */
    bool picks;                 /* a CASE of columns and literals: remembers the pick */
    bool have;
    /* the row before's cells and what they gave: in and v, or the slot it
     * found them in (a slot is always written whole, so a later row's
     * entry there is as good): a hit in the table sets two pointers */
    const ev *lin;
    const esql_memo_val *lv;
    ev in[ESQL_MEMO_COLS];
    esql_memo_val v;
    bool cache;                 /* th_esql_memo_cache was called */
    size_t misses;
    esql_memo_slot *slots;      /* malloc'd once warm (not cleared: used says which are set) */
    uint64_t used[ESQL_MEMO_SLOTS / 64];
    /* one key column with cell ids (esql_ids): the value per id (pcol
     * ESQL_MEMO_UNSET: not yet), for the column's array idcol */
    esql_memo_val *idv;
    const uint32_t *ids;
    const ev *idcol;
    bool idoff;                 /* ids were given up (a key column changed) */
    /* two or three key columns with cell ids: the values by their ids
     * packed into one word (each shifted by idsh[k]; plus one, 0 marking
     * a free entry), in an open-addressed table grown at half full */
    esql_memo_ent *idh;
    size_t idcap, idlen;
    const uint32_t *idsk[ESQL_MEMO_CACHED];
    const ev *idcolk[ESQL_MEMO_CACHED];
    unsigned idsh[ESQL_MEMO_CACHED];
    uint32_t *idown[ESQL_MEMO_CACHED]; /* ids the memo made by cells (memo_cell_ids), else NULL */
    /* split: an AND, OR, NOT or CASE of literal values over more columns
     * than a table keys on, evaluated from its kids' memos (sub, one per
     * operand or condition, made on first use; esql_expr.c, split_eval) */
    size_t nsplit; /* 0: not split */
    struct esql_memo *sub;
} esql_memo;
#define ESQL_MEMO_UNSET (-2L)
/* the packed key of the row's ids (idh) */
static inline uint64_t th_esql_memo_idkey(const esql_memo *m, size_t row)
{
    uint64_t key = 1;
    for (size_t k = 0; k < m->nkey; k++)
        key += (uint64_t)m->idsk[k][row] << m->idsh[k];
    return key;
}
static inline size_t th_esql_memo_idslot(const esql_memo *m, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 29) & (m->idcap - 1);
}
/* Ownership: a memo points into itself; it is initialised where it lives
 * and never copied. */
void th_esql_memo_init(esql_memo *m, const xnode *x);
void th_esql_memo_cache(esql_memo *m);
void th_esql_memo_free(esql_memo *m);
ev th_esql_eval_memo_call(erun *r, etab *t, size_t row, esql_memo *m);

/* A word of a cell for the tables' hashes (the memos' table of earlier
 * cells, the grouping's hints), the same for cells ev_same_cell finds the
 * same: its type and count, and its first value (a text's bytes, by
 * th_str_hash_sample; an integer or a double's bits). Never an address: which rows find their
 * cells in those tables decides which evaluate again, and an evaluation
 * may allocate in the run's arena (TO_UPPER's text, TO_DOUBLE's values of
 * a multi-valued cell, a number's key text), whose bytes are charged
 * (--max-memory, the printed peaks): hashed by address, they moved with
 * the heap's layout from run to run. */
static inline uint64_t th_esql_cell_word(const ev *v)
{
    uint64_t w = (uint64_t)v->t << 56 | v->n;
    if (v->n == 0)
        return w;
    ev_s s = v->n == 1 ? v->one : v->many[0];
    return w ^ (v->t == EV_KW || v->t == EV_IP ? th_str_hash_sample(s.s) : (uint64_t)s.i);
}
/* the table slot of the row's cells (nkey > 0) */
__attribute__((always_inline)) static inline size_t th_esql_memo_slot(const etab *t, size_t row,
                                                                      const esql_memo *m)
{
    uint64_t h = th_esql_cell_word(&t->cols[m->cols[0]][row]) * 0x9E3779B97F4A7C15ull;
    for (size_t k = 1; k < m->nkey; k++)
        h = (h ^ th_esql_cell_word(&t->cols[m->cols[k]][row])) * 0xBF58476D1CE4E5B9ull;
    return (size_t)(h >> 56) % ESQL_MEMO_SLOTS;
}
static inline bool th_esql_memo_same(const etab *t, size_t row, const esql_memo *m, const ev *in)
{
    for (size_t k = 0; k < m->nkey; k++)
        if (!ev_same_cell(&t->cols[m->cols[k]][row], &in[k]))
            return false;
    return true;
}
/* Inline, the row whose cells are those of the row before (most rows: runs
 * of the same dataset, outcome, user, ASN), then the table (a hash of the
 * cells' first values and their comparison: users and ASNs coming back); the
 * rest in the call. The value by address: the remembered one, the picked
 * column's cell, or *tmp (the call's), valid until the memo's next use. */
__attribute__((always_inline)) static inline const ev *th_esql_eval_memo_at(erun *r, etab *t, size_t row,
                                                                     esql_memo *m, ev *tmp)
{
    if (m->idv) { /* by the key column's cell id */
        if (t->cols[m->cols[0]] == m->idcol) {
            const esql_memo_val *v = &m->idv[m->ids[row]];
            if (v->pcol != ESQL_MEMO_UNSET) {
                r->warnings += v->warn;
                return v->pcol < 0 ? &v->out : &t->cols[v->pcol][row];
            }
        }
        goto call;
    }
    if (m->idh) { /* by the key columns' cell ids */
        for (size_t k = 0; k < m->nkey; k++)
            if (t->cols[m->cols[k]] != m->idcolk[k])
                goto call;
        uint64_t key = th_esql_memo_idkey(m, row);
        for (size_t j = th_esql_memo_idslot(m, key); m->idh[j].key; j = (j + 1) & (m->idcap - 1))
            if (m->idh[j].key == key) {
                const esql_memo_val *v = &m->idh[j].v;
                r->warnings += v->warn;
                return v->pcol < 0 ? &v->out : &t->cols[v->pcol][row];
            }
        goto call;
    }
    if (m->state == 1 && m->have) {
        size_t k = 0;
        while (k < m->nkey && ev_same_cell(&t->cols[m->cols[k]][row], &m->lin[k]))
            k++;
        const esql_memo_val *v = m->lv;
        if (k < m->nkey) {
            if (!m->slots || m->partial)
                goto call;
            size_t si = th_esql_memo_slot(t, row, m);
            const esql_memo_slot *s = &m->slots[si];
            if (!(m->used[si / 64] >> (si % 64) & 1) || !th_esql_memo_same(t, row, m, s->in))
                goto call;
            m->lin = s->in;
            m->lv = v = &s->v;
        }
        r->warnings += v->warn;
        return v->pcol < 0 ? &v->out : &t->cols[v->pcol][row];
    }
call:
    *tmp = th_esql_eval_memo_call(r, t, row, m);
    return tmp;
}
__attribute__((always_inline)) static inline ev th_esql_eval_memo(erun *r, etab *t, size_t row, esql_memo *m)
{
    ev tmp;
    return *th_esql_eval_memo_at(r, t, row, m, &tmp);
}
/* the same as truth(): 1 true, 0 false, -1 NULL (a multi-valued one: NULL
 * and a warning); in line, as the memo's hit (a WHERE conjunct per row):
 * GCC made it a call with six registers saved (do_where's 48.6k rows of
 * the b100k pack past the implied conjuncts: -0.84 M in line) */
__attribute__((always_inline)) static inline int th_esql_truth_memo(erun *r, etab *t, size_t row,
                                                                    esql_memo *m)
{
    ev tmp;
    const ev *v = th_esql_eval_memo_at(r, t, row, m, &tmp);
    if (v->n > 1) {
        r->warnings++;
        return -1;
    }
    if (v->n == 0 || v->t != EV_BOOL)
        return -1;
    return v->one.i != 0;
}
static inline bool th_esql_true_memo(erun *r, etab *t, size_t row, esql_memo *m)
{
    return th_esql_truth_memo(r, t, row, m) == 1;
}

/* esql_cmd.c */
bool th_esql_stats(erun *r, etab *t, const cmd *c);
/* STATS in parts (for esql_inc.c): the groups of rows[0..nrows) of t (rows
 * NULL: 0..nrows-1) by c's BY values, in order of first appearance, each
 * with its BY values, its identity text and its rows (ascending); every
 * aggregate of c over an explicit row list; the reduction of an aggregate's
 * collected values (the values sorted and de-duplicated in place for VALUES
 * and COUNT_DISTINCT); the output table of ng groups from the aggregate
 * columns (aggcols[k][g]) and the BY values (keys[g][k]). */
typedef struct esql_group {
    ev *keys;
    size_t *rows;
    size_t nrows, cap;
    th_str key;
} esql_group;
size_t th_esql_group(erun *r, etab *t, const cmd *c, const size_t *rows, size_t nrows, esql_group **out);
ev th_esql_agg_rows(erun *r, etab *t, const assign *as, const size_t *rows, size_t nrows);
ev th_esql_agg_reduce(erun *r, int fn, uint8_t type, ev_s *vals, uint32_t nv);
uint32_t th_esql_sort_distinct(uint8_t type, ev_s *vals, uint32_t nv);
etab th_esql_stats_out(erun *r, const cmd *c, ev **aggcols, ev *const *keys, size_t ng);
bool th_esql_dissect(erun *r, etab *t, const cmd *c);
bool th_esql_grok(erun *r, etab *t, const cmd *c);
bool th_esql_keep(erun *r, etab *t, const cmd *c, bool drop);
/* at parse: the source fields each KEEP pattern names (a scan of the schema
 * per pattern, once, not in every run) */
void th_esql_keep_compile(th_arena *a, cmd *c);
void th_esql_sort(erun *r, etab *t, const cmd *c);

/* esql_grok.c: pattern -> pcre2 (named groups renamed), at parse */
bool th_esql_grok_compile(th_arena *a, th_str pat, cmd *c, char *err, size_t cap);
bool th_esql_dissect_compile(th_arena *a, th_str pat, cmd *c, char *err, size_t cap);

#endif
