/* engine: the values a match captures (hotpass.c capture). Each match's list
 * of a field must hold the event's own value, and a field's strings are
 * stored once while it has few distinct ones: two matches share a list
 * exactly when their values are equal. The look-ups that find a stored
 * string (the last one, the recent entries, the table) are checked with
 * values made to meet them wrongly: of one length, differing in one byte
 * (first, middle, last, the edges of the words compared), with the same
 * first, middle and last eight bytes (one recent entry: in the longer
 * strings some of the bytes changed, 8, 9, 15, 16, n - 9, n - 16, n - 17,
 * lie outside those words; strings of up to 16 bytes, which the last
 * string's test compares as two words, vary at every byte), escaped, empty;
 * fed in an
 * order with runs and returns. Every way a commit finds the values is
 * checked: a walk of the document (a filter that reads no field), the
 * evaluation's shared fields (a query reading the captured field), and the
 * values found by the workers (threads > 1). The second field's strings,
 * some of which need escapes, are stored while the table takes them and
 * then copied per event (th_json_quote_copy, both ways): each must read
 * back as the event's own. The third field has 5,000 distinct strings too,
 * but every third event brings a new one and the others return to an
 * earlier one: past TH_CAP_INTERN_MAX its strings are still stored (most of
 * its events repeat one), so its lists are shared exactly when the values
 * are equal, as the first field's. */
#include "fixture.h"

#include "engine/internal.h"
#include "query/query.h"

#define NEV 15000
#define MANY 5000 /* distinct values of the second field: past TH_CAP_INTERN_MAX */

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

typedef struct pool {
    char *v[1024];
    size_t n;
} pool;

static void add(pool *p, th_arena *a, const char *s)
{
    assert_true(p->n < sizeof p->v / sizeof p->v[0]);
    p->v[p->n++] = th_arena_strdup(a, s);
}

/* strings of each length around the words compared, each with variants
 * that differ from it in one byte (so share its length, and mostly its
 * first and last eight bytes) */
static void make_pool(pool *p, th_arena *a)
{
    static const size_t lens[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  12,
                                  15, 16, 17, 23, 24, 25, 31, 32, 33, 40, 130};
    char buf[256];
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i];
        for (size_t k = 0; k < n; k++)
            buf[k] = (char)('a' + (k * 7 + n) % 26);
        buf[n] = 0;
        add(p, a, buf);
        size_t at[] = {0, 1, 7, 8, 9, n / 2, n - 9, n - 8, n - 1, n - 16, n - 17, 15, 16};
        /* up to 16 bytes (compared as the two words kept for the last
         * string): a variant at every byte */
        size_t nat = n <= 16 ? n : sizeof at / sizeof at[0];
        for (size_t j = 0; j < nat; j++) {
            size_t k = n <= 16 ? j : at[j];
            if (k >= n) /* also the wrapped n - k of short strings */
                continue;
            char c = buf[k];
            buf[k] = c == 'Z' ? 'Y' : 'Z';
            bool dup = false;
            for (size_t q = 0; q < p->n && !dup; q++)
                dup = strcmp(p->v[q], buf) == 0;
            if (!dup)
                add(p, a, buf);
            buf[k] = c;
        }
    }
    add(p, a, "a\"b"); /* escaped when stored: the key is then a copy */
    add(p, a, "a\\b");
    add(p, a, "\"");
    add(p, a, "2024-01-01T00:00:00.000Z");
    add(p, a, "2024-01-01T00:00:01.000Z");
}

/* s as a JSON string's inner text */
static char *escaped(th_arena *a, const char *s)
{
    char *o = th_arena_alloc(a, 6 * strlen(s) + 1), *w = o;
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20) {
            w += sprintf(w, "\\u%04x", (unsigned)*s);
            continue;
        }
        if (*s == '"' || *s == '\\')
            *w++ = '\\';
        *w++ = *s;
    }
    *w = 0;
    return o;
}

/* what follows some addresses: texts written with escapes (a quote, a
 * backslash, control bytes) and without (UTF-8, '/'), at the start of a
 * 16-byte block and across one, so that a copy of the address's text made
 * without its escapes, or cut short, reads back as another string */
