/* The state file (state.h): SQLite. */
#include "state/state.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/map.h"
#include "base/sha256.h"
#include "base/vec.h"
#include "base/timeutil.h"
#include "io/walk.h"

#define APP_ID 0x54484e44 /* 'THND' */

struct th_statedb {
    sqlite3 *db;
    char *path;
    int64_t watermark, phase;
    uint64_t order_next, runs;
    th_map objects;       /* paths read by earlier runs (keys in `arena`) */
    th_arena arena;
    TH_VEC(char *) fresh; /* files this run reads (heap) */
    char *dir_in, *dir_real; /* the last folder th_statedb_seen resolved (heap) */
    int dir_fd;              /* it, open; -1: none */
};

static void seterr(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

static bool exec(th_statedb *s, const char *sql, char *err, size_t n)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return true;
    seterr(err, n, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return false;
}

/* Schema migrations: step i takes version i to i + 1. */
static const char *const migrations[TH_STATE_SCHEMA] = {
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE rules(rule_id TEXT PRIMARY KEY, revision TEXT NOT NULL, name TEXT,"
    " last_run INTEGER, matches INTEGER, ids INTEGER, bytes INTEGER, blob BLOB NOT NULL);"
    "CREATE TABLE docs(n INTEGER PRIMARY KEY, json BLOB NOT NULL, raw INTEGER NOT NULL,"
    " eid TEXT NOT NULL, ts INTEGER, ingested INTEGER, combined INTEGER, idx INTEGER);"
    "CREATE TABLE alerts(rule_id TEXT NOT NULL, time INTEGER NOT NULL, text BLOB NOT NULL,"
    " instance TEXT, supp_end INTEGER, supp_docs INTEGER);"
    "CREATE TABLE objects(path TEXT PRIMARY KEY, key_day INTEGER, run INTEGER);",
    /* 1 -> 2: the output of the last run until it is known to be in place */
    "CREATE TABLE outbox(path TEXT NOT NULL, sha TEXT NOT NULL, blob BLOB NOT NULL,"
    " append_at INTEGER);",
};

static bool meta_get(th_statedb *s, const char *key, char *out, size_t n)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    bool ok = sqlite3_step(st) == SQLITE_ROW;
    if (ok)
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return ok;
}

static bool meta_set(th_statedb *s, const char *key, const char *fmt, ...)
{
    char v[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", -1, &st,
                           NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, v, -1, SQLITE_TRANSIENT);
    bool ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok;
}

static int64_t meta_i64(th_statedb *s, const char *key, int64_t dflt)
{
    char v[64];
    return meta_get(s, key, v, sizeof v) ? strtoll(v, NULL, 10) : dflt;
}

static int pragma_int(th_statedb *s, const char *sql, bool *ok)
{
    sqlite3_stmt *st;
    int v = 0;
    *ok = false;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int(st, 0);
        *ok = true;
    }
    sqlite3_finalize(st);
    return v;
}

static bool load_objects(th_statedb *s)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT path FROM objects", -1, &st, NULL) != SQLITE_OK)
        return false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int n = sqlite3_column_bytes(st, 0);
        char *p = th_arena_strndup(&s->arena, (const char *)sqlite3_column_text(st, 0), (size_t)n);
        th_map_put(&s->objects, th_str_make(p, (size_t)n), (void *)1);
    }
    sqlite3_finalize(st);
    return true;
}

