/* JSON, SARIF 2.1.0 and JUnit XML reports (report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "cli/report.h"
#include "json/json.h"

bool th_report_fmt_parse(const char *verb, const char *s, th_report_fmt *out)
{
    if (!s || strcmp(s, "text") == 0)
        *out = TH_REPORT_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = TH_REPORT_JSON;
    else if (strcmp(s, "sarif") == 0)
        *out = TH_REPORT_SARIF;
    else {
        fprintf(stderr, "trailhound %s: --format must be text, json or sarif (got '%s')\n", verb,
                s);
        return false;
    }
    return true;
}

static int cmp_diag(const void *a, const void *b)
{
    const th_diag *x = *(const th_diag *const *)a, *y = *(const th_diag *const *)b;
    int c = strcmp(x->file ? x->file : "", y->file ? y->file : "");
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x < y ? -1 : x > y; /* arrival order */
}

/* The diagnostics to report, sorted; the caller frees the array. */
static const th_diag **sorted(const th_diags *d, bool errors_only, size_t *n)
{
    const th_diag **v = th_xcalloc(d->len + 1, sizeof *v);
    *n = 0;
    for (size_t i = 0; i < d->len; i++)
        if (!errors_only || d->items[i].severity == TH_SEV_ERROR)
            v[(*n)++] = &d->items[i];
    qsort(v, *n, sizeof *v, cmp_diag);
    return v;
}

void th_report_diags_json(const th_diags *d, bool errors_only, th_buf *out)
{
    size_t n;
    const th_diag **v = sorted(d, errors_only, &n);
    th_jw w;
    th_jw_init(&w, out);
    th_jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        th_jw_obj(&w);
        th_jw_key(&w, "file");
        th_jw_cstr(&w, v[i]->file ? v[i]->file : "");
        th_jw_key(&w, "line");
        th_jw_int(&w, v[i]->line);
        th_jw_key(&w, "col");
        th_jw_int(&w, v[i]->col);
        th_jw_key(&w, "severity");
        th_jw_cstr(&w, th_severity_name(v[i]->severity));
        th_jw_key(&w, "message");
        th_jw_cstr(&w, v[i]->message);
        th_jw_end(&w);
    }
    th_jw_end(&w);
    th_buf_putc(out, '\n');
    free(v);
}

/* A relative URI reference for a path: unreserved bytes and '/' as they are,
 * the rest percent-encoded. */
static void uri(th_buf *b, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            th_buf_putc(b, (char)c);
        } else {
            th_buf_putc(b, '%');
            th_buf_putc(b, hex[c >> 4]);
            th_buf_putc(b, hex[c & 15]);
        }
    }
}

/* A lint message ends with its check's name, "... [dates]": that names the
 * SARIF rule ("trailhound/lint/dates"), so code scanning can group and filter. */
static th_str category(const char *msg)
{
    size_t n = strlen(msg);
    if (n < 4 || msg[n - 1] != ']')
        return (th_str){NULL, 0};
    const char *open = strrchr(msg, '[');
    if (!open || open == msg || open[-1] != ' ')
        return (th_str){NULL, 0};
    for (const char *p = open + 1; p < msg + n - 1; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '-' || *p == '_' || (*p >= '0' && *p <= '9')))
            return (th_str){NULL, 0};
    return (th_str){open + 1, (size_t)(msg + n - 1 - (open + 1))};
}

/* Index of category c among cats (added when new). */
static size_t cat_index(th_str *cats, size_t *ncats, th_str c)
{
    for (size_t i = 0; i < *ncats; i++)
        if (th_str_eq(cats[i], c))
            return i;
    cats[*ncats] = c;
    return (*ncats)++;
}

static const char *sarif_level(th_severity s)
{
    return s == TH_SEV_ERROR ? "error" : s == TH_SEV_WARNING ? "warning" : "note";
}

