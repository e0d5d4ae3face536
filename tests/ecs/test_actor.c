/* th_ecs_service_actor (ecs/mapper.c) against its first form: the service
 * role's marker ":role/aws-service-role/" found with mx_find (a memchr to
 * every ':'), where it is now found from the marker's '/'. Over issuer ARNs
 * of real shapes and over random strings built of the marker's pieces
 * (partial markers, markers at the start, at the end, overlapping, twice),
 * each copied to a buffer of its exact length so that a read past it is seen
 * under ASan, the answer (text and place) must be the same. */
#include "th_test.h"

#include "ecs/mapper_int.h"

/* The function as it was before the search changed. */
static th_str reference(th_str type, th_str invoked_by, th_str issuer_arn)
{
    if (th_str_eqc(type, "AWSService"))
        return invoked_by;
    if (!th_str_eqc(type, "AssumedRole"))
        return TH_STR_NULL;
    const char *marker = ":role/aws-service-role/";
    const char *at = mx_find(issuer_arn, marker);
    if (!at)
        return TH_STR_NULL;
    size_t skip = (size_t)(at - issuer_arn.p) + strlen(marker);
    th_str rest = th_str_make(issuer_arn.p + skip, issuer_arn.n - skip);
    const char *slash = rest.n ? memchr(rest.p, '/', rest.n) : NULL;
    if (invoked_by.p)
        return invoked_by;
    if (slash && slash > rest.p)
        return th_str_make(rest.p, (size_t)(slash - rest.p));
    return TH_STR_NULL;
}

/* Both answers for arn (n bytes, no NUL needed) as an AssumedRole's issuer,
 * with and without an invokedBy; returns how many found a service. */
static unsigned check(const char *arn, size_t n)
{
    char *buf = malloc(n ? n : 1); /* exactly n: a read past it is an overflow */
    assert_non_null(buf);
    memcpy(buf, arn, n);
    th_str issuer = th_str_make(buf, n), type = th_str_c("AssumedRole");
    th_str invoked[2] = {TH_STR_NULL, th_str_c("ecs.amazonaws.com")};
    unsigned found = 0;
    for (int k = 0; k < 2; k++) {
        th_str want = reference(type, invoked[k], issuer);
        th_str got = th_ecs_service_actor(type, invoked[k], issuer);
        if (want.p != got.p || want.n != got.n)
            fail_msg("issuer \"%.*s\" (invokedBy %s): %p+%zu, want %p+%zu", (int)n, arn,
                     k ? "set" : "absent", (const void *)got.p, got.n, (const void *)want.p,
                     want.n);
        found += got.p != NULL;
    }
    free(buf);
    return found;
}

static void real_shapes(void **state)
{
    (void)state;
    static const char *const arns[] = {
        "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
        "arn:aws:iam::123456789012:role/aws-service-role/support.amazonaws.com/"
        "AWSServiceRoleForSupport",
        "arn:aws:iam::123456789012:role/aws-service-role/x/",
        "arn:aws:iam::123456789012:role/aws-service-role//y",
        "arn:aws:iam::123456789012:role/aws-service-role/",
        "arn:aws:iam::123456789012:role/aws-service-role/noslash",
        "arn:aws:iam::123456789012:role/service-role/MyRole",
        "arn:aws:iam::123456789012:role/MyRole",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:sts::123456789012:assumed-role/Admin/session",
        ":role/aws-service-role/a/b",
        ":role/aws-service-role/",
        "role/aws-service-role/a/b",
        ":role/aws-service-role",
        "/aws-service-role/a/b",
        ":role:role/aws-service-role/a/b",
        ":role/:role/aws-service-role/a/",
        ":role/aws-service-role/:role/aws-service-role/a/b",
        "",
        "/",
        ":role/",
    };
    unsigned found = 0;
    for (size_t i = 0; i < sizeof arns / sizeof *arns; i++)
        found += check(arns[i], strlen(arns[i]));
    assert_true(found >= 10); /* the service side was exercised */
    /* AWSService and other types take the invokedBy or nothing, as before */
    th_str arn = th_str_c(arns[0]);
    static const char *const types[] = {"AWSService", "IAMUser", "Root", "AssumedRol", ""};
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        th_str inv = th_str_c("lambda.amazonaws.com"), t = th_str_c(types[i]);
        th_str want = reference(t, inv, arn), got = th_ecs_service_actor(t, inv, arn);
        assert_ptr_equal(want.p, got.p);
        assert_int_equal(want.n, got.n);
    }
}

static void random_pieces(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        ":role/aws-service-role/", ":role", "/", ":", "aws-service-role/", "aws-service-role",
        "role/", "x", "arn:aws:iam::1:", "ecs.amazonaws.com", ":role/aws-service-role/a/b",
        "-", "r",
    };
    enum { NP = sizeof pieces / sizeof *pieces };
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    char buf[256];
    unsigned found = 0, cases = 0;
    for (int i = 0; i < 200000; i++) {
        size_t n = 0;
        int k = (int)(th_test_xorshift(&seed) % 7);
        for (int j = 0; j < k; j++) {
            const char *p = pieces[th_test_xorshift(&seed) % NP];
            size_t pn = strlen(p);
            if (n + pn > sizeof buf)
                break;
            memcpy(buf + n, p, pn);
            n += pn;
        }
        /* a cut anywhere: the marker's tail or the text after it ends the ARN */
        if (n && th_test_xorshift(&seed) % 3 == 0)
            n -= th_test_xorshift(&seed) % n;
        found += check(buf, n);
        cases++;
    }
    print_message("service actor: %u random issuers, %u answers with a service\n", cases, found);
    assert_true(found > 10000 && found < 2 * cases); /* both answers were exercised */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_shapes),
        cmocka_unit_test(random_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
