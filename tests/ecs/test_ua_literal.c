/* The literal a user-agent pattern's every match contains (ecs/ua_literal.h):
 * what is required, what may be absent, and the syntax that gives up. */
#include "th_test.h"

#include "ecs/ua_literal.h"

static void lit_is(const char *re, bool caseless, const char *want)
{
    char out[TH_UA_LITERAL_MAX];
    size_t n = th_ua_literal(re, caseless, out);
    if (n != strlen(want) || memcmp(out, want, n) != 0)
        fail_msg("'%s'%s: got '%.*s', want '%s'", re, caseless ? " (caseless)" : "", (int)n, out,
                 want);
}

static void test_required(void **state)
{
    (void)state;
    lit_is("(Firefox)/(\\d+)\\.(\\d+)", false, "Firefox");
    lit_is("(Chrome)/(\\d+)", false, "Chrome");
    lit_is("Opera Mobi.{1,100}(Opera)", false, "Opera Mobi");
    lit_is("(?:Mobile|Tablet);.{0,200}(Firefox)/(\\d+)", false, "Firefox");
    lit_is("(espnradio\\.com)", false, "espnradio.com"); /* an escaped dot is a dot */
    lit_is("; ARM; Trident/6\\.0; Touch[\\);]", false, "; ARM; Trident/6.0; Touch");
    lit_is("^(go-cli)\\s(\\d+)", false, "go-cli");
    lit_is("(?:(?:Gecko))", false, "Gecko"); /* nested groups */
}

static void test_may_be_absent(void **state)
{
    (void)state;
    lit_is("Firefo?x", false, "Firef");  /* the quantified character leaves the run */
    lit_is("abcd{2,3}ef", false, "abc"); /* a counted one too, and the count is no literal */
    lit_is("ab*cdef", false, "cdef");
    lit_is("(Firefox)?/x", false, "/x"); /* a quantified group */
    lit_is("(Firefox)+/", false, "/");
    lit_is("Safari|Chrome", false, "");      /* alternation at the level */
    lit_is("(Firefox|Chrome)/", false, "/"); /* alternation inside a group */
    lit_is("(?:ab(cdef)|x)y", false, "y");   /* a group under alternation */
    lit_is("[Firefox]", false, "");          /* a class */
    lit_is("[]Fire]fox", false, "fox");
    lit_is("a{,3}bc", false, "bc");    /* PCRE2 10.43 reads {,3} as a quantifier */
    lit_is("x{ab}yz", false, "ab}yz"); /* a literal `{` is not counted on */
}

static void test_gives_up(void **state)
{
    (void)state;
    lit_is("(?i)firefox", false, "");   /* options */
    lit_is("(?=Firefox)", false, "");   /* lookaround */
    lit_is("(*UTF)Firefox", false, ""); /* verbs */
    lit_is("\\QFirefox\\E", false, "");
    lit_is("\\x41Firefox", false, ""); /* an escape we do not read */
    lit_is("(\\w+)\\1Firefox", false, "");
    lit_is("Firefox)", false, ""); /* unbalanced */
    lit_is("(Firefox", false, "");
}

static void test_caseless(void **state)
{
    (void)state;
    lit_is("(FireFox)/", true, "firefox");
    /* K and S also match U+212A and U+017F caselessly: they end the run */
    lit_is("(Kindle)", true, "indle");
    lit_is("xSafari", true, "afari");
    lit_is("Kindle", false, "Kindle");
    lit_is("Caf\xc3\xa9 Browser", false, " Browser"); /* non-ASCII ends a run */
}

static void plain(const char *re, bool want)
{
    if (th_ua_pattern_plain(re) != want)
        fail_msg("'%s' should %sbe plain", re, want ? "" : "not ");
}

/* Plain patterns are compiled on first use, so plain must mean "compiles". */
static void test_plain(void **state)
{
    (void)state;
    plain("(Firefox)/(\\d+)\\.(\\d+)(?:\\.(\\d+)|)", true);
    plain("; {0,2}([^;/]{1,100}?)(?: Build|\\) AppleWebKit)", true);
    plain("[A-Za-z0-9\\-_]+ [\\d.-]\\b", true);
    plain("^(a|b)*+$", true);
    plain("(?i)a", false); /* options */
    plain("(?=a)", false); /* lookaround */
    plain("*a", false);    /* nothing to repeat */
    plain("a**", false);
    plain("^*", false);
    plain("\\b+", false);
    plain("a{3,1}", false); /* out of order */
    plain("a{,3}", false);
    plain("a{1001}", false);
    plain("(ab){2}", false); /* a group's copies */
    plain("[z-a]", false);
    plain("[\\d-z]", false); /* a class cannot start a range */
    plain("[]a]", false);
    plain("[[:alpha:]]", false);
    plain("[a", false);
    plain("(a", false);
    plain("a)", false);
    plain("\\x41", false);
    plain("\\1", false);
    plain("caf\xc3\xa9", false); /* non-ASCII */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_required), cmocka_unit_test(test_may_be_absent),
        cmocka_unit_test(test_gives_up), cmocka_unit_test(test_caseless),
        cmocka_unit_test(test_plain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
