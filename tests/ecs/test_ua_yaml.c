/* uap-core's regexes.yaml read without libyaml (ecs/ua_yaml.h): the texts it
 * takes give libyaml's events exactly; the others are left to libyaml. */
#include "th_test.h"

#include <yaml.h>

#include "base/buf.h"
#include "base/file.h"
#include "ecs/mapper.h"
#include "ecs/ua_yaml.h"

static void note(void *ctx, yaml_event_type_t t, const char *s)
{
    th_buf *b = ctx;
    char type[16];
    int n = snprintf(type, sizeof type, "%d:", (int)t);
    th_buf_put(b, type, (size_t)n);
    if (s) /* uap-core's longest patterns are over 256 bytes */
        th_buf_put(b, s, strlen(s));
    th_buf_putc(b, '\n');
}

static void libyaml_events(const char *text, th_buf *b)
{
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev))
            fail_msg("libyaml refused a text the plain reader took:\n%s", text);
        yaml_event_type_t t = ev.type;
        note(b, t, t == YAML_SCALAR_EVENT ? (const char *)ev.data.scalar.value : NULL);
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&p);
}

static void taken(const char *text)
{
    th_buf mine, theirs;
    th_buf_init(&mine);
    th_buf_init(&theirs);
    if (!th_ua_yaml_plain(text, strlen(text), note, &mine))
        fail_msg("not taken:\n%s", text);
    libyaml_events(text, &theirs);
    if (mine.len != theirs.len || memcmp(mine.data, theirs.data, mine.len) != 0)
        fail_msg("events differ for:\n%s\nplain:\n%.*s\nlibyaml:\n%.*s", text, (int)mine.len,
                 mine.data, (int)theirs.len, theirs.data);
    th_buf_free(&mine);
    th_buf_free(&theirs);
}

static void left(const char *text)
{
    th_buf b;
    th_buf_init(&b);
    if (th_ua_yaml_plain(text, strlen(text), note, &b))
        fail_msg("taken, should be left to libyaml:\n%s", text);
    if (b.len)
        fail_msg("events given for a text left to libyaml");
    th_buf_free(&b);
}

static void test_taken(void **state)
{
    (void)state;
    taken("user_agent_parsers:\n  - regex: '(Firefox)/(\\d+)'\n");
    taken("# head\nuser_agent_parsers:\n  # ESRI\n  - regex: 'a''b'\n    family_replacement: "
          "'$1 x'\n\n  - regex: 'c'   \n    regex_flag: 'i'\nos_parsers:\n    - regex: 'd'\n"
          "      os_replacement: 'Seznam prohl\xc3\xad\xc5\xbe"
          "e\xc4\x8d'\n");
    taken("device_parsers:\n - regex: '#not a comment'\n   device_replacement: ''\n");
    /* doubled quotes: first, last, side by side, alone */
    taken("user_agent_parsers:\n  - regex: '''a''b''''c'''\n    v1_replacement: ''''\n"
          "  - regex: 'x'''\n    v2_replacement: '''y'\n");
}

/* uap-core's own file, the one the plain reader is for, event by event. */
static void test_uap_core(void **state)
{
    (void)state;
    char path[4096];
    if (!th_mapper_default_ua_path(path, sizeof path)) {
        print_message("SKIP: node_modules/uap-core/regexes.yaml is absent (npm ci installs it)\n");
        skip();
    }
    size_t n = 0;
    char *text = th_file_read(path, &n);
    assert_non_null(text);
    assert_true(n > 100000 && strlen(text) == n);
    taken(text);
    free(text);
}

static void test_left(void **state)
{
    (void)state;
    left("");
    left("# only a comment\n");
    left("user_agent_parsers:\n"); /* a key without items */
    left("user_agent_parsers:\nos_parsers:\n  - regex: 'a'\n");
    left("user_agent_parsers:\n  - regex: \"a\"\n");      /* double quotes */
    left("user_agent_parsers:\n  - regex: 'a' # c\n");    /* a trailing comment */
    left("user_agent_parsers:\n  - regex: 'a\n    b'\n"); /* a value over two lines */
    left("user_agent_parsers:\n\t- regex: 'a'\n");        /* a tab */
    left("user_agent_parsers:\r\n  - regex: 'a'\r\n");    /* CRLF */
    left("user_agent_parsers:\n  - regex: 'a'\n   family_replacement: 'b'\n"); /* indentation */
    left("user_agent_parsers:\n  - regex: 'a'\n - regex: 'b'\n");
    left("user_agent_parsers:\n- regex: 'a'\n"); /* items at column 0 */
    left("user_agent_parsers:\n  - regex:  'a'\n");
    left("---\nuser_agent_parsers:\n  - regex: 'a'\n");
    left("user_agent_parsers:\n  - regex: 'a\xe2\x80\xa8'\n"); /* U+2028, a line break */
    left("user_agent_parsers:\n  - regex: 'a\xc2\x85'\n");     /* NEL */
    left("\xef\xbb\xbfuser_agent_parsers:\n  - regex: 'a'\n"); /* a byte-order mark */
    left("user_agent_parsers:\n  - regex: 'a\xff'\n");         /* not UTF-8 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_taken),
        cmocka_unit_test(test_uap_core),
        cmocka_unit_test(test_left),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