th_statedb *th_statedb_open(const char *path, bool create, char *err, size_t errn)
{
    th_statedb *s = th_xcalloc(1, sizeof(*s));
    s->path = th_xstrdup(path);
    s->dir_fd = -1;
    th_map_init(&s->objects);
    th_arena_init(&s->arena, 0);
    FILE *probe = fopen(path, "rb");
    bool exists = probe != NULL;
    if (probe) {
        char head[16] = {0};
        size_t got = fread(head, 1, sizeof head, probe);
        fclose(probe);
        if (got > 0 && (got < 16 || memcmp(head, "SQLite format 3", 16) != 0)) {
            seterr(err, errn, "%s: not a trailhound state file (not an SQLite database); refusing to use or replace it",
                   path);
            th_statedb_close(s);
            return NULL;
        }
    } else if (!create) {
        seterr(err, errn, "%s: no such state file", path);
        th_statedb_close(s);
        return NULL;
    }
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        seterr(err, errn, "%s: cannot open the state file: %s", path,
               s->db ? sqlite3_errmsg(s->db) : "out of memory");
        th_statedb_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 10000);
    bool ok;
    int app = pragma_int(s, "PRAGMA application_id", &ok);
    if (!ok) {
        seterr(err, errn, "%s: not a usable state file: %s", path, sqlite3_errmsg(s->db));
        th_statedb_close(s);
        return NULL;
    }
    int ver = pragma_int(s, "PRAGMA user_version", &ok);
    int tables = pragma_int(s, "SELECT count(*) FROM sqlite_master", &ok);
    if (!ok) {
        seterr(err, errn, "%s: the state file is corrupt: %s", path, sqlite3_errmsg(s->db));
        th_statedb_close(s);
        return NULL;
    }
    if (app != APP_ID && (app != 0 || tables > 0 || (exists && ver != 0))) {
        seterr(err, errn, "%s: an SQLite database of another application (application_id %d), not a trailhound state file; refusing to use it",
               path, app);
        th_statedb_close(s);
        return NULL;
    }
    if (ver > TH_STATE_SCHEMA) {
        seterr(err, errn, "%s: state schema version %d is newer than this trailhound's (%d); use a newer trailhound",
               path, ver, TH_STATE_SCHEMA);
        th_statedb_close(s);
        return NULL;
    }
    if (!exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", err, errn)) {
        th_statedb_close(s);
        return NULL;
    }
    if (ver < TH_STATE_SCHEMA) { /* create, or migrate, in one transaction */
        if (!exec(s, "BEGIN IMMEDIATE", err, errn)) {
            th_statedb_close(s);
            return NULL;
        }
        for (int v = ver; v < TH_STATE_SCHEMA; v++) {
            if (!exec(s, migrations[v], err, errn)) {
                exec(s, "ROLLBACK", err + strlen(err), 0);
                th_statedb_close(s);
                return NULL;
            }
        }
        char sql[96];
        snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d; COMMIT;",
                 APP_ID, TH_STATE_SCHEMA);
        if (!meta_set(s, "created", "%lld", (long long)time(NULL)) || !exec(s, sql, err, errn)) {
            th_statedb_close(s);
            return NULL;
        }
    }
    int check = pragma_int(s, "SELECT count(*) FROM meta", &ok);
    (void)check;
    if (!ok) {
        seterr(err, errn, "%s: the state file is damaged: %s", path, sqlite3_errmsg(s->db));
        th_statedb_close(s);
        return NULL;
    }
    s->watermark = meta_i64(s, "watermark", TH_TIME_NONE);
    s->order_next = (uint64_t)meta_i64(s, "order_next", 0);
    s->runs = (uint64_t)meta_i64(s, "runs", 0);
    s->phase = meta_i64(s, "phase", TH_TIME_NONE);
    if (!load_objects(s)) {
        seterr(err, errn, "%s: the state file is damaged: %s", path, sqlite3_errmsg(s->db));
        th_statedb_close(s);
        return NULL;
    }
    return s;
}

void th_statedb_close(th_statedb *s)
{
    if (!s)
        return;
    if (s->db)
        sqlite3_close(s->db);
    for (size_t i = 0; i < s->fresh.len; i++)
        free(s->fresh.items[i]);
    TH_VEC_FREE(&s->fresh);
    th_map_free(&s->objects);
    th_arena_free(&s->arena);
    free(s->dir_in);
    free(s->dir_real);
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    free(s->path);
    free(s);
}

int64_t th_statedb_watermark(const th_statedb *s) { return s->watermark; }
uint64_t th_statedb_order_next(const th_statedb *s) { return s->order_next; }
uint64_t th_statedb_runs(const th_statedb *s) { return s->runs; }
int64_t th_statedb_phase(const th_statedb *s) { return s->phase; }

/* ---- rule revisions ------------------------------------------------------ */

