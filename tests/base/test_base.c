/* base/: arena, buffers, hash map, diagnostics, time parsing and date math. */
#include "th_test.h"

#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/map.h"
#include "base/str.h"
#include "base/timeutil.h"

static void arena_alloc_is_aligned_and_survives_big_blocks(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1024);
    char *small = th_arena_alloc(&a, 3);
    assert_int_equal((uintptr_t)small % 16, 0);
    memcpy(small, "ab", 3);
    char *big = th_arena_alloc(&a, 100000); /* larger than a chunk */
    memset(big, 'x', 100000);
    char *after = th_arena_strdup(&a, "after");
    assert_string_equal(small, "ab");
    assert_string_equal(after, "after");
    th_arena_reset(&a);
    char *again = th_arena_printf(&a, "%d-%s", 7, "z");
    assert_string_equal(again, "7-z");
    th_arena_free(&a);
}

/* th_arena_release forgets what came after the mark, small and big, keeps
 * what came before, and the next allocations reuse the released chunks. */
/* th_arena_recycle keeps a head of the usual size as the head: the next
 * allocation is its first bytes again (with no head it was the first
 * spare's, p[0]); the other chunks come back from the spares. */
static void arena_recycle_keeps_the_head(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1024);
    char *p[40];
    for (int i = 0; i < 40; i++) { /* nine to a chunk of 1,024 bytes: the head holds 36..39 */
        p[i] = th_arena_alloc(&a, 112);
        memset(p[i], 'y', 112);
    }
    th_arena_recycle(&a);
    assert_ptr_equal(th_arena_alloc(&a, 112), p[36]);
    char *text = th_arena_strdup(&a, "kept");
    for (int i = 0; i < 40; i++)
        memset(th_arena_alloc(&a, 112), 'z', 112);
    assert_string_equal(text, "kept");
    th_arena_free(&a);
}

static void arena_release_forgets_after_mark(void **state)
{
    (void)state;
    th_arena a;
    th_arena_init(&a, 1024);
    th_arena_mark empty = th_arena_mark_get(&a);
    char *kept = th_arena_strdup(&a, "kept");
    size_t total = a.used_total;
    for (int round = 0; round < 3; round++) {
        th_arena_mark m = th_arena_mark_get(&a);
        for (int i = 0; i < 50; i++) /* several new chunks */
            memset(th_arena_alloc(&a, 100), 'y', 100);
        memset(th_arena_alloc(&a, 5000), 'z', 5000); /* a big one, behind the head */
        th_arena_mark inner = th_arena_mark_get(&a);
        memset(th_arena_alloc(&a, 3000), 'w', 3000);
        th_arena_release(&a, inner);
        th_arena_release(&a, m);
        assert_int_equal(a.used_total, total);
        assert_string_equal(kept, "kept");
        /* the next allocation comes right after `kept`, in the same chunk */
        char *next = th_arena_alloc(&a, 16);
        assert_ptr_equal(next, kept + 16);
        th_arena_release(&a, m);
    }
    /* the released chunks went to the spares: a second round asked malloc for none */
    assert_true(a.spare_bytes >= 5000);
    th_arena_release(&a, empty);
    assert_int_equal(a.used_total, 0);
    assert_null(a.head);
    char *again = th_arena_strdup(&a, "again");
    assert_string_equal(again, "again");
    th_arena_free(&a);
}

static void buf_appends_and_formats(void **state)
{
    (void)state;
    th_buf b;
    th_buf_init(&b);
    for (int i = 0; i < 1000; i++)
        th_buf_printf(&b, "%d,", i);
    assert_true(b.len > 3000);
    assert_memory_equal(b.data, "0,1,2,", 6);
    assert_int_equal(b.data[b.len], '\0');
    th_buf_free(&b);
}

static void map_puts_gets_and_grows(void **state)
{
    (void)state;
    th_map m;
    th_map_init(&m);
    static char keys[2000][16];
    for (int i = 0; i < 2000; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        th_map_put(&m, th_str_c(keys[i]), (void *)(intptr_t)(i + 1));
    }
    assert_int_equal(m.len, 2000);
    for (int i = 0; i < 2000; i++)
        assert_int_equal((intptr_t)th_map_get(&m, th_str_c(keys[i])), i + 1);
    assert_null(th_map_get(&m, th_str_c("absent")));
    assert_int_equal((intptr_t)th_map_put(&m, th_str_c("k5"), (void *)99), 6);
    assert_int_equal((intptr_t)th_map_get(&m, th_str_c("k5")), 99);
    th_map_free(&m);
}

