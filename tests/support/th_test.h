/* Test support shared by the cmocka test programs. */
#ifndef TH_TEST_H
#define TH_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka needs the includes above first */
#include <cmocka.h>

/* Directory of the shared corpus (../shared/corpus from the repository root,
 * or $TH_CORPUS), or NULL when it is absent. */
const char *th_test_corpus(void);
/* Repository root (where the tests are run from: $TH_ROOT or "."). */
const char *th_test_root(void);
/* Reads a whole file into a malloc'd NUL-terminated buffer; NULL if unreadable. */
char *th_test_read_file(const char *path, size_t *len);
/* The next value of the xorshift64 generator whose state is *s (not 0):
 * tests that draw random cases draw the same ones on every run. */
static inline uint64_t th_test_xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
/* Prints a visible skip line and marks the test skipped when the corpus is absent. */
#define TH_REQUIRE_CORPUS(dir)                                                               \
    const char *dir = th_test_corpus();                                                      \
    if (!dir) {                                                                              \
        print_message("SKIP: ../shared/corpus is absent; conformance test not run\n");      \
        skip();                                                                              \
    }

#endif