void th_report_diags_sarif(const th_diags *d, bool errors_only, const char *rule_id,
                           const char *rule_desc, th_buf *out)
{
    size_t n;
    const th_diag **v = sorted(d, errors_only, &n);
    th_buf u;
    th_buf_init(&u);
    th_jw w;
    th_jw_init(&w, out);
    th_jw_obj(&w);
    th_jw_key(&w, "$schema");
    th_jw_cstr(&w, "https://json.schemastore.org/sarif-2.1.0.json");
    th_jw_key(&w, "version");
    th_jw_cstr(&w, "2.1.0");
    th_jw_key(&w, "runs");
    th_jw_arr(&w);
    th_jw_obj(&w);
    th_jw_key(&w, "tool");
    th_jw_obj(&w);
    th_jw_key(&w, "driver");
    th_jw_obj(&w);
    th_jw_key(&w, "name");
    th_jw_cstr(&w, "trailhound");
    th_jw_key(&w, "version");
    th_jw_cstr(&w, TH_VERSION);
    /* rule 0 is the tool's check as a whole; one more per message category */
    th_str *cats = th_xcalloc(n + 2, sizeof *cats);
    size_t ncats = 0;
    cat_index(cats, &ncats, (th_str){"", 0});
    size_t *idx = th_xcalloc(n + 1, sizeof *idx);
    for (size_t i = 0; i < n; i++) {
        th_str c = category(v[i]->message);
        idx[i] = c.p ? cat_index(cats, &ncats, c) : 0;
    }
    th_jw_key(&w, "rules");
    th_jw_arr(&w);
    for (size_t k = 0; k < ncats; k++) {
        th_jw_obj(&w);
        th_jw_key(&w, "id");
        th_buf_clear(&u);
        th_buf_printf(&u, "%s%s%.*s", rule_id, k ? "/" : "", (int)cats[k].n, k ? cats[k].p : "");
        th_jw_str(&w, (th_str){u.data, u.len});
        th_jw_key(&w, "shortDescription");
        th_jw_obj(&w);
        th_jw_key(&w, "text");
        th_jw_cstr(&w, rule_desc);
        th_jw_end(&w);
        th_jw_end(&w);
    }
    th_jw_end(&w); /* rules */
    th_jw_end(&w); /* driver */
    th_jw_end(&w); /* tool */
    th_jw_key(&w, "results");
    th_jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        const th_diag *g = v[i];
        th_jw_obj(&w);
        th_jw_key(&w, "ruleId");
        th_buf_clear(&u);
        th_buf_printf(&u, "%s%s%.*s", rule_id, idx[i] ? "/" : "", (int)cats[idx[i]].n,
                      idx[i] ? cats[idx[i]].p : "");
        th_jw_str(&w, (th_str){u.data, u.len});
        th_jw_key(&w, "ruleIndex");
        th_jw_int(&w, (int64_t)idx[i]);
        th_jw_key(&w, "level");
        th_jw_cstr(&w, sarif_level(g->severity));
        th_jw_key(&w, "message");
        th_jw_obj(&w);
        th_jw_key(&w, "text");
        th_jw_cstr(&w, g->message);
        th_jw_end(&w);
        if (g->file && *g->file) {
            th_buf_clear(&u);
            uri(&u, g->file);
            th_jw_key(&w, "locations");
            th_jw_arr(&w);
            th_jw_obj(&w);
            th_jw_key(&w, "physicalLocation");
            th_jw_obj(&w);
            th_jw_key(&w, "artifactLocation");
            th_jw_obj(&w);
            th_jw_key(&w, "uri");
            th_jw_str(&w, (th_str){u.data, u.len});
            th_jw_end(&w);
            if (g->line > 0) {
                th_jw_key(&w, "region");
                th_jw_obj(&w);
                th_jw_key(&w, "startLine");
                th_jw_int(&w, g->line);
                if (g->col > 0) {
                    th_jw_key(&w, "startColumn");
                    th_jw_int(&w, g->col);
                }
                th_jw_end(&w);
            }
            th_jw_end(&w); /* physicalLocation */
            th_jw_end(&w);
            th_jw_end(&w); /* locations */
        }
        th_jw_end(&w);
    }
    th_jw_end(&w); /* results */
    th_jw_end(&w); /* run */
    th_jw_end(&w); /* runs */
    th_jw_end(&w);
    th_buf_putc(out, '\n');
    th_buf_free(&u);
    free(cats);
    free(idx);
    free(v);
}

static void xml_text(th_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '<': th_buf_puts(b, "&lt;"); break;
        case '>': th_buf_puts(b, "&gt;"); break;
        case '&': th_buf_puts(b, "&amp;"); break;
        case '"': th_buf_puts(b, "&quot;"); break;
        case '\n':
        case '\t': th_buf_putc(b, (char)*p); break;
        default:
            if (*p < 0x20)
                th_buf_puts(b, "&#xFFFD;"); /* XML 1.0 has no control characters */
            else
                th_buf_putc(b, (char)*p);
        }
    }
}

void th_report_junit(const th_junit_case *c, size_t n, th_buf *out)
{
    size_t fail = 0, skip = 0;
    double secs = 0;
    for (size_t i = 0; i < n; i++) {
        fail += c[i].failed;
        skip += c[i].skipped;
        secs += c[i].seconds;
    }
    th_buf_printf(out,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<testsuites name=\"trailhound test\" tests=\"%zu\" failures=\"%zu\" "
                  "skipped=\"%zu\" time=\"%.3f\">\n",
                  n, fail, skip, secs);
    for (size_t i = 0; i < n;) {
        size_t j = i, f = 0, s = 0;
        double t = 0;
        while (j < n && strcmp(c[j].file, c[i].file) == 0) {
            f += c[j].failed;
            s += c[j].skipped;
            t += c[j].seconds;
            j++;
        }
        th_buf_puts(out, "  <testsuite name=\"");
        xml_text(out, c[i].file);
        th_buf_printf(out,
                      "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" "
                      "time=\"%.3f\">\n",
                      j - i, f, s, t);
        for (size_t k = i; k < j; k++) {
            th_buf_puts(out, "    <testcase classname=\"");
            xml_text(out, c[k].file);
            th_buf_puts(out, "\" name=\"");
            xml_text(out, c[k].name);
            th_buf_printf(out, "\" time=\"%.3f\"", c[k].seconds);
            if (!c[k].failed && !c[k].skipped) {
                th_buf_puts(out, "/>\n");
                continue;
            }
            th_buf_puts(out, ">\n      <");
            th_buf_puts(out, c[k].failed ? "failure" : "skipped");
            th_buf_puts(out, " message=\"");
            xml_text(out, c[k].message);
            th_buf_puts(out, "\">");
            xml_text(out, c[k].message);
            th_buf_puts(out, c[k].failed ? "</failure>\n" : "</skipped>\n");
            th_buf_puts(out, "    </testcase>\n");
        }
        th_buf_puts(out, "  </testsuite>\n");
        i = j;
    }
    th_buf_puts(out, "</testsuites>\n");
}
