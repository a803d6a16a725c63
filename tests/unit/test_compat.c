/*
 * test_compat.c - lk_quantile7, R's type-7 quantile.
 *
 * Known answers are worked out by hand from the definition
 * (h = (n-1)p; x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])).
 * The last case compares bit for bit with the arithmetic R itself does in
 * stats:::quantile.default (type 7):
 *     index <- 1 + max(n - 1, 0) * probs; lo <- floor(index); hi <- ceiling(index)
 *     qs <- x[lo]; i <- which(index > lo & x[hi] != qs); h <- (index - lo)[i]
 *     qs[i] <- (1 - h) * qs[i] + h * x[hi[i]]
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lk_testutil.h"

#include <math.h>

#include "compat.h"

static void expect_q(const double *x, size_t n, double p, double want)
{
    const double got = lk_quantile7(x, n, p);
    if (fabs(got - want) > 1e-12 * LK_MAX(1.0, fabs(want)))
        fail_msg("n=%zu p=%g: got %.17g, want %.17g", n, p, got, want);
}

static void test_known_values(void **state)
{
    static const double x5[] = {1, 1, 2, 3, 10};
    static const double x4[] = {1, 2, 3, 4};
    static const double x2[] = {2, 4};
    static const double xf[] = {-1.5, 0.25, 0.25, 8};
    static const double x10[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

    (void)state;
    /* quantile(c(1,1,2,3,10), c(0,.25,.5,.9,1)) = 1 1 2 7.2 10 */
    expect_q(x5, 5, 0.0, 1.0);
    expect_q(x5, 5, 0.25, 1.0);
    expect_q(x5, 5, 0.5, 2.0);
    expect_q(x5, 5, 0.9, 7.2);
    expect_q(x5, 5, 1.0, 10.0);
    expect_q(x5, 5, 0.1, 1.0);   /* h = 0.4 between two equal values */
    expect_q(x5, 5, 0.6, 2.4);   /* h = 2.4 */
    expect_q(x5, 5, 0.75, 3.0);  /* h = 3 exactly */
    expect_q(x5, 5, 0.95, 8.6);  /* h = 3.8: 3 + 0.8 * 7 */
    expect_q(x5, 5, 0.99, 9.72); /* h = 3.96: 3 + 0.96 * 7 */
    /* quantile(1:4, c(1/3, .7)) = 2, 3.1 */
    expect_q(x4, 4, 1.0 / 3.0, 2.0);
    expect_q(x4, 4, 0.7, 3.1);
    expect_q(x4, 4, 0.5, 2.5);
    expect_q(x2, 2, 0.5, 3.0);
    expect_q(x2, 2, 0.3, 2.6);
    /* quantile(c(-1.5,.25,.25,8), c(.1,.5,.8)) = -0.975, 0.25, 3.35 */
    expect_q(xf, 4, 0.1, -0.975);
    expect_q(xf, 4, 0.5, 0.25);
    expect_q(xf, 4, 0.8, 3.35);
    /* quantile(1:10, c(.05, .5, .95)) = 1.45 5.5 9.55 */
    expect_q(x10, 10, 0.05, 1.45);
    expect_q(x10, 10, 0.5, 5.5);
    expect_q(x10, 10, 0.95, 9.55);
}

