/* Rule exceptions: Elastic exception lists, from Kibana NDJSON exports
 * (one list object and its items per line) and detection-rules exception
 * TOML files ([[exceptions]] with container and items).
 *
 * Semantics (Kibana's exception filter): an item is the AND of its entries,
 * a list is the OR of its items, and an event that matches any item is not
 * alerted on (it is removed before the temporal pass, like the must_not
 * clause Kibana adds to the rule's query). Entries:
 *   match      field has the value (exact)
 *   match_any  field has one of the values
 *   exists     field has a non-null value
 *   wildcard   some value matches the pattern (* and ?; case-sensitive)
 *   nested     the sub-entries all hold within one object of the field's array
 *   list       value lists are not supported: the item is reported and ignored
 * operator "excluded" negates an entry (a missing field then satisfies it).
 *
 * Ownership: a th_exceptions owns its arena with every item and string.
 * Thread safety: read-only after loading. */
#ifndef TH_ENGINE_EXCEPTIONS_H
#define TH_ENGINE_EXCEPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/diag.h"
#include "json/json.h"
#include "rules/rule.h"

typedef enum th_exc_kind {
    TH_EXC_MATCH,
    TH_EXC_MATCH_ANY,
    TH_EXC_EXISTS,
    TH_EXC_WILDCARD,
    TH_EXC_NESTED,
} th_exc_kind;

typedef struct th_exc_entry {
    th_exc_kind kind;
    bool excluded;                 /* operator "excluded" */
    const char *field;
    th_str *values;
    size_t nvalues;
    struct th_exc_entry *entries;  /* nested */
    size_t nentries;
} th_exc_entry;

typedef struct th_exc_item {
    const char *list_id, *item_id, *name;
    th_exc_entry *entries;
    size_t nentries;
} th_exc_item;

typedef struct th_exceptions {
    th_arena arena;
    th_exc_item *items;
    size_t len, cap;
} th_exceptions;

void th_exceptions_init(th_exceptions *x);
void th_exceptions_free(th_exceptions *x);
/* Loads a file: Kibana NDJSON export, or detection-rules TOML (by content:
 * a first non-blank byte '{' means NDJSON). Problems go to diags with file
 * and line; bad items are skipped. Returns the number of items loaded. */
size_t th_exceptions_load(th_exceptions *x, const char *path, th_diags *diags);
/* Adds the items of one exception-list JSON object/item (tests, loaders). */
bool th_exceptions_add_json(th_exceptions *x, const th_jval *item, const char *file,
                            unsigned line, th_diags *diags);
/* Items that apply to rule r: those of lists the rule names in
 * exceptions_list, plus those of lists no rule in `all` names (shared lists
 * apply to every rule). Copies item pointers into `out` (which must be
 * initialised and is owned by the caller). */
void th_exceptions_for_rule(const th_exceptions *x, const th_rule *r, const th_rule *const *all,
                            size_t nall, th_exceptions *out);
/* True when an item matches the document (the event is excepted). */
bool th_exceptions_match(const th_exceptions *x, const th_jval *doc);

#endif
