/* The user-agent parser's literal filter (ecs/ua_literal.h, useragent.c)
 * against trying every uap-core pattern in file order: for every user agent
 * of the corpus (cloudtrail-real, the integration's pipeline fixtures, the
 * oracle's records), of one emulated day of every scenario, and of a list of
 * agents of many kinds, each also lowered and upper-cased (the folded and
 * caseless literals), the six values written must be the same, and the name
 * alone (th_ua_name) must be the whole parse's. uap-core's
 * npm package carries no test cases (only regexes.yaml), so none are read. */
#include "ecs_records.h"

#include "ecs/mapper_int.h"

#include <pthread.h>

typedef struct agents {
    char **v;
    size_t n, cap;
} agents;

static void agents_add(agents *a, const char *s, size_t n)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 256;
        a->v = realloc(a->v, a->cap * sizeof *a->v);
        assert_non_null(a->v);
    }
    char *c = malloc(n + 1);
    assert_non_null(c);
    memcpy(c, s, n);
    c[n] = 0;
    a->v[a->n++] = c;
}

static void on_record(void *ctx, const th_record *rec)
{
    const th_jval *ua = th_jobj_get(rec->json, "userAgent");
    if (ua && ua->type == TH_JSTR)
        agents_add(ctx, ua->u.str.p, ua->u.str.n);
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Each agent as it is, lowered and upper-cased, without repeats. */
static void agents_forms(agents *a)
{
    size_t n = a->n;
    for (size_t i = 0; i < n; i++)
        for (int form = 1; form <= 2; form++) {
            size_t len = strlen(a->v[i]);
            agents_add(a, a->v[i], len);
            char *s = a->v[a->n - 1];
            for (size_t k = 0; k < len; k++)
                if (form == 1 && s[k] >= 'A' && s[k] <= 'Z')
                    s[k] = (char)(s[k] - 'A' + 'a');
                else if (form == 2 && s[k] >= 'a' && s[k] <= 'z')
                    s[k] = (char)(s[k] - 'a' + 'A');
        }
    qsort(a->v, a->n, sizeof *a->v, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (k && strcmp(a->v[k - 1], a->v[i]) == 0)
            free(a->v[i]);
        else
            a->v[k++] = a->v[i];
    }
    a->n = k;
}

static void agents_free(agents *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
}

static th_ua *load_ua(void)
{
    char path[4096];
    th_mapper_default_ua_path(path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fclose(f);
    th_diags d;
    th_diags_init(&d);
    th_ua *u = th_ua_load(path, &d);
    th_diags_free(&d);
    assert_non_null(u);
    return u;
}

/* th_ua_name (the slot documents' user_agent.name) gives the name the whole
 * parse gives: parsed from the agent patterns alone before th_ua_apply
 * cached the agent, from th_ua_apply's cache after. */
static void same_name(const th_ua *u, th_arena *ar, th_str s, th_str want)
{
    for (int cached = 0; cached < 2; cached++) {
        if (cached) { /* as the mapping's user-agent block: the agent cached */
            mctx cx = {.a = ar, .doc = th_jnew_obj(ar)};
            th_ua_apply(u, &cx, s);
        }
        th_str got = th_ua_name(u, ar, s);
        if (got.n != want.n || memcmp(got.p, want.p, want.n) != 0)
            fail_msg("'%.*s': th_ua_name %s is '%.*s', the parse's '%.*s'", (int)s.n, s.p,
                     cached ? "cached" : "parsed", (int)got.n, got.p, (int)want.n, want.p);
    }
}

/* Both paths on every agent; returns how many agents some pattern named
 * (so that a test sees the patterns reached, not only "Other"). */
static size_t compare(const th_ua *u, const agents *a)
{
    static const char *const what[6] = {"name", "version", "os.name", "os.version", "os.full",
                                        "device.name"};
    th_arena ar;
    th_arena_init(&ar, 1 << 16);
    size_t named = 0;
    for (size_t i = 0; i < a->n; i++) {
        th_str s = th_str_c(a->v[i]), fast[6], all[6];
        th_ua_parse_uncached(u, &ar, s, true, fast);
        th_ua_parse_uncached(u, &ar, s, false, all);
        for (int k = 0; k < 6; k++)
            if (fast[k].n != all[k].n || (fast[k].p == NULL) != (all[k].p == NULL) ||
                (fast[k].n && memcmp(fast[k].p, all[k].p, fast[k].n) != 0))
                fail_msg("'%s': %s is '%.*s' filtered, '%.*s' trying every pattern", a->v[i],
                         what[k], (int)fast[k].n, fast[k].p ? fast[k].p : "", (int)all[k].n,
                         all[k].p ? all[k].p : "");
        same_name(u, &ar, s, fast[0]);
        named += !(fast[0].n == 5 && memcmp(fast[0].p, "Other", 5) == 0) || fast[2].p ||
                 !(fast[5].n == 5 && memcmp(fast[5].p, "Other", 5) == 0);
        th_arena_recycle(&ar);
    }
    th_arena_free(&ar);
    return named;
}

/* Agents of kinds the corpus lacks: browsers, phones, bots, the patterns'
 * anchors (^) and two-case classes ([Ss]pider), near misses. */
static const char *const listed[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; Lenovo TB-X505F Build/QP1A) AppleWebKit/537.36",
    "Mozilla/5.0 (Linux; Android 4.4; Dell Venue 8 Build/KOT49H) AppleWebKit/537.36",
    "Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebkit/534.30",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "MySpider/1.2", "my Scrape tool 3.4", "The Crawler v2", "SpIdEr", "webcrawl/1",
    "BlackBerry9700/5.0.0.351 Profile/MIDP-2.1", "Blackberry 8100", "KaiOS/2.5.1", "kAIOS/2.5",
    "talkabout/1.0", "Nokia6230i/2.0 (03.25) Profile/MIDP-2.0", "noki", "x noki", "sams 1",
    "Pinterestbot/1.0; +https://www.pinterest.com/bot.html", "Roku/DVP-9.10 (519.10E04111A)",
    "aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off command/s3.ls",
    "Boto3/1.35.50 md/Botocore#1.35.50 ua/2.0 os/linux#6.8.0-1016-aws", "aws-sdk-go/1.44.327",
    "Terraform/1.6.5 (+https://www.terraform.io) terraform-provider-aws/5.31.0",
    "Dalvik/2.1.0 (Linux; U; Android 12; SM-A525F Build/SP1A.210812.016)",
    "CFNetwork/1474 Darwin/23.0.0", "curl/8.4.0", "python-requests/2.31.0", "Kindle/3.0+",
    "\xe2\x84\xaaindle/3.0", "\xc5\xbfpider/1", "", "x", "^", "Mozilla/5.0",
    /* U+212A and U+017F where caseless patterns read k and s */
    "Mozilla/5.0 (Linux; Android 4.0; IBA\xe2\x84\xaa-X1 Build/IML74K) AppleWebKit/534.30",
    "Mozilla/5.0 (Linux; Android 4.0; Ao\xc5\xbf" "on X7 Build/IML74K) AppleWebKit/534.30",
};

static void test_listed_agents(void **state)
{
    (void)state;
    th_ua *u = load_ua();
    if (!u) {
        print_message("SKIP: node_modules/uap-core/regexes.yaml is absent (npm ci installs it)\n");
        skip();
    }
    agents a = {0};
    for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++)
        agents_add(&a, listed[i], strlen(listed[i]));
    agents_forms(&a);
    assert_true(compare(u, &a) > 50);
    agents_free(&a);
    th_ua_free(u);
}