static const char *const addr_tail[] = {"", "", "\"q", "\\b", "\t", "\x01", "\x1f/",
                                        "\xc3\xa9t\xc3\xa9", "/x/", "0123456789abcde\"",
                                        "0123456789abcdef\n"};

/* the captured text (JSON) of a list's one value, read back */
static void check_value(const th_vlist *l, const char *want, size_t ev, const char *field)
{
    if (l->n != 1)
        fail_msg("event %zu, %s: %u values", ev, field, l->n);
    th_arena a;
    th_arena_init(&a, 1024);
    th_json_error err;
    th_jval *v = th_json_parse(&a, l->v[0].p, l->v[0].n, &err);
    if (!v || v->type != TH_JSTR || !th_str_eqc(v->u.str, want))
        fail_msg("event %zu, %s: captured %.*s, the event holds \"%s\"", ev, field, (int)l->v[0].n,
                 l->v[0].p, want);
    th_arena_free(&a);
}

/* The lists of a run's matches, per match its three fields' list ids, and
 * the bytes the engine kept for them */
typedef struct kept {
    uint32_t ids[NEV][3];
    uint64_t match_bytes;
} kept;

/* path 0: a filter that reads nothing (the commit walks the document);
 * 1: a query that reads the captured field; 2: the same with workers. The
 * events' values are drawn from seed; out (NULL: not kept) gets the lists. */
