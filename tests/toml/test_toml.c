/* toml/: every construct (table-driven), node and error positions, the
 * redefinition rules, and hostile input: truncation, bad UTF-8, huge strings,
 * deep nesting, random corruption. */
#include "th_test.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "toml/toml.h"
#include "json/json.h"

typedef struct ctx {
    th_arena a;
    th_diags d;
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);
    th_arena_init(&c->a, 0);
    th_diags_init(&c->d);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    ctx *c = *state;
    th_diags_free(&c->d);
    th_arena_free(&c->a);
    free(c);
    return 0;
}

static th_toml *parse_n(ctx *c, const char *s, size_t n)
{
    th_diags_free(&c->d);
    th_diags_init(&c->d);
    return th_toml_parse(&c->a, s, n, "t.toml", &c->d);
}

static th_toml *parse(ctx *c, const char *s)
{
    return parse_n(c, s, strlen(s));
}

/* A scalar as text, to compare with a table of expectations. */
static void show(const th_toml *v, char *out, size_t cap)
{
    switch (v->type) {
    case TH_TOML_INTEGER: snprintf(out, cap, "%lld", (long long)v->u.i); break;
    case TH_TOML_FLOAT:
        if (isnan(v->u.f))
            snprintf(out, cap, "%snan", signbit(v->u.f) ? "-" : "");
        else
            snprintf(out, cap, "%.17g", v->u.f);
        break;
    case TH_TOML_BOOL: snprintf(out, cap, "%s", v->u.b ? "true" : "false"); break;
    case TH_TOML_ARRAY: snprintf(out, cap, "[%zu]", v->u.arr.len); break;
    case TH_TOML_TABLE: snprintf(out, cap, "{%zu}", v->u.tab.len); break;
    default: snprintf(out, cap, "%.*s", (int)v->u.str.n, v->u.str.p); break;
    }
}

