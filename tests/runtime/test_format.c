/*
 * test_format.c - the runtime's formatter (runtime/lib/format.c), which
 * vn_log uses on every board, against the host C library's vsnprintf: the
 * same text and the same return value, for hand-picked cases and for
 * random values under random conversions, into buffers of every size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <vanity/format.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int ours(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vn_vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* Our text for fmt and its arguments against `want` (w, its length): the
 * whole text, then into a buffer cut short (terminated, the same return
 * value). */
static void same_as(const char *want, int w, const char *fmt, ...)
{
	char got[4096];
	size_t cut = (size_t)(next() % (size_t)(w + 2));
	va_list ap;
	int g;

	va_start(ap, fmt);
	g = vn_vformat(got, sizeof(got), fmt, ap);
	va_end(ap);
	if (w != g || strcmp(want, got))
		fail_msg("format \"%s\": want \"%s\" (%d), ours \"%s\" (%d)", fmt, want, w, got, g);
	memset(got, 'x', sizeof(got));
	va_start(ap, fmt);
	g = vn_vformat(got, cut, fmt, ap);
	va_end(ap);
	assert_int_equal(g, w);
	if (cut) {
		assert_int_equal(strlen(got), cut - 1 < (size_t)w ? cut - 1 : (size_t)w);
		assert_memory_equal(got, want, strlen(got));
	} else {
		assert_int_equal(got[0], 'x');
	}
}

/* One format and its arguments, ours against the C library's. */
#define SAME(fmt, ...)                                                         \
	do {                                                                   \
		char want_[4096];                                              \
		int w_ = snprintf(want_, sizeof(want_), fmt, __VA_ARGS__);     \
		same_as(want_, w_, fmt, __VA_ARGS__);                          \
	} while (0)

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/*
 * One double under fmt (one conversion), ours against the C library's, but
 * for %#g: where rounding carries into a new power of ten, glibc 2.36 drops
 * the zeros '#' keeps ("%#g" of 999999.5 is "1.e+06"). There the text is
 * what C99 defines %g as, which glibc's %e and %f give: with X the exponent
 * %e would have at precision P - 1, style e at P - 1 if X < -4 or X >= P,
 * else style f at P - 1 - X.
 */
static void same_double(const char *fmt, double d)
{
	char want[4096], f2[64];
	const char *conv = fmt + strlen(fmt) - 1;
	int w;

	while (*conv == '|')
		conv--;
	if ((*conv | 0x20) == 'g' && strchr(fmt, '#') && __builtin_isfinite(d)) {
		const char *dot = strchr(fmt, '.');
		int p = dot ? atoi(dot + 1) : 6, x;

		p = p ? p : 1;
		snprintf(want, sizeof(want), "%.*e", p - 1, d);
		x = atoi(strchr(want, 'e') + 1);
		/* the same flags and width, then the precision and style */
		w = (int)((dot ? dot : conv) - fmt);
		if (x < -4 || x >= p) /* g - 2 is e */
			snprintf(f2, sizeof(f2), "%.*s.%d%c%s", w, fmt, p - 1, *conv - 2,
				 conv + 1);
		else /* g - 1 is f */
			snprintf(f2, sizeof(f2), "%.*s.%d%c%s", w, fmt, p - 1 - x, *conv - 1,
				 conv + 1);
		w = snprintf(want, sizeof(want), f2, d);
	} else {
		w = snprintf(want, sizeof(want), fmt, d);
	}
	same_as(want, w, fmt, d);
}
#pragma GCC diagnostic pop

