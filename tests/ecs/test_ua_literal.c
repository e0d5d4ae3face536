/* The literals of which a user-agent pattern's every match contains one
 * (ecs/ua_literal.h): what is required, what may be absent, alternations, and
 * the syntax that gives up. */
#include "th_test.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <yaml.h>

#include "ecs/ua_literal.h"
#include "ecs/ua_yaml.h"

/* want: the literals of a requirement joined by '|', requirements by " & ",
 * best first; a folded literal (looked for lowered) after '~', one only at
 * the agent's start after '^' ("" for none) */
static void lit_is(const char *re, bool caseless, const char *want)
{
    th_ua_lit out[TH_UA_ALTS_MAX];
    size_t n = th_ua_literals(re, caseless, out);
    char got[TH_UA_ALTS_MAX * (TH_UA_LITERAL_MAX + 5) + 1];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && out[i].req != out[i - 1].req)
            k += (size_t)sprintf(got + k, " & ");
        else if (i)
            got[k++] = '|';
        if (out[i].start)
            got[k++] = '^';
        if (out[i].fold && !caseless)
            got[k++] = '~';
        memcpy(got + k, out[i].s, out[i].n);
        k += out[i].n;
    }
    got[k] = 0;
    if (strcmp(got, want) != 0)
        fail_msg("'%s'%s: got '%s', want '%s'", re, caseless ? " (caseless)" : "", got, want);
}

static void test_required(void **state)
{
    (void)state;
    lit_is("(Firefox)/(\\d+)\\.(\\d+)", false, "Firefox & / & .");
    lit_is("(Chrome)/(\\d+)", false, "Chrome & /");
    lit_is("Opera Mobi.{1,100}(Opera)", false, "Opera Mobi & Opera");
    lit_is("(?:Mobile|Tablet);.{0,200}(Firefox)/(\\d+)", false, "Firefox & Mobile|Tablet & ; & /");
    lit_is("(espnradio\\.com)", false, "espnradio.com"); /* an escaped dot is a dot */
    lit_is("; ARM; Trident/6\\.0; Touch[\\);]", false, "; ARM; Trident/6.0; Touch");
    lit_is("^(go-cli)\\s(\\d+)", false, "^go-cli");
    lit_is("(?:(?:Gecko))", false, "Gecko"); /* nested groups */
}

static void test_may_be_absent(void **state)
{
    (void)state;
    lit_is("Firefo?x", false, "Firef & x");  /* the quantified character leaves the run */
    lit_is("abcd{2,3}ef", false, "abc & ef"); /* a counted one too, and the count is no literal */
    lit_is("ab*cdef", false, "cdef & a");
    lit_is("(Firefox)?/x", false, "/x"); /* a quantified group */
    lit_is("(Firefox)+/", false, "Firefox & /"); /* once at least */
    lit_is("(?:ab(cdef)|x)y", false, "y & cdef|x"); /* one literal first, then two */
    lit_is("(Firefox|Chrome|)/", false, "/"); /* an empty branch requires nothing */
    lit_is("(Firefox|\\d+)", false, "");     /* nor a branch of a class */
    lit_is("(Firefox|Chrome?)", false, "Firefox|Chrom");
    lit_is("[Firefox]", false, "");          /* a class */
    lit_is("[]Fire]fox", false, "fox");
    lit_is("a{,3}bc", false, "bc");    /* PCRE2 10.43 reads {,3} as a quantifier */
    lit_is("x{ab}yz", false, "ab}yz"); /* a literal `{` is not counted on */
    lit_is("ab{+cd", false, "cd & a");     /* nor one quantified: `{+` is one or more `{` */
    lit_is("ab{}?cd", false, "cd & a");    /* nor what follows braces PCRE2 may read as literals */
    lit_is("7{?", false, "");
}