static void run_seeded(int path, uint64_t seed, kept *out)
{
    th_arena qa;
    th_arena_init(&qa, 65536);
    pool p = {0};
    make_pool(&p, &qa);
    fx f;
    fx_init(&f);
    fx_start(&f);
    if (path == 2)
        th_engine_set_threads(f.e, 2);
    th_rule r;
    const char *fields[] = {"user.name", "source.address", "user.id"};
    fx_rule(&r, TH_RULE_THRESHOLD, "CAP", 6, 5, 100);
    r.threshold_fields.items = fields;
    r.threshold_fields.len = 3;
    stub_pred all = {NULL, NULL};
    if (path == 0) {
        th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    } else {
        th_diags d;
        th_diags_init(&d);
        const char *text = "not user.name: \"never-seen\"";
        th_query *q = th_query_compile(&qa, TH_QLANG_KQL, text, strlen(text), NULL, &d);
        th_diags_free(&d);
        assert_non_null(q);
        th_engine_add_query(f.e, &r, q, &qa, NULL);
    }
    const char **user = th_arena_alloc(&qa, NEV * sizeof *user);
    char **addr = th_arena_alloc(&qa, NEV * sizeof *addr);
    size_t *uid = th_arena_alloc(&qa, NEV * sizeof *uid);
    uint64_t s = seed;
    size_t prev = 0;
    for (size_t i = 0; i < NEV; i++) {
        /* runs of one value, returns to recent ones, and jumps */
        uint64_t x = rng(&s);
        size_t k = x % 3 == 0 ? prev : x % 3 == 1 ? (prev + x % 5) % p.n : (size_t)(x >> 8) % p.n;
        prev = k;
        user[i] = p.v[k];
        addr[i] = th_arena_printf(&qa, "10.%u.%u.%u%s", (unsigned)(i % MANY / 65536),
                                  (unsigned)(i % MANY / 256 % 256), (unsigned)(i % MANY % 256),
                                  addr_tail[i % MANY % (sizeof addr_tail / sizeof addr_tail[0])]);
        /* a new id every third event, else one of the earlier ones */
        uid[i] = i % 3 == 0 ? i / 3 : (size_t)(rng(&s) >> 8) % (i / 3 + 1);
        char *extra = th_arena_printf(
            &qa, "\"user\":{\"name\":\"%s\",\"id\":\"uid-%zu\"},\"source\":{\"address\":\"%s\"}",
            escaped(&qa, user[i]), uid[i], escaped(&qa, addr[i]));
        fx_ev(&f, th_arena_printf(&qa, "e%zu", i), (double)i / 100, (double)i / 100, extra);
    }
    const th_erule *er = f.e->rules.items[0];
    assert_int_equal(er->matches.len, NEV);
    uint32_t *id_of = th_arena_alloc(&qa, p.n * sizeof *id_of);
    for (size_t k = 0; k < p.n; k++)
        id_of[k] = UINT32_MAX;
    uint32_t *uid_list = th_arena_alloc(&qa, (NEV / 3 + 1) * sizeof *uid_list);
    for (size_t k = 0; k <= NEV / 3; k++)
        uid_list[k] = UINT32_MAX;
    for (size_t i = 0; i < NEV; i++) {
        const th_match *m = &er->matches.items[i];
        assert_int_equal(m->order, i);
        /* the third field: its value's one list, another value's never */
        const th_vlist *ul = th_match_list(f.e, m, 2);
        char want[32];
        snprintf(want, sizeof want, "uid-%zu", uid[i]);
        check_value(ul, want, i, "user.id");
        if (uid_list[uid[i]] == UINT32_MAX) {
            for (size_t k = 0; k <= NEV / 3; k++)
                if (uid_list[k] == ul->id)
                    fail_msg("event %zu: uid-%zu has the list of uid-%zu", i, uid[i], k);
            uid_list[uid[i]] = ul->id;
        } else if (uid_list[uid[i]] != ul->id) {
            fail_msg("event %zu: uid-%zu has a list of its own, not its stored one", i, uid[i]);
        }
        const th_vlist *u = th_match_list(f.e, m, 0);
        if (out) {
            out->ids[i][0] = u->id;
            out->ids[i][1] = th_match_list(f.e, m, 1)->id;
            out->ids[i][2] = ul->id;
        }
        check_value(u, user[i], i, "user.name");
        check_value(th_match_list(f.e, m, 1), addr[i], i, "source.address");
        /* few distinct names: each stored once, its list shared */
        size_t k = 0;
        while (p.v[k] != user[i])
            k++;
        if (id_of[k] == UINT32_MAX) {
            for (size_t j = 0; j < p.n; j++)
                if (id_of[j] == u->id)
                    fail_msg("event %zu: \"%s\" has the list of \"%s\"", i, user[i], p.v[j]);
            id_of[k] = u->id;
        } else if (id_of[k] != u->id) {
            fail_msg("event %zu: \"%s\" has a list of its own, not its stored one", i, user[i]);
        }
    }
    /* what the engine keeps only grew, match by match: its peak is what the
     * last commit left (th_engine_commit notes it once per event) */
    uint64_t docs, doc_bytes, match_bytes;
    th_engine_memory(f.e, &docs, &doc_bytes, &match_bytes);
    bool reached;
    assert_true(match_bytes > NEV * sizeof(th_match));
    if (out)
        out->match_bytes = match_bytes;
    assert_int_equal(th_engine_retained_peak(f.e, &reached),
                     doc_bytes + match_bytes + f.e->state_bytes);
    fx_free(&f);
    th_arena_free(&qa);
}

static void run(int path)
{
    run_seeded(path, 0x2545F4914F6CDD1Dull + (uint64_t)path, NULL);
}

static void capture_by_walk(void **state)
{
    (void)state;
    run(0);
}

static void capture_from_fields(void **state)
{
    (void)state;
    run(1);
}

static void capture_from_workers(void **state)
{
    (void)state;
    run(2);
}

/* The same events with one thread and with workers (the values the workers
 * found, handed to the commit as ranges): every match keeps the same lists
 * (ids), and the engine the same bytes, also once the second field's 5,000
 * strings have filled the engine's table (each later string a list of its
 * own). These events are documents, whose fields the workers hand over as
 * values; the strings of raw records' slot documents, which they number
 * (hotpass.c lid_of), are checked the same way by tests/cli/test_pipeline.sh. */
static void workers_keep_one_threads_lists(void **state)
{
    (void)state;
    kept *one = th_xmalloc(sizeof *one), *two = th_xmalloc(sizeof *two);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        run_seeded(1, seed * 0x9E3779B97F4A7C15ull, one);
        run_seeded(2, seed * 0x9E3779B97F4A7C15ull, two);
        for (size_t i = 0; i < NEV; i++)
            for (size_t k = 0; k < 3; k++)
                if (one->ids[i][k] != two->ids[i][k])
                    fail_msg("seed %u, event %zu, field %zu: list %u with workers, %u with one "
                             "thread",
                             (unsigned)seed, i, k, two->ids[i][k], one->ids[i][k]);
        assert_int_equal(one->match_bytes, two->match_bytes);
    }
    free(one);
    free(two);
}