static void hash_str(th_sha256 *c, const char *tag, const char *v)
{
    th_sha256_update(c, tag, strlen(tag) + 1);
    if (v)
        th_sha256_update(c, v, strlen(v) + 1);
    else
        th_sha256_update(c, "\x01", 1);
}

static void hash_list(th_sha256 *c, const char *tag, const th_strlist *l)
{
    hash_str(c, tag, NULL);
    for (size_t i = 0; i < l->len; i++)
        hash_str(c, "", l->items[i]);
}

static void hash_i64(th_sha256 *c, const char *tag, int64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)v);
    hash_str(c, tag, b);
}

void th_state_rule_revision(const th_rule *r, char out[65])
{
    th_sha256 c;
    th_sha256_init(&c);
    hash_str(&c, "type", r->type_name);
    hash_str(&c, "language", r->language_name);
    hash_str(&c, "query", r->query);
    hash_list(&c, "index", &r->index);
    hash_str(&c, "from", r->from);
    hash_str(&c, "interval", r->interval);
    hash_i64(&c, "max_signals", r->max_signals);
    hash_str(&c, "timestamp_override", r->timestamp_override);
    hash_str(&c, "event_category_override", r->event_category_override);
    hash_list(&c, "new_terms_fields", &r->new_terms_fields);
    hash_str(&c, "history_window_start", r->history_window_start);
    hash_list(&c, "threshold_fields", &r->threshold_fields);
    hash_i64(&c, "threshold_value", r->threshold_value);
    hash_str(&c, "cardinality_field", r->cardinality_field);
    hash_i64(&c, "cardinality_value", r->cardinality_value);
    hash_i64(&c, "suppression", r->has_suppression);
    hash_list(&c, "group_by", &r->suppression_group_by);
    hash_i64(&c, "duration", r->suppression_duration_ms);
    hash_str(&c, "missing", r->missing_fields_strategy);
    hash_list(&c, "exceptions", &r->exception_list_ids);
    unsigned char d[32];
    th_sha256_final(&c, d);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---- load ---------------------------------------------------------------- */

static th_str col_str(sqlite3_stmt *st, int i)
{
    const void *p = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    return th_str_make(p ? (const char *)p : "", (size_t)n);
}

static int64_t col_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? TH_TIME_NONE : sqlite3_column_int64(st, i);
}