static void test_small_n(void **state)
{
    static const double one[] = {42.5};
    (void)state;
    assert_true(lk_quantile7(NULL, 0, 0.5) == 0.0);
    assert_true(lk_quantile7(one, 0, 0.5) == 0.0);
    assert_true(lk_quantile7(one, 1, 0.0) == 42.5);
    assert_true(lk_quantile7(one, 1, 0.37) == 42.5);
    assert_true(lk_quantile7(one, 1, 1.0) == 42.5);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* R's type-7 arithmetic, transcribed from the formula in the header comment. */
static double r_type7(const double *x, size_t n, double p)
{
    const double index = 1.0 + (double)(n - 1) * p;
    const double lo = floor(index), hi = ceil(index);
    double qs = x[(size_t)lo - 1];
    const double xhi = x[(size_t)hi - 1];
    if (index > lo && xhi != qs) {
        const double h = index - lo;
        qs = (1 - h) * qs + h * xhi;
    }
    return qs;
}

/* Random integer weights (like edge weights): bit-identical to R, so the
 * CooRTweet flag "weight > q" is the same for every weight. */
static void test_random_vs_r(void **state)
{
    static const double ps[] = {0.1, 0.2, 0.25, 0.3, 1.0 / 3.0, 0.5, 0.7, 0.75, 0.9, 0.95, 0.99};
    double x[200];
    uint64_t rng = 7;

    (void)state;
    for (int it = 0; it < 20000; it++) {
        const size_t n = 1 + (size_t)(next_u64(&rng) % 200);
        for (size_t i = 0; i < n; i++)
            x[i] = (double)(1 + next_u64(&rng) % (it % 2 ? 5 : 1000));
        qsort(x, n, sizeof x[0], cmp_double);
        for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
            const double got = lk_quantile7(x, n, ps[k]), want = r_type7(x, n, ps[k]);
            if (got != want)
                fail_msg("n=%zu p=%g: got %.17g, R %.17g", n, ps[k], got, want);
        }
    }
}

/*
 * Regression (found by this file, fixed in src/compat_coortweet.c): the
 * interpolation used to be x[k] + (h - k)(x[k+1] - x[k]) with h = (n-1)p.
 * It agrees with R's (1 - h')x[lo] + h'x[hi] (index = 1 + (n-1)p) to ~1e-15
 * but not to the bit, and the last bit decides CooRTweet's weight_threshold
 * flag (weight > q) when (n-1)p is not exact: for 91 weights (63 x 63,
 * 28 x 65) and p = 0.7, R's quantile is exactly 65 (no edge above it) while
 * the old code gave 64.999999999999986 (28 edges above).  Other examples:
 * quantile(c(1,1,2,3,10), .9): R 7.1999999999999975, old 7.2000000000000011;
 * quantile(c(6,9,10,15,16), .7): R 13.999999999999998, old 14.
 */
static void test_bit_exact_with_r(void **state)
{
    static const double a[] = {1, 1, 2, 3, 10};
    static const double b[] = {6, 9, 10, 15, 16};
    static const double c[] = {2, 7, 13};
    double w[91];
    size_t above = 0;

    (void)state;
    for (size_t i = 0; i < 91; i++)
        w[i] = i < 63 ? 63.0 : 65.0;
    assert_true(r_type7(w, 91, 0.7) == 65.0);
    for (size_t i = 0; i < 91; i++)
        above += w[i] > lk_quantile7(w, 91, 0.7);
    if (above != 0)
        fail_msg("weights 63 x 63, 28 x 65, p = 0.7: %zu weights > q = %.17g; R: q = 65, none",
                 above, lk_quantile7(w, 91, 0.7));
    assert_true(r_type7(a, 5, 0.9) == 7.1999999999999975);
    assert_true(r_type7(b, 5, 0.7) == 13.999999999999998);
    if (lk_quantile7(a, 5, 0.9) != r_type7(a, 5, 0.9) ||
        lk_quantile7(b, 5, 0.7) != r_type7(b, 5, 0.7) ||
        lk_quantile7(c, 3, 0.2) != r_type7(c, 3, 0.2))
        fail_msg("lk_quantile7 is not bit-identical to R: %.17g %.17g %.17g, R %.17g %.17g %.17g",
                 lk_quantile7(a, 5, 0.9), lk_quantile7(b, 5, 0.7), lk_quantile7(c, 3, 0.2),
                 r_type7(a, 5, 0.9), r_type7(b, 5, 0.7), r_type7(c, 3, 0.2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_small_n),
        cmocka_unit_test(test_random_vs_r),
        cmocka_unit_test(test_bit_exact_with_r),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
