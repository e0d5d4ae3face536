/* base/sha256: FIPS 180-4 test vectors (one-shot and streamed). */
#include "th_test.h"

#include "base/sha256.h"

static void sha256_known_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *in, *hex;
    } cases[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char hex[65];
        th_sha256_hex(cases[i].in, strlen(cases[i].in), hex);
        assert_string_equal(hex, cases[i].hex);
    }
}

static void sha256_streamed_equals_one_shot(void **state)
{
    (void)state;
    /* one million 'a': the classic long vector, fed in odd-sized pieces */
    th_sha256 c;
    th_sha256_init(&c);
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        th_sha256_update(&c, chunk, n);
        left -= n;
    }
    unsigned char d[32];
    char hex[65];
    th_sha256_final(&c, d);
    th_sha256_tohex(d, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_known_vectors),
        cmocka_unit_test(sha256_streamed_equals_one_shot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