static void bind_time(sqlite3_stmt *st, int i, int64_t v)
{
    if (v == TH_TIME_NONE)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

bool th_statedb_load(th_statedb *s, th_engine *e, th_state_rule_status *status, char *err,
                     size_t errn)
{
    size_t nr;
    const th_rule_report *rep = th_engine_reports(e, &nr);
    for (size_t i = 0; i < nr; i++)
        status[i] = TH_STATE_NEW;
    /* the documents, numbered as saved */
    TH_VEC(uint32_t) docmap = {0};
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT n, json, raw, eid, ts, ingested, combined, idx FROM docs ORDER BY n",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if ((uint64_t)sqlite3_column_int64(st, 0) != docmap.len) {
            sqlite3_finalize(st);
            seterr(err, errn, "%s: the state file is damaged (document numbers not dense)", s->path);
            TH_VEC_FREE(&docmap);
            return false;
        }
        th_saved_doc d = {col_str(st, 1), sqlite3_column_int(st, 2) != 0, col_str(st, 3),
                          col_time(st, 4), col_time(st, 5), col_time(st, 6),
                          (uint64_t)sqlite3_column_int64(st, 7)};
        uint32_t idx = th_engine_load_doc(e, &d);
        TH_VEC_PUSH(&docmap, idx);
    }
    sqlite3_finalize(st);
    /* the rules, by rule_id */
    th_map byid;
    th_map_init(&byid);
    for (size_t i = 0; i < nr; i++) {
        if (rep[i].skipped || !rep[i].rule->rule_id || rep[i].rule->type == TH_RULE_HUNT)
            continue;
        th_str k = th_str_c(rep[i].rule->rule_id);
        if (!th_map_has(&byid, k))
            th_map_put(&byid, k, (void *)(uintptr_t)(i + 1));
    }
    if (sqlite3_prepare_v2(s->db, "SELECT rule_id, revision, last_run, blob FROM rules", -1, &st,
                           NULL) != SQLITE_OK) {
        th_map_free(&byid);
        goto fail;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        void *v = th_map_get(&byid, col_str(st, 0));
        if (!v)
            continue; /* a rule not in this rule set: dropped at the save */
        size_t i = (uintptr_t)v - 1;
        char rev[65];
        th_state_rule_revision(rep[i].rule, rev);
        th_str have = col_str(st, 1);
        if (!th_str_eqc(have, rev)) {
            status[i] = TH_STATE_CHANGED;
            continue;
        }
        th_str blob = col_str(st, 3);
        status[i] = th_engine_load_rule(e, i, col_time(st, 2), blob.p, blob.n, docmap.items,
                                        docmap.len)
                        ? TH_STATE_RESUMED
                        : TH_STATE_UNREADABLE;
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT rule_id, time, text, instance, supp_end, supp_docs FROM alerts ORDER BY rowid",
                           -1, &st, NULL) != SQLITE_OK) {
        th_map_free(&byid);
        goto fail;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        void *v = th_map_get(&byid, col_str(st, 0));
        if (!v)
            continue;
        size_t i = (uintptr_t)v - 1;
        if (status[i] != TH_STATE_RESUMED)
            continue;
        th_saved_alert a = {i, sqlite3_column_int64(st, 1), col_str(st, 2),
                            sqlite3_column_type(st, 3) == SQLITE_NULL ? TH_STR_NULL : col_str(st, 3),
                            sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5)};
        th_engine_load_alert(e, &a);
    }
    sqlite3_finalize(st);
    th_map_free(&byid);
    TH_VEC_FREE(&docmap);
    return true;
fail:
    seterr(err, errn, "%s: cannot read the state: %s", s->path, sqlite3_errmsg(s->db));
    TH_VEC_FREE(&docmap);
    return false;
}

