/* Machine-readable reports for CI systems: diagnostics as JSON (an array of
 * {file, line, col, severity, message}) or as SARIF 2.1.0 (GitHub code
 * scanning), rule tests as JUnit XML. Diagnostics are written in the order
 * the text output prints them (file, line, column).
 * Ownership: the writers append to the caller's buffer; nothing is kept. */
#ifndef TH_CLI_REPORT_H
#define TH_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/diag.h"

typedef enum th_report_fmt { TH_REPORT_TEXT, TH_REPORT_JSON, TH_REPORT_SARIF } th_report_fmt;

/* Parses --format (NULL is text); prints the problem and returns false on an
 * unknown name. */
bool th_report_fmt_parse(const char *verb, const char *s, th_report_fmt *out);

void th_report_diags_json(const th_diags *d, bool errors_only, th_buf *out);

/* One SARIF log with one run of the tool `trailhound`; every result carries
 * ruleId `rule_id` (e.g. "trailhound/validate"), described by `rule_desc`. */
void th_report_diags_sarif(const th_diags *d, bool errors_only, const char *rule_id,
                           const char *rule_desc, th_buf *out);

/* JUnit XML (the schema Jenkins, GitLab and GitHub reporters read): one
 * <testsuite> per test file, one <testcase> per test. */
typedef struct th_junit_case {
    const char *file, *name;
    bool failed, skipped;
    const char *message; /* failure or skip reason; may be NULL */
    double seconds;
} th_junit_case;
void th_report_junit(const th_junit_case *cases, size_t n, th_buf *out);

#endif