static void integers_strings_and_pointers(void **state)
{
	(void)state;
	SAME("%d|%i|%u|%x|%X|%o", -42, 7, 3000000000u, 0xbeefu, 0xbeefu, 8u);
	SAME("%5d|%-5d|%05d|%+d|% d|%.3d|%8.3d|%-+8.3d", 42, 42, -42, 0, 7, 5, -5, 5);
	SAME("%#x|%#X|%#o|%#x|%#o|%.0d|%.0x", 255u, 255u, 8u, 0u, 0u, 0, 0u);
	SAME("%hhd|%hhu|%hd|%hu|%ld|%lu|%lld|%llu", 300, 300u, 70000, 70000u, -1L, ~0UL,
	     (long long)INT64_MIN, ~0ULL);
	SAME("%zu|%zd|%jd|%ju|%td", (size_t)12345, (ssize_t)-3, (intmax_t)-99, (uintmax_t)99,
	     (ptrdiff_t)-7);
	SAME("%s|%.2s|%5s|%-5s|%c|%3c|%%|%*d|%-*d|%.*d", "abc", "abc", "ab", "ab", 'z', 'q', 6,
	     1, 6, 2, 3, 4);
	SAME("%p|%20p|%-20p", (void *)0x1234, (void *)0xdeadbeefull, (void *)1);
	SAME("%s", "no conversions at all");
}

/* Cases where a rounding, a carry or the choice of style is easy to get
 * wrong. */