/* th_map_ref_copy: keys built in one reused buffer are kept as copies in
 * the arena (the buffer's later texts do not change them), each inserted
 * once, found again by th_map_get and by th_map_ref_copy itself, across
 * the map's growth; the arena holds one copy per key */
static void map_ref_copy_keeps_copies(void **state)
{
    (void)state;
    th_map m;
    th_map_init(&m);
    th_arena a;
    th_arena_init(&a, 1 << 12);
    char buf[16];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 500; i++) {
            int n = snprintf(buf, sizeof buf, "g%d", i);
            th_str k = th_str_make(buf, (size_t)n);
            bool ins;
            void **slot = th_map_ref_copy(&m, &k, &ins, &a);
            assert_int_equal(ins, round == 0);
            assert_true(k.p != buf);
            assert_int_equal(k.n, (size_t)n);
            assert_memory_equal(k.p, buf, (size_t)n);
            if (ins)
                *slot = (void *)(intptr_t)(i + 1);
            assert_int_equal((intptr_t)*slot, i + 1);
        }
    assert_int_equal(m.len, 500);
    size_t used = a.used_total;
    strcpy(buf, "zzzz");
    for (int i = 0; i < 500; i++) {
        char key[16];
        snprintf(key, sizeof key, "g%d", i);
        assert_int_equal((intptr_t)th_map_get(&m, th_str_c(key)), i + 1);
    }
    assert_int_equal(a.used_total, used);
    th_map_free(&m);
    th_arena_free(&a);
}

static void diag_formats_locations(void **state)
{
    (void)state;
    th_diags d;
    th_diags_init(&d);
    th_diag_at(&d, TH_SEV_ERROR, "r.toml", 3, 7, "bad %s", "value");
    th_diag_offset(&d, TH_SEV_WARNING, "x.json", 120, "truncated");
    assert_int_equal(d.errors, 1);
    assert_int_equal(d.warnings, 1);
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    th_diags_print(&d, f);
    fclose(f);
    assert_string_equal(mem, "r.toml:3:7: error: bad value\nx.json: byte 120: warning: truncated\n");
    free(mem);
    th_diags_free(&d);
}