static void values_of_every_kind(void **state)
{
    ctx *c = *state;
    static const struct {
        const char *doc, *path;
        th_toml_type type;
        const char *want;
    } cases[] = {
        /* strings */
        {"a = \"plain\"", "a", TH_TOML_STRING, "plain"},
        {"a = \"\\b\\t\\n\\f\\r\\\"\\\\\"", "a", TH_TOML_STRING, "\b\t\n\f\r\"\\"},
        {"a = \"\\u00e9\\U0001F600\"", "a", TH_TOML_STRING, "\xc3\xa9\xf0\x9f\x98\x80"},
        {"a = \"tab\there\"", "a", TH_TOML_STRING, "tab\there"},
        {"a = 'C:\\path\\\"x'", "a", TH_TOML_STRING, "C:\\path\\\"x"},
        {"a = \"\"", "a", TH_TOML_STRING, ""},
        {"a = \"\"\"\nline1\nline2\"\"\"", "a", TH_TOML_STRING, "line1\nline2"},
        {"a = \"\"\"\r\nx\r\ny\"\"\"", "a", TH_TOML_STRING, "x\ny"},
        {"a = \"\"\"one \\\n    two \\   \n\n  three\"\"\"", "a", TH_TOML_STRING, "one two three"},
        {"a = \"\"\"q\"\"q\"\"\"\"\"", "a", TH_TOML_STRING, "q\"\"q\"\""},
        {"a = '''\nraw \\n\n'''", "a", TH_TOML_STRING, "raw \\n\n"},
        {"a = ''''x'''", "a", TH_TOML_STRING, "'x"},
        {"a = '''x'''''", "a", TH_TOML_STRING, "x''"},
        {"a = \"caf\xc3\xa9\"", "a", TH_TOML_STRING, "caf\xc3\xa9"},
        /* text read as its source bytes up to the first escape, CRLF or
         * line-ending backslash, then decoded (lex.c's verbatim strings) */
        {"a = \"plain then \\u00e9 and\\ttab\"", "a", TH_TOML_STRING, "plain then \xc3\xa9 and\ttab"},
        {"a = \"\"\"\nl1\nl2 \"q\" \"\"x\r\nl3\nl4\\\\\"\"\"", "a", TH_TOML_STRING,
         "l1\nl2 \"q\" \"\"x\nl3\nl4\\"},
        {"a = \"\"\"\nkeep\n\tthis \\\n   \n  joined\nend\"\"\"\"", "a", TH_TOML_STRING,
         "keep\n\tthis joined\nend\""},
        {"a = '''\nl1\r\nl2\\n'''", "a", TH_TOML_STRING, "l1\nl2\\n"},
        {"a = \"\"\"\"\"\"", "a", TH_TOML_STRING, ""},
        /* integers */
        {"a = 42", "a", TH_TOML_INTEGER, "42"},
        {"a = +17", "a", TH_TOML_INTEGER, "17"},
        {"a = -0", "a", TH_TOML_INTEGER, "0"},
        {"a = 1_000_000", "a", TH_TOML_INTEGER, "1000000"},
        {"a = 0xDEAD_beef", "a", TH_TOML_INTEGER, "3735928559"},
        {"a = 0o755", "a", TH_TOML_INTEGER, "493"},
        {"a = 0b1101", "a", TH_TOML_INTEGER, "13"},
        {"a = 9223372036854775807", "a", TH_TOML_INTEGER, "9223372036854775807"},
        {"a = -9223372036854775808", "a", TH_TOML_INTEGER, "-9223372036854775808"},
        {"a = 0x7FFFFFFFFFFFFFFF", "a", TH_TOML_INTEGER, "9223372036854775807"},
        /* floats */
        {"a = 3.25", "a", TH_TOML_FLOAT, "3.25"},
        {"a = -1e3", "a", TH_TOML_FLOAT, "-1000"},
        {"a = 6.5E-2", "a", TH_TOML_FLOAT, "0.065000000000000002"},
        {"a = 1_0.0_5e+0_1", "a", TH_TOML_FLOAT, "100.5"},
        {"a = 1e007", "a", TH_TOML_FLOAT, "10000000"},
        {"a = 0.0", "a", TH_TOML_FLOAT, "0"},
        {"a = -0.0", "a", TH_TOML_FLOAT, "-0"},
        {"a = inf", "a", TH_TOML_FLOAT, "inf"},
        {"a = +inf", "a", TH_TOML_FLOAT, "inf"},
        {"a = -inf", "a", TH_TOML_FLOAT, "-inf"},
        {"a = nan", "a", TH_TOML_FLOAT, "nan"},
        {"a = -nan", "a", TH_TOML_FLOAT, "-nan"},
        /* booleans */
        {"a = true", "a", TH_TOML_BOOL, "true"},
        {"a = false # no", "a", TH_TOML_BOOL, "false"},
        /* date and time */
        {"a = 1979-05-27T07:32:00Z", "a", TH_TOML_DATETIME, "1979-05-27T07:32:00Z"},
        {"a = 1979-05-27 07:32:00.999-07:00", "a", TH_TOML_DATETIME,
         "1979-05-27 07:32:00.999-07:00"},
        {"a = 1979-05-27t07:32:00z", "a", TH_TOML_DATETIME, "1979-05-27t07:32:00z"},
        {"a = 1979-05-27T07:32:00", "a", TH_TOML_DATETIME_LOCAL, "1979-05-27T07:32:00"},
        {"a = 2024-02-29", "a", TH_TOML_DATE_LOCAL, "2024-02-29"},
        {"a = 2024-02-29 # leap", "a", TH_TOML_DATE_LOCAL, "2024-02-29"},
        {"a = 23:59:60.5", "a", TH_TOML_TIME_LOCAL, "23:59:60.5"},
        /* arrays */
        {"a = []", "a", TH_TOML_ARRAY, "[0]"},
        {"a = [1, 'two', 3.0, [4], {x = 5}]", "a", TH_TOML_ARRAY, "[5]"},
        {"a = [\n  1, # one\n  2,\n\n  3,\n]", "a", TH_TOML_ARRAY, "[3]"},
        {"a = [ \"x\" , ]", "a", TH_TOML_ARRAY, "[1]"},
        /* inline tables and keys */
        {"a = {}", "a", TH_TOML_TABLE, "{0}"},
        {"a = { x = 1, y.z = 2, y.w = 3 }", "a.y.w", TH_TOML_INTEGER, "3"},
        {"a.b.c = 1", "a.b.c", TH_TOML_INTEGER, "1"},
        {"a . b = 1", "a.b", TH_TOML_INTEGER, "1"},
        {"\"quoted key\" = 1", "quoted key", TH_TOML_INTEGER, "1"},
        {"'lit.eral' = 1", "=lit.eral", TH_TOML_INTEGER, "1"},
        {"\"\" = 'empty key'", "=", TH_TOML_STRING, "empty key"},
        {"1234 = 'digits'", "1234", TH_TOML_STRING, "digits"},
        {"-_- = 1", "-_-", TH_TOML_INTEGER, "1"},
        {"true = 1", "true", TH_TOML_INTEGER, "1"},
        /* tables */
        {"[t]\nk = 'v'", "t.k", TH_TOML_STRING, "v"},
        {"[ t . u ]\nk = 1", "t.u.k", TH_TOML_INTEGER, "1"},
        {"[a.b]\nx = 1\n[a]\ny = 2", "a.y", TH_TOML_INTEGER, "2"},
        {"[a]\nb.c = 1\n[a.b.d]\ne = 2", "a.b.d.e", TH_TOML_INTEGER, "2"},
        {"[[r]]\nn = 1\n[[r]]\nn = 2", "r", TH_TOML_ARRAY, "[2]"},
        {"[[r]]\n[r.s]\nx = 1\n[[r]]\n[r.s]\nx = 2", "r", TH_TOML_ARRAY, "[2]"},
        {"\xef\xbb\xbf"
         "a = 1",
         "a", TH_TOML_INTEGER, "1"},
        {"a = 1\r\nb = 2\r\n", "b", TH_TOML_INTEGER, "2"},
        {"# only\n\n  # comments\t\n[x] # here\n", "x", TH_TOML_TABLE, "{0}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        th_toml *doc = parse(c, cases[i].doc);
        if (!doc)
            fail_msg("case %zu: rejected: %u:%u: %s", i, c->d.items[0].line, c->d.items[0].col,
                     c->d.items[0].message);
        assert_int_equal(c->d.len, 0);
        /* "=key" looks up one key that may itself contain dots */
        const char *path = cases[i].path;
        th_toml *v = path[0] == '=' ? th_toml_get(doc, path + 1) : th_toml_get_path(doc, path);
        if (!v)
            fail_msg("case %zu: %s not found", i, cases[i].path);
        if (v->type != cases[i].type)
            fail_msg("case %zu: type %s, wanted %s", i, th_toml_type_name(v->type),
                     th_toml_type_name(cases[i].type));
        char got[256];
        show(v, got, sizeof got);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: got '%s', wanted '%s'", i, got, cases[i].want);
    }
}

static void keeps_order_positions_and_structure(void **state)
{
    ctx *c = *state;
    const char *doc = "title = 'x'\n"
                      "[rule]\n"
                      "name = \"n\"\n"
                      "  tags = [\"a\", \"b\"]\n"
                      "query = '''\n"
                      "process where true\n"
                      "'''\n"
                      "[[rule.threat]]\n"
                      "framework = \"MITRE ATT&CK\"\n"
                      "[rule.threat.tactic]\n"
                      "id = \"TA0001\"\n"
                      "[[rule.threat]]\n"
                      "framework = \"other\"\n"
                      "\"\xc3\xa9t\xc3\xa9\" = 1\n";
    th_toml *t = parse(c, doc);
    assert_non_null(t);
    assert_int_equal(t->line, 1);
    th_toml *rule = th_toml_get(t, "rule");
    assert_non_null(rule);
    assert_int_equal(rule->type, TH_TOML_TABLE);
    assert_int_equal(rule->line, 2);
    assert_int_equal(rule->col, 1);
    /* definition order */
    assert_true(th_str_eqc(rule->u.tab.kvs[0].key, "name"));
    assert_true(th_str_eqc(rule->u.tab.kvs[1].key, "tags"));
    assert_true(th_str_eqc(rule->u.tab.kvs[2].key, "query"));
    assert_true(th_str_eqc(rule->u.tab.kvs[3].key, "threat"));
    /* key and value positions */
    assert_int_equal(rule->u.tab.kvs[1].line, 4);
    assert_int_equal(rule->u.tab.kvs[1].col, 3);
    th_toml *tags = rule->u.tab.kvs[1].val;
    assert_int_equal(tags->line, 4);
    assert_int_equal(tags->col, 10);
    assert_int_equal(tags->u.arr.items[1]->col, 16);
    th_toml *q = th_toml_get(rule, "query");
    assert_true(th_str_eqc(q->u.str, "process where true\n"));
    th_toml *threat = th_toml_get_path(t, "rule.threat");
    assert_int_equal(threat->type, TH_TOML_ARRAY);
    assert_int_equal(threat->u.arr.len, 2);
    th_toml *t0 = threat->u.arr.items[0];
    assert_int_equal(t0->line, 8);
    assert_true(th_str_eqc(th_toml_get_path(t0, "tactic.id")->u.str, "TA0001"));
    th_toml *t1 = threat->u.arr.items[1];
    assert_null(th_toml_get(t1, "tactic"));
    /* columns count characters, not bytes */
    th_toml_kv *last = &t1->u.tab.kvs[1];
    assert_int_equal(last->line, 14);
    assert_int_equal(last->val->col, 9);
    /* lookups on the wrong type or missing keys */
    assert_null(th_toml_get(tags, "x"));
    assert_null(th_toml_get_path(t, "rule.name.x"));
    assert_null(th_toml_get_path(t, "nope"));
    assert_null(th_toml_get(NULL, "x"));
    assert_string_equal(th_toml_type_name(TH_TOML_DATE_LOCAL), "local date");
}

static void errors_name_line_and_column(void **state)
{
    ctx *c = *state;
    static const struct {
        const char *doc;
        unsigned line, col;
        const char *msg;
    } cases[] = {
        /* duplicates and redefinitions */
        {"a = 1\na = 2", 2, 1, "duplicate key 'a'"},
        {"a = 1\n\"a\" = 2", 2, 1, "duplicate key"},
        {"[t]\n[t]", 2, 2, "already defined"},
        {"[t]\nx=1\n[u]\n[t]", 4, 2, "already defined"},
        {"[a.b]\n[a]\n[a]", 3, 2, "already defined"},
        {"a = 1\n[a]", 2, 2, "already a value"},
        {"a = {}\n[a.b]", 2, 2, "inline table"},
        {"a = {x = 1}\na.y = 2", 2, 1, "inline table"},
        {"a = {x = {y = 1}, x.z = 2}", 1, 19, "inline table"},
        {"a = [1]\n[[a]]", 2, 3, "it is an array"},
        {"a = [{}]\n[a.b]", 2, 2, "it is an array"},
        {"[a]\n[[a]]", 2, 3, "it is a table"},
        {"[[a]]\n[a]", 2, 2, "array of tables"},
        {"[a]\nb.c = 1\n[a.b]", 3, 4, "already defined"},
        {"[a.b.c]\n[a]\nb.c.d = 1", 3, 1, "already defined as a table"},
        {"a.b = 1\na.b.c = 2", 2, 3, "already defined as a value"},
        /* syntax */
        {"a = ", 1, 5, "expected a value"},
        {"a = 1 b = 2", 1, 7, "end of the line"},
        {"a", 1, 2, "expected '='"},
        {"= 1", 1, 1, "expected a key"},
        {"a = [1, 2", 1, 5, "unterminated array"},
        {"a = [1 2]", 1, 8, "expected ',' or ']'"},
        {"a = [,]", 1, 6, "expected a value"},
        {"a = {x = 1,}", 1, 12, "trailing comma"},
        {"a = {x = 1\n}", 1, 11, "one line"},
        {"a = \"abc", 1, 5, "unterminated string"},
        {"a = \"\"\"abc\n", 1, 5, "unterminated multi-line"},
        {"a = 'x\ny'", 1, 5, "unterminated string"},
        {"x = 1\na = \"\\q\"", 2, 6, "invalid escape"},
        {"a = \"\\uD800\"", 1, 6, "not a Unicode scalar"},
        {"a = \"\\u12\"", 1, 10, "hex digits"},
        {"a = \"x\x01\"", 1, 7, "control character"},
        {"a = \"\"\"x\"\"\"\"\"\"", 1, 14, "too many quotes"},
        {"[a", 1, 3, "expected ']'"},
        {"[[a]", 1, 4, "expected ']]'"},
        {"[]", 1, 2, "expected a key"},
        {"[a] x", 1, 5, "end of the line"},
        {"\"\"\"k\"\"\" = 1", 1, 1, "multi-line string cannot be a key"},
        {"a = 1\rb = 2", 1, 6, "carriage return"},
        {"# c\x7f", 1, 4, "control character"},
        /* numbers */
        {"a = 012", 1, 5, "leading zeros"},
        {"a = 1__2", 1, 6, "'_' must be between"},
        {"a = _1", 1, 5, "expected a value"},
        {"a = 1_", 1, 6, "'_' must be between"},
        {"a = +0x1", 1, 5, "sign is not allowed"},
        {"a = 0X1", 1, 6, "invalid character 'X'"},
        {"a = 9223372036854775808", 1, 5, "64 bits"},
        {"a = -9223372036854775809", 1, 5, "64 bits"},
        {"a = 0x8000000000000000", 1, 5, "64 bits"},
        {"a = 1.", 1, 7, "expected a digit"},
        {"a = 1e", 1, 7, "expected a digit"},
        {"a = 1.e5", 1, 7, "expected a digit"},
        {"a = 03.14", 1, 5, "leading zeros"},
        {"a = Inf", 1, 5, "expected a value"},
        {"a = tru", 1, 5, "expected a value"},
        {"a = truex", 1, 9, "end of the line"},
        /* dates */
        {"a = 2023-02-29", 1, 5, "date out of range"},
        {"a = 2023-13-01", 1, 5, "date out of range"},
        {"a = 2023-01-01T24:00:00", 1, 16, "time out of range"},
        {"a = 2023-01-01T23:00", 1, 16, "HH:MM:SS"},
        {"a = 2023-01-01T23:00:00+24:00", 1, 24, "offset out of range"},
        {"a = 2023-01-01T23:00:00.", 1, 24, "fraction"},
        {"a = 12:60:00", 1, 5, "time out of range"},
        {"a = 2023-1-01", 1, 5, "YYYY-MM-DD"},
        /* encoding */
        {"a = \"\xff\"", 1, 6, "invalid UTF-8 byte"},
        {"x = 1\n# \xc3\x28", 2, 3, "invalid UTF-8 sequence"},
        {"a = \"\xe0\x80\xaf\"", 1, 6, "overlong"},
        {"a = \"\xed\xa0\x80\"", 1, 6, "invalid code point"},
        {"a = \"\xf4\x90\x80\x80\"", 1, 6, "invalid code point"},
        {"a = \"\xe2\x82", 1, 6, "truncated UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        th_toml *doc = parse(c, cases[i].doc);
        if (doc)
            fail_msg("case %zu (%s): accepted", i, cases[i].doc);
        assert_int_equal(c->d.len, 1);
        assert_int_equal(c->d.errors, 1);
        const th_diag *g = &c->d.items[0];
        assert_string_equal(g->file, "t.toml");
        if (g->line != cases[i].line || g->col != cases[i].col || !strstr(g->message, cases[i].msg))
            fail_msg("case %zu (%s): got %u:%u: %s; wanted %u:%u: ...%s...", i, cases[i].doc,
                     g->line, g->col, g->message, cases[i].line, cases[i].col, cases[i].msg);
    }
}

/* Every prefix of a document either parses or fails with one positioned error. */
static void truncated_input_never_crashes(void **state)
{
    ctx *c = *state;
    const char *doc =
        "[rule]\nname = \"x \\u00e9\"\nq = \"\"\"a\\\n b\"\"\"\nl = '''z'''\n"
        "arr = [1, 2.5, {a = 1979-05-27T00:00:00Z}, [true]]\n[[rule.t]]\nx.y = 0x1F\n";
    size_t n = strlen(doc);
    int ok = 0, bad = 0;
    for (size_t k = 0; k <= n; k++) {
        char *copy = malloc(k ? k : 1); /* exact size: ASan catches any over-read */
        memcpy(copy, doc, k);
        th_toml *t = parse_n(c, copy, k);
        if (t) {
            ok++;
            assert_int_equal(c->d.len, 0);
        } else {
            bad++;
            assert_int_equal(c->d.len, 1);
            assert_true(c->d.items[0].line >= 1 && c->d.items[0].col >= 1);
        }
        free(copy);
    }
    assert_true(ok > 0 && bad > 0);
    assert_non_null(parse_n(c, doc, n));
}

static void deterministic_corruption_never_crashes(void **state)
{
    ctx *c = *state;
    const char *doc =
        "[rule]\nname = \"x\"\nq = '''a'''\narr = [1, {b = 2}]\n[[rule.t]]\nx.y = 1e3\n"
        "d = 2020-01-01T00:00:00Z\n";
    size_t n = strlen(doc);
    static const char alphabet[] = "[]{}=.,'\"\\\n\r#0x_e+-: \t\x80\xc3\xff";
    unsigned long long seed = 0x9E3779B97F4A7C15ULL;
    int rejected = 0;
    for (int round = 0; round < 4000; round++) {
        char *copy = malloc(n);
        memcpy(copy, doc, n);
        for (int m = 0; m < 1 + round % 3; m++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t at = (size_t)(seed >> 33) % n;
            copy[at] = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
        }
        th_toml *t = parse_n(c, copy, n);
        if (!t) {
            rejected++;
            assert_int_equal(c->d.len, 1);
            assert_true(c->d.items[0].line >= 1 && c->d.items[0].col >= 1);
        }
        free(copy);
    }
    assert_true(rejected > 0);
}

static void huge_string_and_many_keys(void **state)
{
    ctx *c = *state;
    size_t big = 10u * 1024u * 1024u;
    char *doc = malloc(big + 64);
    size_t n = (size_t)sprintf(doc, "s = \"");
    memset(doc + n, 'x', big);
    n += big;
    n += (size_t)sprintf(doc + n, "\"\nafter = 1\n");
    th_toml *t = parse_n(c, doc, n);
    assert_non_null(t);
    th_toml *s = th_toml_get(t, "s");
    assert_int_equal(s->u.str.n, big);
    assert_int_equal(s->u.str.p[big - 1], 'x');
    assert_int_equal(th_toml_get(t, "after")->line, 2);
    /* the same as a multi-line literal */
    n = (size_t)sprintf(doc, "s = '''");
    memset(doc + n, 'y', big);
    n += big;
    n += (size_t)sprintf(doc + n, "'''");
    t = parse_n(c, doc, n);
    assert_non_null(t);
    assert_int_equal(th_toml_get(t, "s")->u.str.n, big);
    free(doc);

    /* many keys in one table: duplicates are still found (hash index) */
    th_buf b;
    th_buf_init(&b);
    for (int i = 0; i < 20000; i++)
        th_buf_printf(&b, "k%d = %d\n", i, i);
    t = parse_n(c, b.data, b.len);
    assert_non_null(t);
    assert_int_equal(t->u.tab.len, 20000);
    assert_int_equal(th_toml_get(t, "k19999")->u.i, 19999);
    th_buf_puts(&b, "k12345 = 0\n");
    assert_null(parse_n(c, b.data, b.len));
    assert_int_equal(c->d.items[0].line, 20001);
    assert_non_null(strstr(c->d.items[0].message, "duplicate key 'k12345'"));
    th_buf_free(&b);
}

static void nesting_is_limited(void **state)
{
    ctx *c = *state;
    th_buf b;
    th_buf_init(&b);
    /* arrays: TH_MAX_TOML_DEPTH levels under the root are fine, one more is not */
    for (int depth = TH_MAX_TOML_DEPTH; depth <= TH_MAX_TOML_DEPTH + 1; depth++) {
        th_buf_clear(&b);
        th_buf_puts(&b, "a = ");
        for (int i = 0; i < depth; i++)
            th_buf_putc(&b, '[');
        for (int i = 0; i < depth; i++)
            th_buf_putc(&b, ']');
        th_toml *t = parse_n(c, b.data, b.len);
        if (depth == TH_MAX_TOML_DEPTH) {
            assert_non_null(t);
        } else {
            assert_null(t);
            assert_non_null(strstr(c->d.items[0].message, "nesting deeper"));
            assert_int_equal(c->d.items[0].col, 4 + (unsigned)depth);
        }
    }
    /* far too deep: still an error, not a stack overflow */
    th_buf_clear(&b);
    th_buf_puts(&b, "a = ");
    for (int i = 0; i < 100000; i++)
        th_buf_puts(&b, "{b=");
    assert_null(parse_n(c, b.data, b.len));
    assert_non_null(strstr(c->d.items[0].message, "nesting deeper"));
    /* dotted keys and headers count too */
    th_buf_clear(&b);
    th_buf_putc(&b, '[');
    for (int i = 0; i < 1000; i++)
        th_buf_puts(&b, i ? ".k" : "k");
    th_buf_puts(&b, "]\n");
    assert_null(parse_n(c, b.data, b.len));
    th_buf_clear(&b);
    for (int i = 0; i < 1000; i++)
        th_buf_puts(&b, "k.");
    th_buf_puts(&b, "z = 1\n");
    assert_null(parse_n(c, b.data, b.len));
    th_buf_free(&b);
}

static void empty_and_null_input(void **state)
{
    ctx *c = *state;
    th_toml *t = parse_n(c, "", 0);
    assert_non_null(t);
    assert_int_equal(t->type, TH_TOML_TABLE);
    assert_int_equal(t->u.tab.len, 0);
    t = th_toml_parse(&c->a, NULL, 0, NULL, &c->d);
    assert_non_null(t);
    /* without a diagnostics list the answer is just NULL */
    assert_null(th_toml_parse(&c->a, "a = ", 4, "x.toml", NULL));
    assert_non_null(th_toml_parse(&c->a, "a = 1", 5, "x.toml", NULL));
    /* NUL bytes are data, not an end of input */
    assert_null(parse_n(c, "a = 1\0b", 7));
    assert_int_equal(c->d.items[0].col, 6);
}

static void typed_lookups_and_json(void **state)
{
    ctx *c = *state;
    th_toml *t = parse(c, "s = 'x'\ni = -3\nb = true\nf = -inf\nn = nan\nd = 2020-01-02\n"
                          "[[rule.threat]]\ntactic = { id = \"TA0001\", name = \"Initial\" }\n"
                          "technique = [{ id = \"T1078\" }]\n");
    assert_non_null(t);
    th_str s;
    int64_t i;
    bool b;
    assert_true(th_toml_get_str(t, "s", &s) && th_str_eqc(s, "x"));
    assert_true(th_toml_get_int(t, "i", &i) && i == -3);
    assert_true(th_toml_get_bool(t, "b", &b) && b);
    assert_false(th_toml_get_str(t, "i", &s));
    assert_false(th_toml_get_int(t, "s", &i));
    assert_false(th_toml_get_bool(t, "missing", &b));
    th_buf out;
    th_buf_init(&out);
    th_json_write(&out, th_toml_to_json(&c->a, t));
    assert_string_equal(out.data,
                        "{\"s\":\"x\",\"i\":-3,\"b\":true,\"f\":\"-Infinity\",\"n\":\"NaN\","
                        "\"d\":\"2020-01-02\",\"rule\":{\"threat\":[{\"tactic\":{\"id\":"
                        "\"TA0001\",\"name\":\"Initial\"},\"technique\":[{\"id\":\"T1078\"}]}]}}");
    /* the JSON tree can be looked up like any parsed JSON */
    th_jval *j = th_toml_to_json(&c->a, t);
    assert_true(th_str_eqc(
        th_jstr(th_jobj_get_path(j, "rule.threat")->u.items[0]->u.members[0].val->u.members[0].val),
        "TA0001"));
    th_buf_free(&out);
}

/* A string's plain bytes are read sixteen or eight at a time: a quote, an
 * escape, a control byte or DEL at every offset of such a step must still end
 * the run there, and bytes >= 0x80 must not. */
static void string_runs_stop_at_every_offset(void **state)
{
    ctx *c = *state;
    for (size_t k = 0; k < 40; k++) {
        for (int q = 0; q < 2; q++) {
            const char qc = q ? '\'' : '"';
            char doc[128], want[64];
            size_t n = 0;
            n += (size_t)snprintf(doc + n, sizeof doc - n, "a = %c", qc);
            for (size_t i = 0; i < k; i++)
                want[i] = doc[n++] = (char)(i % 3 == 2 && k > 8 ? 'x' : 'a' + (int)(i % 26));
            want[k] = '\0';
            /* the value ends at offset k; then, for the basic form, an escape */
            doc[n++] = qc;
            doc[n++] = '\n';
            n += (size_t)snprintf(doc + n, sizeof doc - n, "b = \"%.*s\\tz\xC3\xA9\"\n", (int)k, want);
            th_toml *t = parse_n(c, doc, n);
            if (!t)
                fail_msg("k %zu: %s", k, c->d.items[0].message);
            th_str v;
            assert_true(th_toml_get_str(t, "a", &v));
            assert_true(th_str_eqc(v, want));
            assert_true(th_toml_get_str(t, "b", &v));
            assert_int_equal(v.n, k + 4);
            assert_memory_equal(v.p, want, k);
            assert_memory_equal(v.p + k, "\tz\xC3\xA9", 4);
            /* a control byte and DEL at offset k are errors at their column */
            for (int bad = 0; bad < 2; bad++) {
                char d2[128];
                size_t m = (size_t)snprintf(d2, sizeof d2, "a = %c%.*s%c%c", qc, (int)k, want,
                                            bad ? 0x7F : 0x01, qc);
                assert_null(parse_n(c, d2, m));
                assert_int_equal(c->d.items[0].line, 1);
                assert_int_equal(c->d.items[0].col, 6 + k);
            }
        }
    }
}

/* ---- positions against a naive count ------------------------------------ */

/* line:col of byte offset off, counted the slow way: lines by '\n', columns in
 * characters (every byte that is not a UTF-8 continuation byte). */
static void naive_where(const char *s, size_t off, unsigned *line, unsigned *col)
{
    unsigned ln = 1, cl = 1;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') {
            ln++;
            cl = 1;
        } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
            cl++;
        }
    }
    *line = ln;
    *col = cl;
}