bool th_statedb_seen(void *ctx, const char *path)
{
    th_statedb *s = ctx;
    /* by absolute path: cron and a shell may name the same folder differently.
     * The walker hands over a folder's files one after another: its real path
     * is resolved once (realpath reads every component's link), and a file
     * that is no symbolic link is that folder's real path and its name. */
    char *p = NULL;
    const char *slash = strrchr(path, '/');
    if (slash && slash[1]) {
        size_t dn = (size_t)(slash - path);
        if (!s->dir_in || strlen(s->dir_in) != dn || memcmp(s->dir_in, path, dn) != 0) {
            free(s->dir_in);
            free(s->dir_real);
            if (s->dir_fd >= 0)
                close(s->dir_fd);
            s->dir_in = th_xstrndup(path, dn);
            s->dir_real = realpath(dn ? s->dir_in : "/", NULL);
            /* the names are looked up in it (one component, not the whole path) */
            s->dir_fd = open(dn ? s->dir_in : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        struct stat lst;
        if (s->dir_real && s->dir_fd >= 0 &&
            fstatat(s->dir_fd, slash + 1, &lst, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(lst.st_mode)) {
            size_t rn = strlen(s->dir_real), bn = strlen(slash + 1);
            bool root = rn == 1 && s->dir_real[0] == '/';
            p = th_xmalloc(rn + bn + 2);
            memcpy(p, s->dir_real, rn);
            if (!root)
                p[rn++] = '/';
            memcpy(p + rn, slash + 1, bn + 1);
        }
    }
    if (!p)
        p = realpath(path, NULL);
    if (!p)
        p = th_xstrdup(path);
    if (th_map_has(&s->objects, th_str_c(p))) {
        free(p);
        return true;
    }
    TH_VEC_PUSH(&s->fresh, p);
    return false;
}

/* ---- save ---------------------------------------------------------------- */

typedef struct save_ctx {
    th_statedb *s;
    const th_rule_report *rep;
    sqlite3_stmt *doc, *rule, *alert;
    uint64_t *doc_bytes;           /* per saved document */
    TH_VEC(uint64_t) docsz;
    th_state_rule_size *sizes;
    uint64_t max_bytes;
    uint64_t rule_doc_bytes; /* documents saved since the last rule: the next rule's */
    bool failed;
} save_ctx;

static void save_doc(void *ctx, uint32_t n, const th_saved_doc *d)
{
    save_ctx *c = ctx;
    sqlite3_stmt *st = c->doc;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, n);
    sqlite3_bind_blob(st, 2, d->json.p, (int)d->json.n, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, d->raw);
    sqlite3_bind_text(st, 4, d->id.p, (int)d->id.n, SQLITE_STATIC);
    bind_time(st, 5, d->ts);
    bind_time(st, 6, d->ingested);
    bind_time(st, 7, d->combined);
    sqlite3_bind_int64(st, 8, (int64_t)d->index);
    if (sqlite3_step(st) != SQLITE_DONE)
        c->failed = true;
    uint64_t sz = d->json.n + d->id.n + 32;
    TH_VEC_PUSH(&c->docsz, sz);
    c->rule_doc_bytes += sz;
}

static void save_rule(void *ctx, size_t idx, int64_t last_run, const void *blob, size_t len,
                      uint64_t nmatches, uint64_t nids)
{
    save_ctx *c = ctx;
    const th_rule *r = c->rep[idx].rule;
    /* its blob and the documents it was the first to refer to (trimmed to
     * max_bytes by th_engine_save: the oldest matches left out) */
    uint64_t bytes = len + c->rule_doc_bytes;
    c->rule_doc_bytes = 0;
    if (c->sizes) {
        c->sizes[idx].bytes = bytes;
        c->sizes[idx].matches = nmatches;
    }
    char rev[65];
    th_state_rule_revision(r, rev);
    sqlite3_stmt *st = c->rule;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, r->rule_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, rev, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, r->name, -1, SQLITE_STATIC);
    bind_time(st, 4, last_run);
    sqlite3_bind_int64(st, 5, (int64_t)nmatches);
    sqlite3_bind_int64(st, 6, (int64_t)nids);
    sqlite3_bind_int64(st, 7, (int64_t)bytes);
    sqlite3_bind_blob(st, 8, blob, (int)len, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        c->failed = true;
}

static void save_capped(void *ctx, size_t idx, uint64_t dropped)
{
    save_ctx *c = ctx;
    if (c->sizes) {
        c->sizes[idx].capped = true;
        c->sizes[idx].dropped = dropped;
    }
}

static void save_alert(void *ctx, const th_saved_alert *a)
{
    save_ctx *c = ctx;
    sqlite3_stmt *st = c->alert;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, c->rep[a->rule_index].rule->rule_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, a->time_ms);
    sqlite3_bind_blob(st, 3, a->text.p, (int)a->text.n, SQLITE_STATIC);
    if (a->instance.n)
        sqlite3_bind_text(st, 4, a->instance.p, (int)a->instance.n, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, a->supp_end);
    sqlite3_bind_int64(st, 6, a->supp_docs);
    if (sqlite3_step(st) != SQLITE_DONE)
        c->failed = true;
}

static void sha_hex(const void *p, size_t n, char out[65])
{
    th_sha256 c;
    unsigned char d[32];
    th_sha256_init(&c);
    th_sha256_update(&c, p, n);
    th_sha256_final(&c, d);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The whole file, or false. */
static bool slurp(const char *path, th_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        th_buf_put(b, chunk, n);
    bool ok = !ferror(f);
    fclose(f);
    return ok;
}

bool th_statedb_pending(th_statedb *s, th_buf *out, char *shown, size_t shown_n)
{
    sqlite3_stmt *st;
    bool pending = false;
    if (sqlite3_prepare_v2(s->db, "SELECT path, sha, blob, append_at FROM outbox", -1, &st, NULL) !=
        SQLITE_OK)
        return false;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *path = (const char *)sqlite3_column_text(st, 0);
        const char *sha = (const char *)sqlite3_column_text(st, 1);
        bool append = sqlite3_column_type(st, 3) != SQLITE_NULL;
        int64_t at = append ? sqlite3_column_int64(st, 3) : 0;
        th_buf have;
        th_buf_init(&have);
        char hx[65] = "";
        bool read = slurp(path, &have);
        if (read && !append)
            sha_hex(have.data ? have.data : "", have.len, hx);
        else if (read && append && have.len >= (uint64_t)at) /* what was appended at `at` */
            sha_hex(have.data + at, have.len - (size_t)at, hx);
        bool in_place = strcmp(hx, sha) == 0;
        if (!in_place && read && append && have.len > (uint64_t)at) {
            /* a part was appended: cut it, the whole comes again */
            if (truncate(path, (off_t)at) != 0)
                in_place = false;
        }
        th_buf_free(&have);
        if (!in_place) { /* the run died before its output was in place */
            th_str blob = col_str(st, 2);
            th_buf_put(out, blob.p, blob.n);
            snprintf(shown, shown_n, "%s", path);
            pending = true;
        }
    }
    sqlite3_finalize(st);
    if (!pending) {
        char ignore[8];
        exec(s, "DELETE FROM outbox", ignore, sizeof ignore);
    }
    return pending;
}

bool th_statedb_outbox_done(th_statedb *s, char *err, size_t errn)
{
    return exec(s, "DELETE FROM outbox", err, errn);
}

bool th_statedb_save(th_statedb *s, th_engine *e, uint64_t order_next, int64_t phase,
                     uint64_t max_bytes, th_state_rule_size *sizes, const char *out_path,
                     th_str out_blob, int64_t append_at, char *err, size_t errn)
{
    size_t nr;
    save_ctx c = {.s = s, .rep = th_engine_reports(e, &nr), .sizes = sizes, .max_bytes = max_bytes};
    if (sizes)
        memset(sizes, 0, nr * sizeof *sizes);
    if (!exec(s, "BEGIN IMMEDIATE; DELETE FROM docs; DELETE FROM rules; DELETE FROM alerts;", err,
              errn))
        return false;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO docs VALUES(?,?,?,?,?,?,?,?)", -1, &c.doc, NULL) ||
        sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO rules VALUES(?,?,?,?,?,?,?,?)", -1, &c.rule,
                           NULL) ||
        sqlite3_prepare_v2(s->db, "INSERT INTO alerts VALUES(?,?,?,?,?,?)", -1, &c.alert, NULL)) {
        c.failed = true;
    } else {
        th_engine_saver sv = {&c, save_doc, save_rule, save_alert, max_bytes, save_capped};
        th_engine_save(e, &sv);
    }
    sqlite3_finalize(c.doc);
    sqlite3_finalize(c.rule);
    sqlite3_finalize(c.alert);
    TH_VEC_FREE(&c.docsz);
    /* the input objects this run read */
    sqlite3_stmt *st = NULL;
    if (!c.failed && sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO objects VALUES(?,?,?)", -1,
                                        &st, NULL) == SQLITE_OK) {
        for (size_t i = 0; i < s->fresh.len && !c.failed; i++) {
            int64_t day;
            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, s->fresh.items[i], -1, SQLITE_STATIC);
            if (th_io_s3_key_day(s->fresh.items[i], &day))
                sqlite3_bind_int64(st, 2, day);
            else
                sqlite3_bind_null(st, 2);
            sqlite3_bind_int64(st, 3, (int64_t)s->runs + 1);
            c.failed = sqlite3_step(st) != SQLITE_DONE;
        }
    } else {
        c.failed = true;
    }
    sqlite3_finalize(st);
    if (!c.failed) { /* this run's output, until the caller knows it is in place */
        c.failed = !exec(s, "DELETE FROM outbox", err, errn);
        if (!c.failed && out_path &&
            sqlite3_prepare_v2(s->db, "INSERT INTO outbox VALUES(?,?,?,?)", -1, &st, NULL) == SQLITE_OK) {
            char hx[65];
            sha_hex(out_blob.n ? out_blob.p : "", out_blob.n, hx);
            sqlite3_bind_text(st, 1, out_path, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, hx, -1, SQLITE_TRANSIENT);
            sqlite3_bind_blob(st, 3, out_blob.n ? out_blob.p : "", (int)out_blob.n, SQLITE_STATIC);
            bind_time(st, 4, append_at < 0 ? TH_TIME_NONE : append_at);
            c.failed = sqlite3_step(st) != SQLITE_DONE;
            sqlite3_finalize(st);
        }
    }
    int64_t wm = th_engine_watermark(e);
    if (c.failed || !meta_set(s, "watermark", "%lld", (long long)wm) ||
        !meta_set(s, "order_next", "%llu", (unsigned long long)order_next) ||
        !meta_set(s, "runs", "%llu", (unsigned long long)(s->runs + 1)) ||
        !meta_set(s, "phase", "%lld", (long long)phase) ||
        !meta_set(s, "last_run_at", "%lld", (long long)time(NULL))) {
        seterr(err, errn, "%s: cannot write the state: %s", s->path, sqlite3_errmsg(s->db));
        char ignore[8];
        exec(s, "ROLLBACK", ignore, sizeof ignore);
        return false;
    }
    if (!exec(s, "COMMIT", err, errn))
        return false;
    s->watermark = wm;
    s->order_next = order_next;
    s->runs++;
    return true;
}