/* Two rules whose captures overlap (the second's fields found by the first's
 * match of the event, or anew), one of them an array of up to 1,500 strings
 * (more than the workers' first room for values), one absent: the lists of
 * every match (a field twice in one of them), found by the workers (threads 2), hold the strings
 * the commit finds itself with one thread, and the array's lists all of its strings. */
#define NARR 60
static const char *arr_fields[2][4] = {{"tags", "user.name", "absent.field", "user.name"},
                                       {"user.name", "host.name", "tags", "tags"}};

static size_t arr_len(size_t i)
{
    return i % 5 == 0 ? 1500 : i % 7;
}

/* rule k's matches, in the order of the events, each field's strings */
static void arr_run(unsigned threads, th_arena *qa, th_str *out[2][NARR][4],
                    uint32_t nout[2][NARR][4])
{
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_engine_set_threads(f.e, threads);
    th_rule r[2];
    for (size_t k = 0; k < 2; k++) {
        fx_rule(&r[k], TH_RULE_THRESHOLD, k ? "ARR1" : "ARR0", 6, 5, 100);
        r[k].threshold_fields.items = arr_fields[k];
        r[k].threshold_fields.len = 4;
        th_diags d;
        th_diags_init(&d);
        const char *text = "not user.name: \"never-seen\"";
        th_query *q = th_query_compile(qa, TH_QLANG_KQL, text, strlen(text), NULL, &d);
        th_diags_free(&d);
        assert_non_null(q);
        th_engine_add_query(f.e, &r[k], q, qa, NULL);
    }
    for (size_t i = 0; i < NARR; i++) {
        th_buf b = {0};
        th_buf_printf(&b, "\"user\":{\"name\":\"u%zu\"},\"tags\":[", i % 4);
        for (size_t j = 0; j < arr_len(i); j++)
            th_buf_printf(&b, "%s\"t%zu-%zu\"", j ? "," : "", i, j);
        th_buf_printf(&b, "]%s", i % 2 ? ",\"host\":{\"name\":\"h\"}" : "");
        fx_ev(&f, th_arena_printf(qa, "a%zu", i), (double)i / 100, (double)i / 100,
              th_arena_strndup(qa, b.data, b.len));
        th_buf_free(&b);
    }
    for (size_t k = 0; k < 2; k++) {
        const th_erule *er = f.e->rules.items[k];
        assert_int_equal(er->matches.len, NARR);
        for (size_t i = 0; i < NARR; i++)
            for (size_t c = 0; c < 4; c++) {
                const th_vlist *l = th_match_list(f.e, &er->matches.items[i], c);
                nout[k][i][c] = l->n;
                out[k][i][c] = th_arena_alloc(qa, (l->n + 1) * sizeof(th_str));
                for (uint32_t v = 0; v < l->n; v++)
                    out[k][i][c][v] =
                        th_str_make(th_arena_strndup(qa, l->v[v].p, l->v[v].n), l->v[v].n);
            }
    }
    fx_free(&f);
}

static void capture_arrays_from_workers(void **state)
{
    (void)state;
    th_arena qa;
    th_arena_init(&qa, 1 << 20);
    static th_str *one[2][NARR][4], *two[2][NARR][4];
    static uint32_t none[2][NARR][4], ntwo[2][NARR][4];
    arr_run(1, &qa, one, none);
    arr_run(2, &qa, two, ntwo);
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < NARR; i++)
            for (size_t c = 0; c < 4; c++) {
                const char *name = arr_fields[k][c];
                if (strcmp(name, "tags") == 0 && ntwo[k][i][c] != arr_len(i))
                    fail_msg("rule %zu, event %zu: %u tags of %zu", k, i, ntwo[k][i][c],
                             arr_len(i));
                if (none[k][i][c] != ntwo[k][i][c])
                    fail_msg("rule %zu, event %zu, %s: %u values, %u with one thread", k, i, name,
                             ntwo[k][i][c], none[k][i][c]);
                for (uint32_t v = 0; v < ntwo[k][i][c]; v++)
                    if (!th_str_eq(one[k][i][c][v], two[k][i][c][v]))
                        fail_msg("rule %zu, event %zu, %s: value %u differs", k, i, name, v);
            }
    th_arena_free(&qa);
}