static void doubles_hand_picked(void **state)
{
	static const double v[] = {
		0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, 0.25, 0.125, 0.375, 9.5, 10.5, 0.05, 0.15,
		0.35, 0.45, 9.999999, 99.9999995, 999999.5, 9999995.0, 0.00009999995, 1e-5,
		1e-4, 123456.0, 1234567.0, 0.1, 0.2, 0.3, 1.0 / 3.0, 2.0 / 3.0, 3.141592653589793,
		1e15, 1e16, 1e17, 1e21, 1e22, 1e23, 1.7976931348623157e308, 2.2250738585072014e-308,
		2.2250738585072009e-308, 4.9406564584124654e-324, 1e-320, 5e-324 * 3, 1e300, 1e-300,
		1e100, 0x1.fffffffffffffp-1, 0x1p63, 0x1p64, 18446744073709551615.0,
		4503599627370496.5,
		8.5, 0.95, 0.995, 0.9995, 1e-7, 5e-7, 5.5e-7,
	};
	static const char *const fmts[] = {
		"%f", "%.0f", "%.1f", "%.2f", "%.3f", "%.10f", "%.17f", "%.20f", "%#.0f", "%e",
		"%.0e", "%.1e", "%.3e", "%.16e", "%.20e", "%#.0e", "%E", "%g", "%.0g", "%.1g",
		"%.2g", "%.3g", "%.6g", "%.10g", "%.17g", "%#g", "%#.3g", "%G", "%a", "%.0a",
		"%.1a",
		"%.3a", "%.13a", "%.15a", "%#.0a", "%A", "%F", "%+f", "% e", "%12.3f", "%-12.3e|",
		"%012.3f", "%+012.3e", "%-+12g|", "%015a", "%-15a|", "%.40f", "%.330f", "%.800e",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (size_t j = 0; j < sizeof(fmts) / sizeof(fmts[0]); j++) {
			same_double(fmts[j], v[i]);
			same_double(fmts[j], -v[i]);
		}
}

static void infinities_and_nans(void **state)
{
	(void)state;
	SAME("%f|%e|%g|%a|%F|%E|%G|%A", __builtin_inf(), __builtin_inf(), -__builtin_inf(),
	     __builtin_inf(), __builtin_inf(), -__builtin_inf(), __builtin_inf(), __builtin_inf());
	SAME("%f|%e|%g|%a|%F|%E|%G|%A", __builtin_nan(""), -__builtin_nan(""), __builtin_nan(""),
	     __builtin_nan(""), __builtin_nan(""), __builtin_nan(""), -__builtin_nan(""),
	     __builtin_nan(""));
	SAME("%08f|%-8f|%+f|% f|%8.3e|%+08g", __builtin_inf(), -__builtin_inf(), __builtin_nan(""),
	     __builtin_inf(), __builtin_nan(""), -__builtin_inf());
}

/* A long double is converted as the double it holds. */
static void long_double_and_l(void **state)
{
	(void)state;
	char got[64];

	SAME("%Lf|%Le|%Lg|%lf|%Lf", (long double)2.5, (long double)-1e-3, (long double)1e20, 0.1,
	     (long double)0.0);
	/* glibc's %La shows the x87 format's own digits on x86-64: the runtime
	 * prints the double's */
	ours(got, sizeof(got), "%La", (long double)0.1);
	assert_string_equal(got, "0x1.999999999999ap-4");
}

/* Doubles mixed with integers, as a varargs list passes them: the
 * arguments after a double are the right ones (on riscv64 a variadic
 * double travels in an integer register). */
static void doubles_between_other_arguments(void **state)
{
	(void)state;
	SAME("%d %f %s %e %llu %g %c %a %ld", 1, 2.5, "x", 3.25, 4ull, 5.0, '6', 7.0, 8L);
	SAME("%*.*f|%-*.*e|%.*g", 10, 3, 3.14159, 12, 2, -2.5e-10, 4, 123456.0);
}

/* A width or precision beyond INT_MAX: -1, as glibc's (EOVERFLOW, after
 * seconds of padding, so not asked here), and the text before it,
 * terminated. A negative precision is none. */
static void widths_beyond_int_max(void **state)
{
	char got[32];

	(void)state;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
#pragma GCC diagnostic ignored "-Wformat"
	assert_int_equal(ours(got, sizeof(got), "ab%*d|", INT32_MIN, 5), -1);
	assert_string_equal(got, "ab");
	assert_int_equal(ours(got, sizeof(got), "x%4294967297d|", 5), -1);
	assert_string_equal(got, "x");
	assert_int_equal(ours(got, sizeof(got), "%d %.99999999999f", 7, 1.0), -1);
	assert_string_equal(got, "7 ");
#pragma GCC diagnostic pop
	SAME("%.*d|%.*f|%.*s", -5, 5, -1, 2.5, -3, "abc");
}

static double random_double(void)
{
	uint64_t bits = next();
	double d;

	switch (next() % 8) {
	case 0: /* any bits */
		break;
	case 1: /* a small integer, or one plus a half */
		return (double)(int64_t)(next() % 2000001 - 1000000) / (double)(1 + next() % 2);
	case 2: /* a few bits after the point: ties at low precisions */
		return (double)(int64_t)(next() % 200001 - 100000) / (double)(1u << (next() % 16));
	case 3: /* near a power of ten */
	{
		static const double p[] = {1e-10, 1e-5, 1e-4, 1e-1, 1, 10, 1e5, 1e6, 1e15, 1e22};
		double x = p[next() % 10];

		memcpy(&bits, &x, sizeof(bits));
		bits += next() % 5 - 2;
		break;
	}
	case 4: /* below the normal range */
		bits &= (1ull << 52) - 1;
		break;
	default: /* an exponent of ordinary size */
		bits = (bits & ~(0x7ffull << 52)) | ((uint64_t)(1023 - 40 + next() % 80) << 52);
		break;
	}
	memcpy(&d, &bits, sizeof(d));
	return d;
}

/* A random conversion of one double: flags, width, precision. */
static void random_format(char *f, size_t size)
{
	static const char conv[] = "feEgGaAF";
	static const char flag[] = "-+ #0";
	char *p = f;

	*p++ = '%';
	for (int i = 0; i < 5; i++)
		if (next() % 4 == 0)
			*p++ = flag[i];
	if (next() % 3 == 0)
		p += snprintf(p, 8, "%d", (int)(next() % 30));
	if (next() % 4 != 0) {
		int prec = next() % 8 == 0 ? (int)(next() % 400) : (int)(next() % 25);

		p += snprintf(p, 8, ".%d", prec);
	}
	*p++ = conv[next() % 8];
	*p = '\0';
	assert_true((size_t)(p - f) < size);
}

static void doubles_at_random(void **state)
{
	char fmt[32];

	(void)state;
	for (int i = 0; i < 60000; i++) {
		double d = random_double();

		random_format(fmt, sizeof(fmt));
		same_double(fmt, d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(integers_strings_and_pointers),
		cmocka_unit_test(doubles_hand_picked),
		cmocka_unit_test(infinities_and_nans),
		cmocka_unit_test(long_double_and_l),
		cmocka_unit_test(doubles_between_other_arguments),
		cmocka_unit_test(doubles_at_random),
		cmocka_unit_test(widths_beyond_int_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