static void test_corpus_agents(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    th_ua *u = load_ua();
    if (!u) {
        print_message("SKIP: node_modules/uap-core/regexes.yaml is absent (npm ci installs it)\n");
        skip();
    }
    agents a = {0};
    ecs_each_corpus(corpus, on_record, &a);
    ecs_each_emulated(on_record, &a);
    agents_forms(&a);
    size_t named = compare(u, &a);
    print_message("%zu distinct agents (with their lowered and upper-cased forms), %zu named\n",
                  a.n, named);
    assert_true(a.n > 100);
    assert_true(named > 50);
    agents_free(&a);
    th_ua_free(u);
}

/* Threads parsing with one freshly loaded th_ua, each from its own place in
 * the list, so that they race to work out the same rules' requirements and
 * compile the same patterns (useragent.c publishes both by compare and
 * swap): every thread must write what one thread alone writes. */
#define UA_THREADS 4

typedef struct ua_thread {
    const th_ua *u;
    const agents *a;
    size_t first;
    th_arena ar;
    th_str (*out)[6]; /* per agent */
} ua_thread;

static void *parse_all(void *arg)
{
    ua_thread *t = arg;
    for (size_t k = 0; k < t->a->n; k++) {
        size_t i = (t->first + k) % t->a->n;
        th_ua_parse_uncached(t->u, &t->ar, th_str_c(t->a->v[i]), true, t->out[i]);
    }
    return NULL;
}

static void test_threads_share_a_fresh_ua(void **state)
{
    (void)state;
    th_ua *alone = load_ua();
    if (!alone) {
        print_message("SKIP: node_modules/uap-core/regexes.yaml is absent (npm ci installs it)\n");
        skip();
    }
    th_ua *shared = load_ua();
    agents a = {0};
    for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++)
        agents_add(&a, listed[i], strlen(listed[i]));
    agents_forms(&a);
    ua_thread t[UA_THREADS + 1];
    pthread_t tid[UA_THREADS];
    for (size_t k = 0; k <= UA_THREADS; k++) {
        t[k] = (ua_thread){.u = k == UA_THREADS ? alone : shared, .a = &a,
                           .first = k * a.n / UA_THREADS};
        th_arena_init(&t[k].ar, 1 << 16);
        t[k].out = calloc(a.n, sizeof *t[k].out);
        assert_non_null(t[k].out);
    }
    for (size_t k = 0; k < UA_THREADS; k++)
        assert_int_equal(pthread_create(&tid[k], NULL, parse_all, &t[k]), 0);
    parse_all(&t[UA_THREADS]);
    for (size_t k = 0; k < UA_THREADS; k++)
        assert_int_equal(pthread_join(tid[k], NULL), 0);
    size_t named = 0;
    for (size_t i = 0; i < a.n; i++) {
        const th_str *want = t[UA_THREADS].out[i];
        named += want[2].p != NULL;
        for (size_t k = 0; k < UA_THREADS; k++)
            for (int f = 0; f < 6; f++) {
                const th_str *got = &t[k].out[i][f];
                if (got->n != want[f].n || (got->p == NULL) != (want[f].p == NULL) ||
                    (got->n && memcmp(got->p, want[f].p, got->n) != 0))
                    fail_msg("'%s': field %d is '%.*s' in thread %zu, '%.*s' alone", a.v[i], f,
                             (int)got->n, got->p ? got->p : "", k, (int)want[f].n,
                             want[f].p ? want[f].p : "");
            }
    }
    assert_true(named > 20); /* the patterns were reached, not only "Other" */
    for (size_t k = 0; k <= UA_THREADS; k++) {
        th_arena_free(&t[k].ar);
        free(t[k].out);
    }
    agents_free(&a);
    th_ua_free(shared);
    th_ua_free(alone);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listed_agents),
        cmocka_unit_test(test_threads_share_a_fresh_ua),
        cmocka_unit_test(test_corpus_agents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