typedef struct posrec {
    char name[16];
    int inner; /* -1: a top-level key; else the top-level key k<inner> holds it */
    size_t koff, voff;
} posrec;

static unsigned pos_rng(unsigned *st)
{
    *st = *st * 1103515245u + 12345u;
    return (*st >> 16) & 0x7FFF;
}

/* Padding and text that move later positions across the reader's 16-byte
 * steps: spaces, ASCII, and characters of 2, 3 and 4 bytes. */
static void pos_filler(th_buf *b, unsigned *st, bool in_string, bool ascii)
{
    static const char *const bits[] = {"a", "  ", "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80",
                                       "0123456789abcdef", "\xC3\xA9\xC3\xA9\xC3\xA9"};
    unsigned k = pos_rng(st) % 12;
    for (unsigned i = 0; i < k; i++) {
        const char *t = bits[pos_rng(st) % 7];
        if ((!in_string && t[0] != ' ') || (ascii && (unsigned char)t[0] >= 0x80))
            t = " ";
        th_buf_puts(b, t);
    }
}

/* Random documents (long and short lines, multi-line strings and arrays,
 * CRLF, comments and strings with multi-byte characters or ASCII only, inline
 * tables) where the position of every key and value is known: each must be
 * what a naive count over the text says, and so must an error's at the end. */