/* An alternation whose every branch requires a literal requires one of them. */
static void test_alternation(void **state)
{
    (void)state;
    lit_is("Safari|Chrome", false, "Safari|Chrome"); /* at the level */
    lit_is("(Firefox|Chrome)/", false, "Firefox|Chrome & /"); /* in a group, better than "/" */
    lit_is("(iPod|iPhone|iPad)", false, "iPod|iPhone|iPad");
    lit_is("(?:(iPhone|iPad)|Android) (\\d+)", false, "iPhone|iPad|Android &  "); /* nested */
    lit_is("(?:ab(cdef)|wxyz)", false, "cdef|wxyz"); /* each branch's best */
    lit_is("(Firefox|Chrome)/Mobile", false, "/Mobile & Firefox|Chrome"); /* the one literal is longer */
    lit_is("(AspiegelBot|PetalBot)", true, "aspiegelbot|petalbot");
    lit_is("(a|b)(c|d|e)", false, "a|b & c|d|e"); /* as short: the fewer first */
    /* more than TH_UA_ALTS_MAX branches: nothing kept */
    char many[TH_UA_ALTS_MAX * 4 + 8] = "(";
    for (int i = 0; i <= TH_UA_ALTS_MAX; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s%c%c", i ? "|" : "",
                 'a' + i % 26, 'a' + i / 26);
    strcat(many, ")");
    lit_is(many, false, "");
}

/* A branch requires all its runs and groups; the best TH_UA_REQS_MAX kept. */
static void test_conjunction(void **state)
{
    (void)state;
    lit_is("; {0,2}(?:Dell|DELL)[ _](Aero|Venue)(?: Build|\\) AppleWebKit)", false,
           " Build|) AppleWebKit & Dell|DELL & Aero|Venue & ;");
    lit_is("a.bb.ccc.dddd.eeeee", false, "eeeee & dddd & ccc & bb"); /* "a" dropped */
    lit_is("(ab.cd|ef)", false, "ab|ef"); /* a branch's best joins the alternation */
    lit_is("ab+c", false, "ab & c"); /* a character repeated by + is there once */
    lit_is("(?:Lenovo|LENOVO)+[ _]?x", false, "Lenovo|LENOVO & x");
}

/* [Ss]: the letter in either case, looked for lowered (not in a caseless
 * pattern, where s also matches U+017F). */
static void test_two_case_class(void **state)
{
    (void)state;
    lit_is("([Ss][Pp][Ii][Dd][Ee][Rr])", false, "~spider");
    lit_is("Black[bB]erry", false, "~blackberry");
    lit_is("(?:[Ss]crape|[Cc][Rr][Aa][Ww][Ll])", false, "~scrape|~crawl");
    lit_is("Ab[Cc]?de", false, "Ab & de"); /* quantified: ends the run */
    lit_is("[Ss]ilk", true, "silk"); /* caseless: \xc5\xbfilk folds to silk */
    lit_is("[Sx]ilk", false, "ilk");
    lit_is("[Ss][Ss]", false, "~ss");
    lit_is("[sS]", false, "~s");
    lit_is("[SS]a", false, "a");
    lit_is("[^Ss]a", false, "a");
}

/* A leading ^ anchors what nothing before it consumes, without a top-level |. */
static void test_anchored(void **state)
{
    (void)state;
    lit_is("^(TALK|teli|up.b)", true, "^talk|^teli|^up"); /* caseless: lowered */
    lit_is("^Mozilla/5\\.0 (X)", false, "^Mozilla/5.0  & X");
    lit_is("^(?:(abc)|de)f", false, "^abc|^de & f");
    lit_is("^a(bc)", false, "bc & ^a"); /* the group is not first */
    lit_is("^.{0,100}(bot|crawl)", false, "bot|crawl");
    lit_is("^\\b(bot)", false, "bot");
    lit_is("^(bot)?x", false, "x");
    lit_is("^(bot)+x", false, "bot & x");
    lit_is("^abc|def", false, "abc|def"); /* the second branch is not anchored */
    lit_is("(^abc|def)", false, "abc|def");
    lit_is("x^abc", false, "abc & x");
    lit_is("^?abc", false, "abc");
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
    lit_is("(FireFox)/", true, "firefox & /");
    /* K and S also match U+212A and U+017F caselessly, which th_ua_fold makes k and s */
    lit_is("(Kindle)", true, "kindle");
    lit_is("xSafari", true, "xsafari");
    lit_is("Kindle", false, "Kindle");
    lit_is("Caf\xc3\xa9 Browser", false, " Browser & Caf"); /* non-ASCII ends a run */
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
    plain("[:alpha:]", false); /* a POSIX class outside a class: an error */
    plain("[a", false);
    plain("(a", false);
    plain("a)", false);
    plain("\\x41", false);
    plain("\\1", false);
    plain("caf\xc3\xa9", false); /* non-ASCII */
}