/* A rule's matches share their row of ids exactly where the ids are
 * equal (hotpass.c row_keep): six pairs of values, each in runs of three
 * events and coming back after the others, read back as each event's own;
 * a match whose ids are the previous one's has its row, and the six pairs
 * take six rows, not one a match. */
#define NROW 600
static void rows_shared(void **state)
{
    (void)state;
    th_arena qa;
    th_arena_init(&qa, 65536);
    fx f;
    fx_init(&f);
    fx_start(&f);
    th_rule r;
    const char *fields[] = {"user.name", "host.name"};
    fx_rule(&r, TH_RULE_THRESHOLD, "ROWS", 6, 5, 100);
    r.threshold_fields.items = fields;
    r.threshold_fields.len = 2;
    stub_pred all = {NULL, NULL};
    th_engine_add_rule(f.e, &r, stub_match, &all, NULL, 0, NULL);
    for (size_t i = 0; i < NROW; i++) {
        size_t pair = (i / 3 + i / 37) % 6;
        fx_ev(&f, th_arena_printf(&qa, "r%zu", i), (double)i / 100, (double)i / 100,
              th_arena_printf(&qa, "\"user\":{\"name\":\"u%zu\"},\"host\":{\"name\":\"h%zu\"}",
                              pair % 3, pair / 3));
    }
    const th_erule *er = f.e->rules.items[0];
    assert_int_equal(er->matches.len, NROW);
    uint32_t rows[NROW];
    size_t nrows = 0;
    for (size_t i = 0; i < NROW; i++) {
        const th_match *m = &er->matches.items[i];
        size_t pair = (i / 3 + i / 37) % 6;
        char want[8];
        snprintf(want, sizeof want, "u%zu", pair % 3);
        check_value(th_match_list(f.e, m, 0), want, i, "user.name");
        snprintf(want, sizeof want, "h%zu", pair / 3);
        check_value(th_match_list(f.e, m, 1), want, i, "host.name");
        if (i &&
            memcmp(th_match_row(f.e, &m[-1]), th_match_row(f.e, m), 2 * sizeof(uint32_t)) == 0 &&
            m[-1].fv != m->fv)
            fail_msg("match %zu: the ids of the one before, a row of its own", i);
        size_t k = 0;
        while (k < nrows && rows[k] != m->fv)
            k++;
        if (k == nrows)
            rows[nrows++] = m->fv;
    }
    assert_int_equal(nrows, 6);
    fx_free(&f);
    th_arena_free(&qa);
}

/* The commit on a slot document (th_engine_eval_plan with known fields, as
 * the pipeline gives them): capture reads a known field where the table
 * holds it, else through the evaluation's fields (a walk). The table varies
 * by event: user.name always known, host.name known (NULL where the event
 * has none), user.id known on every other event and on every third of
 * those with its mask bit cleared (its value there a decoy that must not
 * be read), source.address never, and a field
 * numbered after the table was made (past its end). Every match's lists
 * hold its own event's values: an index into the known values taken for
 * another field, or a field taken as known where it is not, reads back as
 * another field's value or as none. */