/* ---- show / prune -------------------------------------------------------- */

static int64_t count(th_statedb *s, const char *sql)
{
    bool ok;
    return pragma_int(s, sql, &ok);
}

bool th_statedb_show(th_statedb *s, FILE *out, char *err, size_t errn)
{
    char wm[32] = "-";
    if (s->watermark != TH_TIME_NONE)
        th_time_format_iso(s->watermark, wm);
    fprintf(out, "state: %s (schema %d)\n", s->path, TH_STATE_SCHEMA);
    fprintf(out, "runs: %llu; newest event read: %s; input objects read: %lld\n",
            (unsigned long long)s->runs, wm, (long long)count(s, "SELECT count(*) FROM objects"));
    fprintf(out, "documents kept: %lld (%lld bytes); alerts kept: %lld\n",
            (long long)count(s, "SELECT count(*) FROM docs"),
            (long long)count(s, "SELECT coalesce(sum(length(json)),0) FROM docs"),
            (long long)count(s, "SELECT count(*) FROM alerts"));
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT rule_id, name, last_run, matches, ids, bytes, substr(revision,1,12) "
                           "FROM rules ORDER BY bytes DESC, name",
                           -1, &st, NULL) != SQLITE_OK) {
        seterr(err, errn, "%s: %s", s->path, sqlite3_errmsg(s->db));
        return false;
    }
    fprintf(out, "%-24s %8s %8s %10s  %-12s  %s\n", "last run", "matches", "ids", "bytes",
            "revision", "rule");
    while (sqlite3_step(st) == SQLITE_ROW) {
        char lr[32] = "-";
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            th_time_format_iso(sqlite3_column_int64(st, 2), lr);
        fprintf(out, "%-24s %8lld %8lld %10lld  %-12s  %s\n", lr,
                (long long)sqlite3_column_int64(st, 3), (long long)sqlite3_column_int64(st, 4),
                (long long)sqlite3_column_int64(st, 5), (const char *)sqlite3_column_text(st, 6),
                sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1)
                                           : (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return true;
}

bool th_statedb_prune(th_statedb *s, int64_t objects_before_ms, uint64_t *objects_dropped,
                      char *err, size_t errn)
{
    *objects_dropped = 0;
    if (objects_before_ms != TH_TIME_NONE) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, "DELETE FROM objects WHERE key_day < ?", -1, &st, NULL) !=
            SQLITE_OK) {
            seterr(err, errn, "%s: %s", s->path, sqlite3_errmsg(s->db));
            return false;
        }
        sqlite3_bind_int64(st, 1, objects_before_ms);
        bool ok = sqlite3_step(st) == SQLITE_DONE;
        sqlite3_finalize(st);
        if (!ok) {
            seterr(err, errn, "%s: %s", s->path, sqlite3_errmsg(s->db));
            return false;
        }
        *objects_dropped = (uint64_t)sqlite3_changes(s->db);
    }
    return exec(s, "VACUUM", err, errn);
}