/* Agents of many kinds (browsers, phones, bots, SDKs, tools), each also in
 * lower and upper case for the caseless patterns. */
static const char *const agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "CriOS/119.0.6045.169 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 "
    "Version/10.54",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 "
    "(compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
    "Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebkit/534.30 "
    "(KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
    "Mozilla/5.0 (Linux; Android 9; Lenovo TB-X505F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/110.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 11; Pixel 5) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/90.0.4430.91 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 5.1.1; KFSUWI) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Silk/81.2.16 like Chrome/81.0.4044.138 Safari/537.36",
    "Mozilla/5.0 (PlayStation 4 3.11) AppleWebKit/537.73 (KHTML, like Gecko)",
    "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.14977",
    "Nokia6230i/2.0 (03.25) Profile/MIDP-2.0 Configuration/CLDC-1.1",
    "BlackBerry9700/5.0.0.351 Profile/MIDP-2.1 Configuration/CLDC-1.1 VendorID/123",
    "aws-cli/2.15.30 Python/3.11.8 Linux/5.10.210-201.852.amzn2.x86_64 exe/x86_64.amzn.2 "
    "prompt/off command/s3.ls",
    "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1019-aws md/arch#x86_64 "
    "lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
    "md/distrib#ubuntu.24 md/prompt#off md/command#iam.create-access-key",
    "aws-cli/1.18.147 Python/2.7.18 Darwin/19.6.0 botocore/1.18.6",
    "Boto3/1.35.50 md/Botocore#1.35.50 ua/2.0 os/linux#6.8.0-1016-aws md/arch#x86_64 "
    "lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.50",
    "aws-sdk-go/1.44.327 (go1.20.7; linux; amd64)",
    "aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/sts#1.26.6",
    "aws-sdk-java/1.12.600 Linux/5.10.199 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS java/17.0.9 "
    "vendor/Amazon.com_Inc.",
    "aws-sdk-nodejs/2.1500.0 linux/v18.18.2 exec-env/AWS_Lambda_nodejs18.x",
    "aws-sdk-js/3.450.0 ua/2.0 os/linux#5.10.198 lang/js md/nodejs#18.18.2 api/s3#3.450.0",
    "aws-sdk-ruby3/3.190.0 ua/2.0 api/s3#1.140.0 os/linux md/x86_64 lang/ruby#3.2.2",
    "aws-sdk-dotnet-coreclr/3.7.300.14 aws-sdk-dotnet-core/3.7.300.14 .NET_Core/6.0.25",
    "aws-internal/3 aws-sdk-java/1.12.590 Linux/5.10.198 OpenJDK_64-Bit_Server_VM/25.392-b08",
    "AWS Internal", "console.amazonaws.com", "signin.amazonaws.com", "s3.amazonaws.com",
    "Terraform/1.6.5 (+https://www.terraform.io) terraform-provider-aws/5.31.0 "
    "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.24.0",
    "HashiCorp Terraform/0.12.31 (+https://www.terraform.io)",
    "python-requests/2.31.0", "curl/8.4.0", "Wget/1.21.4", "okhttp/4.12.0",
    "Go-http-client/1.1", "Apache-HttpClient/4.5.14 (Java/17.0.9)", "PostmanRuntime/7.35.0",
    "Python-urllib/3.11", "axios/1.6.2", "Java/1.8.0_392", "facebookexternalhit/1.1",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "Twitterbot/1.0",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Dalvik/2.1.0 (Linux; U; Android 12; SM-A525F Build/SP1A.210812.016)",
    "CFNetwork/1474 Darwin/23.0.0", "MobileSafari/604.1 CFNetwork/1410.0.3 Darwin/22.6.0",
    "Mozilla/5.0 (X11; CrOS x86_64 15633.69.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.6045.212 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/48.0.2564.82 Safari/537.36 Edge/20.02",
    "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36",
    "Roku/DVP-9.10 (519.10E04111A)", "Kindle/3.0+", "WeTab-Browser", "Steeler/3.5",
    "\xe2\x84\xaaindle/3.0+", "Mozilla/5.0 (compatible; Petal\xc5\xbf" "earch)", /* U+212A, U+017F */
    "", "x", "()", "/1.2.3", "Mozilla/5.0",
};