#define NKNOWN 300
static void capture_from_known(void **state)
{
    (void)state;
    th_arena qa;
    th_arena_init(&qa, 65536);
    fx f;
    fx_init(&f);
    fx_start(&f);
    static const char *const kpath[] = {"user.name", "host.name", "user.id"};
    uint32_t kid[3];
    for (size_t k = 0; k < 3; k++)
        kid[k] = th_query_field_id(th_str_c(kpath[k]));
    size_t nat = 0;
    for (size_t k = 0; k < 3; k++)
        if (kid[k] + 1 > nat)
            nat = kid[k] + 1;
    /* numbered after nat: the capture finds it past the table's end */
    const char *late = "test.capture.known.late";
    assert_true(th_query_field_id(th_str_c(late)) >= nat);
    th_rule r;
    const char *fields[] = {"source.address", "user.id", late, "host.name", "user.name"};
    fx_rule(&r, TH_RULE_THRESHOLD, "KNOWN", 6, 5, 100);
    r.threshold_fields.items = fields;
    r.threshold_fields.len = 5;
    th_diags d;
    th_diags_init(&d);
    const char *text = "not user.name: \"never-seen\"";
    th_query *q = th_query_compile(&qa, TH_QLANG_KQL, text, strlen(text), NULL, &d);
    th_diags_free(&d);
    assert_non_null(q);
    th_engine_add_query(f.e, &r, q, &qa, NULL);
    th_hits h;
    th_hits_init(&h, f.e);
    uint8_t *at = th_xmalloc(nat); /* its own block: a read past its end is ASan's */
    th_json_error err;
    const th_jval *decoy = th_json_parse(&qa, "\"decoy\"", 7, &err);
    assert_non_null(decoy);
    for (size_t i = 0; i < NKNOWN; i++) {
        bool host = i % 4 != 1, uid = i % 2 == 0;
        char *json = th_arena_printf(
            &qa,
            "{\"@timestamp\":\"%s\",\"event\":{\"id\":\"k%zu\",\"ingested\":\"%s\"},"
            "\"user\":{\"name\":\"u%zu\",\"id\":\"id%zu\"},\"source\":{\"address\":\"a%zu\"},"
            "\"test\":{\"capture\":{\"known\":{\"late\":\"l%zu\"}}}%s}",
            fx_iso(&f, MIN((double)i / 100)), i, fx_iso(&f, MIN((double)i / 100)), i % 5, i % 3,
            i % 7, i % 2, host ? th_arena_printf(&qa, ",\"host\":{\"name\":\"h%zu\"}", i % 6) : "");
        th_event ev = fx_event(&f, json);
        const th_jval *val[3];
        for (size_t k = 0; k < 3; k++)
            val[k] = th_json_path_first(ev.doc, th_str_c(kpath[k]));
        th_qknown known;
        assert_true(th_qknown_of(&known, at, nat, kid, val, uid ? 3 : 2));
        if (uid && i % 3 == 0) { /* in the table, not known on this event: never read */
            known.mask &= ~(1ull << 2);
            val[2] = decoy;
        }
        th_hits_clear(&h);
        static const uint32_t plan[1] = {0};
        h.plan = plan;
        h.nplan = 1;
        th_engine_eval_plan(f.e, &ev, &known, &h);
        th_engine_commit(f.e, &ev, &h, 0, h.len);
    }
    const th_erule *er = f.e->rules.items[0];
    assert_int_equal(er->matches.len, NKNOWN);
    for (size_t i = 0; i < NKNOWN; i++) {
        const th_match *m = &er->matches.items[i];
        char want[16];
        snprintf(want, sizeof want, "a%zu", i % 7);
        check_value(th_match_list(f.e, m, 0), want, i, "source.address");
        snprintf(want, sizeof want, "id%zu", i % 3);
        check_value(th_match_list(f.e, m, 1), want, i, "user.id");
        snprintf(want, sizeof want, "l%zu", i % 2);
        check_value(th_match_list(f.e, m, 2), want, i, late);
        if (i % 4 != 1) {
            snprintf(want, sizeof want, "h%zu", i % 6);
            check_value(th_match_list(f.e, m, 3), want, i, "host.name");
        } else if (th_match_list(f.e, m, 3)->n != 0) {
            fail_msg("event %zu: host.name captured where the event has none", i);
        }
        snprintf(want, sizeof want, "u%zu", i % 5);
        check_value(th_match_list(f.e, m, 4), want, i, "user.name");
    }
    th_hits_free(&h);
    free(at);
    fx_free(&f);
    th_arena_free(&qa);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(capture_by_walk),
        cmocka_unit_test(capture_from_fields),
        cmocka_unit_test(capture_from_workers),
        cmocka_unit_test(workers_keep_one_threads_lists),
        cmocka_unit_test(capture_arrays_from_workers),
        cmocka_unit_test(rows_shared),
        cmocka_unit_test(capture_from_known),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