static void positions_match_a_naive_count(void **state)
{
    ctx *c = *state;
    unsigned st = 7;
    enum { KEYS = 60 };
    for (int doc = 0; doc < 300; doc++) {
        th_buf b;
        th_buf_init(&b);
        posrec recs[KEYS * 3]; /* a key and, for an inline table, two inside */
        bool ascii = doc % 3 == 0; /* columns are counted apart in an ASCII file */
        size_t nrec = 0;
        for (int k = 0; k < KEYS; k++) {
            unsigned form = pos_rng(&st) % 7;
            const char *eol = pos_rng(&st) % 4 == 0 ? "\r\n" : "\n";
            if (pos_rng(&st) % 5 == 0) { /* a comment line */
                th_buf_puts(&b, "# ");
                pos_filler(&b, &st, true, ascii);
                th_buf_puts(&b, eol);
            }
            pos_filler(&b, &st, false, ascii);
            posrec *r = &recs[nrec++];
            snprintf(r->name, sizeof r->name, "k%d", k);
            r->inner = -1;
            r->koff = b.len;
            th_buf_puts(&b, r->name);
            pos_filler(&b, &st, false, ascii);
            th_buf_puts(&b, "=");
            pos_filler(&b, &st, false, ascii);
            r->voff = b.len;
            switch (form) {
            case 0: th_buf_puts(&b, "1"); break;
            case 1:
                th_buf_puts(&b, "\"");
                pos_filler(&b, &st, true, ascii);
                th_buf_puts(&b, "\"");
                break;
            case 2:
                th_buf_puts(&b, "\"\"\"");
                for (unsigned l = pos_rng(&st) % 4; l > 0; l--) {
                    pos_filler(&b, &st, true, ascii);
                    th_buf_puts(&b, eol);
                }
                th_buf_puts(&b, "\"\"\"");
                break;
            case 3:
                th_buf_puts(&b, "[");
                for (unsigned l = pos_rng(&st) % 4; l > 0; l--) {
                    th_buf_puts(&b, "'");
                    pos_filler(&b, &st, true, ascii);
                    th_buf_puts(&b, "',");
                    th_buf_puts(&b, eol);
                }
                th_buf_puts(&b, "]");
                break;
            default: { /* an inline table, its keys after multi-byte text */
                th_buf_puts(&b, "{");
                for (int j = 0; j < 2; j++) {
                    if (j)
                        th_buf_puts(&b, ",");
                    pos_filler(&b, &st, false, ascii);
                    posrec *q = &recs[nrec++];
                    snprintf(q->name, sizeof q->name, "i%d", j);
                    q->inner = k;
                    q->koff = b.len;
                    th_buf_puts(&b, q->name);
                    th_buf_puts(&b, " = ");
                    q->voff = b.len;
                    th_buf_puts(&b, "'");
                    pos_filler(&b, &st, true, ascii);
                    th_buf_puts(&b, "'");
                }
                th_buf_puts(&b, "}");
                break;
            }
            }
            pos_filler(&b, &st, false, ascii);
            th_buf_puts(&b, eol);
        }
        th_toml *t = parse_n(c, b.data, b.len);
        if (!t)
            fail_msg("doc %d rejected: %u:%u: %s", doc, c->d.items[0].line, c->d.items[0].col,
                     c->d.items[0].message);
        for (size_t i = 0; i < nrec; i++) {
            const posrec *r = &recs[i];
            const th_toml *tab = t;
            if (r->inner >= 0) {
                char outer[16];
                snprintf(outer, sizeof outer, "k%d", r->inner);
                tab = th_toml_get(t, outer);
            }
            assert_non_null(tab);
            const th_toml_kv *kv = NULL;
            for (size_t j = 0; j < tab->u.tab.len; j++)
                if (th_str_eqc(tab->u.tab.kvs[j].key, r->name))
                    kv = &tab->u.tab.kvs[j];
            assert_non_null(kv);
            unsigned kl, kc, vl, vc;
            naive_where(b.data, r->koff, &kl, &kc);
            naive_where(b.data, r->voff, &vl, &vc);
            if (kv->line != kl || kv->col != kc || kv->val->line != vl || kv->val->col != vc)
                fail_msg("doc %d key %s: key %u:%u value %u:%u, expected %u:%u and %u:%u", doc,
                         r->name, kv->line, kv->col, kv->val->line, kv->val->col, kl, kc, vl, vc);
        }
        /* an error after all that: its position is counted the same way */
        th_buf_puts(&b, "z = 1 ");
        pos_filler(&b, &st, false, ascii);
        size_t bad = b.len;
        th_buf_puts(&b, "junk\n");
        assert_null(parse_n(c, b.data, b.len));
        unsigned el, ec;
        naive_where(b.data, bad, &el, &ec);
        assert_int_equal(c->d.len, 1);
        assert_int_equal(c->d.items[0].line, el);
        assert_int_equal(c->d.items[0].col, ec);
        th_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(values_of_every_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(keeps_order_positions_and_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_name_line_and_column, setup, teardown),
        cmocka_unit_test_setup_teardown(truncated_input_never_crashes, setup, teardown),
        cmocka_unit_test_setup_teardown(deterministic_corruption_never_crashes, setup, teardown),
        cmocka_unit_test_setup_teardown(huge_string_and_many_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(nesting_is_limited, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_and_null_input, setup, teardown),
        cmocka_unit_test_setup_teardown(typed_lookups_and_json, setup, teardown),
        cmocka_unit_test_setup_teardown(positions_match_a_naive_count, setup, teardown),
        cmocka_unit_test_setup_teardown(string_runs_stop_at_every_offset, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