typedef struct pat_reader {
    char *key;      /* the last mapping key, until its value */
    char *regex;    /* the rule's pattern */
    bool caseless;  /* regex_flag: 'i' */
    size_t rules, matched;
} pat_reader;

static void check_pattern(pat_reader *pr)
{
    th_ua_lit lits[TH_UA_ALTS_MAX];
    size_t n = th_ua_literals(pr->regex, pr->caseless, lits);
    pr->rules++;
    if (n == 0)
        return;
    uint32_t opts = PCRE2_UTF | (pr->caseless ? PCRE2_CASELESS : 0);
    int err;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pr->regex, PCRE2_ZERO_TERMINATED, opts, &err, &off,
                                   NULL);
    if (!re)
        return; /* the parser skips it too */
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    for (size_t a = 0; a < sizeof agents / sizeof agents[0]; a++) {
        for (int form = 0; form < 3; form++) {
            char s[512], low[512];
            size_t len = strlen(agents[a]);
            assert_true(len < sizeof s);
            for (size_t i = 0; i <= len; i++) {
                char c = agents[a][i];
                s[i] = form == 1 && c >= 'A' && c <= 'Z'   ? (char)(c - 'A' + 'a')
                       : form == 2 && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A')
                                                           : c;
            }
            size_t flen = th_ua_fold(s, len, low);
            if (pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, NULL) < 0)
                continue;
            pr->matched++;
            /* each requirement: one of its literals, in the agent (lowered
             * for a folded one), at its start for a start one */
            for (size_t k = 0; k < n;) {
                bool held = false;
                size_t e = k;
                for (; e < n && lits[e].req == lits[k].req; e++) {
                    const char *hay = lits[e].fold ? low : s;
                    size_t hn = lits[e].fold ? flen : len;
                    for (size_t i = 0; i + lits[e].n <= hn && !held; i++)
                        held = (i == 0 || !lits[e].start) &&
                               memcmp(hay + i, lits[e].s, lits[e].n) == 0;
                }
                if (!held)
                    fail_msg("'%s' matches '%s' without requirement %d (first '%.*s')", pr->regex,
                             s, lits[k].req, (int)lits[k].n, lits[k].s);
                k = e;
            }
            assert_true(th_ua_literals_held(lits, n, s, len));
        }
    }
    pcre2_match_data_free(md);
    pcre2_code_free(re);
}

static void on_event(void *ctx, yaml_event_type_t t, const char *scalar)
{
    pat_reader *pr = ctx;
    if (t == YAML_MAPPING_END_EVENT && pr->regex) {
        check_pattern(pr);
        free(pr->regex);
        pr->regex = NULL;
        pr->caseless = false;
    }
    if (t != YAML_SCALAR_EVENT) {
        free(pr->key);
        pr->key = NULL;
        return;
    }
    if (!pr->key) {
        pr->key = strdup(scalar);
        return;
    }
    if (strcmp(pr->key, "regex") == 0)
        pr->regex = strdup(scalar);
    else if (strcmp(pr->key, "regex_flag") == 0)
        pr->caseless = strchr(scalar, 'i') != NULL;
    free(pr->key);
    pr->key = NULL;
}

/* uap-core's own patterns: wherever one matches an agent, the agent holds one
 * of the literals found for it (what lets the parser skip a pattern). */
static void test_uap_core_patterns(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/node_modules/uap-core/regexes.yaml", th_test_root());
    size_t len;
    char *text = th_test_read_file(path, &len);
    if (!text) {
        print_message("SKIP: %s is absent (npm ci installs it)\n", path);
        skip();
    }
    pat_reader pr = {0};
    assert_true(th_ua_yaml_plain(text, len, on_event, &pr));
    free(pr.key);
    free(pr.regex);
    free(text);
    assert_true(pr.rules > 1000);
    assert_true(pr.matched > 100); /* the agents do reach the patterns */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_required), cmocka_unit_test(test_may_be_absent),
        cmocka_unit_test(test_alternation), cmocka_unit_test(test_conjunction),
        cmocka_unit_test(test_two_case_class), cmocka_unit_test(test_anchored),
        cmocka_unit_test(test_gives_up),
        cmocka_unit_test(test_caseless),
        cmocka_unit_test(test_plain),          cmocka_unit_test(test_uap_core_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
