/* check.h - a tiny test harness for the C and C++ tests: CHECK counts failures and says
   where; main returns the count, so the Rust runner (tests/c_tests.rs) sees it. */
#ifndef IMSG_CHECK_H
#define IMSG_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures = 0;
static int check_count = 0; /* checks evaluated, for the summary line */

#define CHECK(cond)                                                              \
    do {                                                                         \
        check_count++;                                                           \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            check_failures++;                                                    \
        }                                                                        \
    } while (0)

/* Checks an HRESULT/SCODE and prints both values on mismatch. */
#define CHECK_HR(expr, expected)                                                  \
    do {                                                                          \
        long check_hr_ = (long)(expr);                                            \
        long check_want_ = (long)(expected);                                      \
        check_count++;                                                            \
        if (check_hr_ != check_want_) {                                           \
            fprintf(stderr, "%s:%d: %s returned 0x%08lX, expected 0x%08lX\n", __FILE__, \
                    __LINE__, #expr, (unsigned long)(unsigned int)check_hr_,       \
                    (unsigned long)(unsigned int)check_want_);                    \
            check_failures++;                                                     \
        }                                                                         \
    } while (0)

#define CHECK_OK(expr) CHECK_HR(expr, 0)

static int check_report(const char *name)
{
    if (check_failures == 0)
        printf("%s: all %d checks passed\n", name, check_count);
    else
        printf("%s: %d of %d check(s) failed\n", name, check_failures, check_count);
    return check_failures > 100 ? 100 : check_failures;
}

#endif