static void time_parses_iso_forms(void **state)
{
    (void)state;
    int64_t ms;
    const char *s = "2024-10-15T08:28:01Z";
    assert_true(th_time_parse_iso(s, strlen(s), &ms));
    assert_int_equal(ms, 1728980881000LL);
    s = "2024-10-15T08:28:01.123456789Z";
    assert_true(th_time_parse_iso(s, strlen(s), &ms));
    assert_int_equal(ms, 1728980881123LL);
    s = "2024-10-15T10:28:01+02:00";
    assert_true(th_time_parse_iso(s, strlen(s), &ms));
    assert_int_equal(ms, 1728980881000LL);
    s = "2024-02-30T00:00:00Z";
    assert_false(th_time_parse_iso(s, strlen(s), &ms));
    s = "2024-10-15";
    assert_true(th_time_parse_iso(s, strlen(s), &ms));
    assert_int_equal(ms, 1728950400000LL);
    char out[32];
    th_time_format_iso(1728980881123LL, out);
    assert_string_equal(out, "2024-10-15T08:28:01.123Z");
    th_time_format_iso(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    /* every second of a day, with milliseconds whose digits all differ
     * from record to record, against printf's text */
    for (unsigned sec = 0; sec < 86400; sec++) {
        unsigned at = sec * 1000u + (sec * 7u + sec / 60u) % 1000u;
        char want[32], got[14];
        snprintf(want, sizeof want, "%02u:%02u:%02u.%03uZ", sec / 3600u, sec / 60u % 60u, sec % 60u,
                 at % 1000u);
        th_time_format_tod(at, got);
        assert_string_equal(got, want);
    }
}

/* th_time_parse_iso reads `YYYY-MM-DDTHH:MM:SS.mmmZ` by a short cut: over
 * that form with every field at and around its limits (days 28 to 32 of
 * months of leap and other years, hour 24, minute 60, second 60 and 61, a
 * letter for a digit), the same verdict and instant as the same text with a
 * ',' before the milliseconds, which the general path reads the same way. */
static void time_short_cut_equals_general_path(void **state)
{
    (void)state;
    static const char *const years[] = {"2024", "2025", "1900", "2000", "0000", "9999", "20x5"};
    static const char *const months[] = {"00", "01", "02", "04", "12", "13", "1a"};
    static const char *const days[] = {"00", "01", "28", "29", "30", "31", "32"};
    static const char *const hms[] = {"00:00:00", "23:59:59", "24:00:00", "12:60:00",
                                      "12:00:60", "12:00:61", "1x:00:00"};
    static const char *const millis[] = {"000", "999", "5a0", "123"};
    size_t parsed = 0, total = 0;
    for (size_t y = 0; y < 7; y++)
        for (size_t mo = 0; mo < 7; mo++)
            for (size_t d = 0; d < 7; d++)
                for (size_t t = 0; t < 7; t++)
                    for (size_t f = 0; f < 4; f++) {
                        char dot[32], comma[32];
                        snprintf(dot, sizeof dot, "%s-%s-%sT%s.%sZ", years[y], months[mo],
                                 days[d], hms[t], millis[f]);
                        snprintf(comma, sizeof comma, "%s-%s-%sT%s,%sZ", years[y], months[mo],
                                 days[d], hms[t], millis[f]);
                        int64_t a = -1, b = -2;
                        bool ok = th_time_parse_iso(dot, strlen(dot), &a);
                        if (ok != th_time_parse_iso(comma, strlen(comma), &b) || (ok && a != b))
                            fail_msg("%s: %s %lld, general path %lld", dot, ok ? "ok" : "fails",
                                     (long long)a, (long long)b);
                        parsed += ok;
                        total++;
                    }
    assert_int_equal(total, 9604);
    /* 99 valid dates (6 years, 3 of them leap; months 01, 02, 04, 12), 3
     * valid times (second 60 is read), 3 valid milliseconds */
    assert_int_equal(parsed, 99 * 3 * 3);
}

/* th_time_parse_iso_day after any other text (of the same day, another day,
 * another form, one that failed) gives th_time_parse_iso's verdict and
 * instant: every text of the grid above with '.', read after each text of
 * its own day's grid (every time and millisecond) and after a few others. */
static void time_day_memo_equals_parse(void **state)
{
    (void)state;
    static const char *const years[] = {"2024", "2025", "1900", "0000", "20x5"};
    static const char *const months[] = {"00", "02", "04", "12", "1a"};
    static const char *const days[] = {"00", "01", "28", "29", "30", "31"};
    static const char *const hms[] = {"00:00:00", "23:59:59", "24:00:00",
                                      "12:60:00", "12:00:60", "1x:00:00"};
    static const char *const millis[] = {"000", "999", "5a0"};
    static const char *const others[] = {"2024-02-28T10:00:00.000Z", "2024-02-28T10:00:00Z",
                                         "2024-02-28 10:00:00.000Z", "2024-02-28", "garbage"};
    size_t checked = 0, hits = 0;
    for (size_t y = 0; y < 5; y++)
        for (size_t mo = 0; mo < 5; mo++)
            for (size_t d = 0; d < 6; d++)
                for (size_t t = 0; t < 6 * 3 + 5; t++) { /* the text read first */
                    char first[32];
                    if (t < 18)
                        snprintf(first, sizeof first, "%s-%s-%sT%s.%sZ", years[y], months[mo],
                                 days[d], hms[t / 3], millis[t % 3]);
                    else
                        snprintf(first, sizeof first, "%s", others[t - 18]);
                    for (size_t u = 0; u < 18; u++) { /* then each of its day's */
                        char txt[32];
                        snprintf(txt, sizeof txt, "%s-%s-%sT%s.%sZ", years[y], months[mo], days[d],
                                 hms[u / 3], millis[u % 3]);
                        th_time_daymemo m = {0};
                        int64_t a = -1, b = -2, c = -3;
                        bool ok0 = th_time_parse_iso_day(&m, first, strlen(first), &c);
                        if (ok0 != th_time_parse_iso(first, strlen(first), &b) || (ok0 && b != c))
                            fail_msg("%s read first: differs", first);
                        hits += m.set && memcmp(m.day, txt, sizeof m.day) == 0;
                        bool ok = th_time_parse_iso_day(&m, txt, strlen(txt), &a);
                        if (ok != th_time_parse_iso(txt, strlen(txt), &b) || (ok && a != b))
                            fail_msg("%s after %s: %s %lld, parse %lld", txt, first,
                                     ok ? "ok" : "fails", (long long)a, (long long)b);
                        checked++;
                    }
                }
    assert_int_equal(checked, 5 * 5 * 6 * 23 * 18);
    assert_true(hits > 0); /* the short cut was taken */
}

static void datemath_and_durations(void **state)
{
    (void)state;
    int64_t now = 1728980881000LL, v;
    assert_true(th_datemath_eval("now-6m", 6, now, &v));
    assert_int_equal(v, now - 360000);
    assert_true(th_datemath_eval("now", 3, now, &v));
    assert_int_equal(v, now);
    assert_true(th_datemath_eval("now-10d", 7, now, &v));
    assert_int_equal(v, now - 864000000LL);
    assert_true(th_datemath_eval("now/d", 5, now, &v));
    assert_int_equal(v, 1728950400000LL);
    assert_true(th_datemath_eval("now-1M", 6, now, &v)); /* 2024-09-15T08:28:01Z */
    assert_int_equal(v, 1726388881000LL);
    assert_false(th_datemath_eval("now-6q", 6, now, &v));
    assert_true(th_duration_parse("5m", 2, &v));
    assert_int_equal(v, 300000);
    assert_true(th_duration_parse("1h", 2, &v));
    assert_int_equal(v, 3600000);
    assert_false(th_duration_parse("m", 1, &v));
    assert_false(th_duration_parse("5x", 2, &v));
}

/* th_str_hash_sample is its definition: the length, then the head, middle
 * and tail words (the bytes of a short string as one word), each mixed in by
 * a multiply and a shift. The reference below is that definition written as
 * a loop over the words; strings of every length to 40, each with one byte
 * changed at every position (which moves the hash only where a sampled word
 * holds it: the tables compare whole strings, so only that is asked). */
static uint64_t hash_sample_ref(th_str s)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ s.n, w[3] = {0, 0, 0};
    if (s.n >= 8) {
        memcpy(&w[0], s.p, 8);
        memcpy(&w[1], s.p + s.n / 2 - 4, 8);
        memcpy(&w[2], s.p + s.n - 8, 8);
    } else {
        for (size_t k = 0; k < s.n; k++)
            w[0] |= (uint64_t)(unsigned char)s.p[k] << (8 * k);
    }
    for (int k = 0; k < 3; k++) {
        h = (h ^ w[k]) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return h;
}

static void str_hash_sample_is_its_definition(void **state)
{
    (void)state;
    char text[41];
    size_t checks = 0, moved = 0;
    for (size_t n = 0; n <= 40; n++) {
        for (size_t i = 0; i < n; i++)
            text[i] = (char)('a' + (i * 7 + n) % 26);
        uint64_t base = th_str_hash_sample(th_str_make(text, n));
        assert_true(base == hash_sample_ref(th_str_make(text, n)));
        for (size_t at = 0; at < n; at++) {
            char was = text[at];
            text[at] = (char)(was ^ 0x20);
            th_str t = th_str_make(text, n);
            uint64_t h = th_str_hash_sample(t);
            assert_true(h == hash_sample_ref(t));
            moved += h != base;
            checks++;
            text[at] = was;
        }
    }
    assert_true(checks > 0 && moved > 0 && moved < checks); /* strings of 25+ have unsampled bytes */
}

/* th_bytes_eq against memcmp for every length to 72 (each of its ways: a
 * byte loop, two 4-byte words, two and four 8-byte words, memcmp), equal
 * texts at different addresses and texts that differ in one byte anywhere,
 * in one bit or in the whole byte. */
static void bytes_eq_is_memcmp(void **state)
{
    (void)state;
    unsigned char a[80], b[80];
    size_t checks = 0;
    for (size_t n = 0; n <= 72; n++) {
        for (size_t i = 0; i < n; i++)
            a[i] = b[i + 1] = (unsigned char)(i * 37 + n);
        assert_true(th_bytes_eq(a, b + 1, n));
        for (size_t at = 0; at < n; at++)
            for (int flip = 1; flip <= 0x80; flip <<= 1) {
                b[at + 1] ^= (unsigned char)flip;
                assert_false(th_bytes_eq(a, b + 1, n));
                assert_int_equal(th_bytes_eq(b + 1, a, n), memcmp(a, b + 1, n) == 0);
                b[at + 1] ^= (unsigned char)flip;
                checks++;
            }
    }
    assert_true(checks == 8 * 72 * 73 / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_alloc_is_aligned_and_survives_big_blocks),
        cmocka_unit_test(arena_recycle_keeps_the_head),
        cmocka_unit_test(arena_release_forgets_after_mark),
        cmocka_unit_test(buf_appends_and_formats),
        cmocka_unit_test(map_puts_gets_and_grows),
        cmocka_unit_test(map_ref_copy_keeps_copies),
        cmocka_unit_test(diag_formats_locations),
        cmocka_unit_test(time_parses_iso_forms),
        cmocka_unit_test(time_short_cut_equals_general_path),
        cmocka_unit_test(time_day_memo_equals_parse),
        cmocka_unit_test(datemath_and_durations),
        cmocka_unit_test(str_hash_sample_is_its_definition),
        cmocka_unit_test(bytes_eq_is_memcmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
