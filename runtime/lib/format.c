/*
 * format.c - the runtime's printf-style formatter: vn_log's text on every
 * board, and vsnprintf / snprintf on the QEMU boards, which have no C
 * library (runtime/freestanding/stdio.c). One formatter, so a shard's log
 * lines read the same on every board (vanity/format.h says what it
 * converts). C99 semantics: the output is always terminated when size > 0,
 * and the return value is the length the whole text would have.
 *
 * Floating point is converted exactly, as glibc does: the decimal digits of
 * the binary value, rounded to the precision half to even
 * (tests/runtime/test_format.c compares the two). The conversion is all
 * integer arithmetic on the double's bits, over two big numbers on the
 * stack: about 0.7 KiB more of it while a double is converted. It is compiled
 * where a shard can pass a double: not into an integer-only build on
 * aarch64 or x86-64 (fp: false), whose compiler refuses doubles anyway, nor
 * into the bare-metal kernel (VN_FORMAT_NO_FLOAT), which prints none.
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include <vanity/format.h>

#if (defined(__SSE2__) || defined(__ARM_FP) || defined(__riscv)) && !defined(VN_FORMAT_NO_FLOAT)
#define FMT_FLOAT 1
#else
#define FMT_FLOAT 0
#endif

struct out {
	char *buf;
	size_t size, len;
};

struct spec {
	int left, zero, alt, plus, space;
	int width, prec; /* prec < 0: none */
	int length;      /* 'H' hh, 'h', 'l', 'L' ll (and z, j, t), 'D' L */
	int overflow;    /* a width or precision beyond INT_MAX */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, int n, char c)
{
	while (n-- > 0)
		put(o, c);
}

static void emit(struct out *o, const struct spec *sp, const char *prefix,
		 const char *body, int n, int zeros)
{
	int plen = (int)strlen(prefix), fill = sp->width - plen - zeros - n;

	if (!sp->left && !(sp->zero && sp->prec < 0))
		pad(o, fill, ' ');
	for (int i = 0; i < plen; i++)
		put(o, prefix[i]);
	if (!sp->left && sp->zero && sp->prec < 0)
		pad(o, fill, '0');
	pad(o, zeros, '0');
	for (int i = 0; i < n; i++)
		put(o, body[i]);
	if (sp->left)
		pad(o, fill, ' ');
}

static void number(struct out *o, const struct spec *sp, uint64_t v, int neg,
		   unsigned base, int upper, const char *alt)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24], *p = tmp + sizeof(tmp);
	const char *prefix = neg ? "-" : sp->plus ? "+" : sp->space ? " " : "";
	int n, zeros;

	do {
		*--p = digits[v % base];
		v /= base;
	} while (v);
	n = (int)(tmp + sizeof(tmp) - p);
	if (sp->prec == 0 && n == 1 && *p == '0')
		n = 0;
	zeros = sp->prec > n ? sp->prec - n : 0;
	if (alt && *alt && !(n == 1 && *p == '0'))
		prefix = alt;
	emit(o, sp, prefix, p, n, zeros);
}

static uint64_t arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (unsigned char)va_arg(*ap, unsigned);
	case 'h': return (unsigned short)va_arg(*ap, unsigned);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': case 'D': return va_arg(*ap, unsigned long long);
	default: return va_arg(*ap, unsigned);
	}
}

static int64_t arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (signed char)va_arg(*ap, int);
	case 'h': return (short)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': case 'D': return va_arg(*ap, long long);
	default: return va_arg(*ap, int);
	}
}

/* A width or precision written out: beyond INT_MAX is an overflow. */
static int number_at(const char **f, struct spec *sp)
{
	int64_t v = 0;

	for (; **f >= '0' && **f <= '9'; (*f)++) {
		v = v * 10 + (**f - '0');
		if (v > INT32_MAX)
			sp->overflow = 1, v = INT32_MAX;
	}
	return (int)v;
}

/* Flags, width, precision and length; returns the conversion character. */
static const char *parse(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){.prec = -1};
	for (;; f++) {
		if (*f == '-') sp->left = 1;
		else if (*f == '0') sp->zero = 1;
		else if (*f == '#') sp->alt = 1;
		else if (*f == '+') sp->plus = 1;
		else if (*f == ' ') sp->space = 1;
		else break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int), f++;
		if (sp->width == INT32_MIN)
			sp->overflow = 1, sp->width = 0;
		if (sp->width < 0)
			sp->left = 1, sp->width = -sp->width;
	} else {
		sp->width = number_at(&f, sp);
	}
	if (*f == '.') {
		f++;
		if (*f == '*')
			sp->prec = va_arg(*ap, int), f++;
		else
			sp->prec = number_at(&f, sp);
	}
	if (f[0] == 'h' && f[1] == 'h') sp->length = 'H', f += 2;
	else if (f[0] == 'l' && f[1] == 'l') sp->length = 'L', f += 2;
	else if (*f == 'h') sp->length = 'h', f++;
	else if (*f == 'L') sp->length = 'D', f++;
	else if (*f == 'l' || *f == 'z' || *f == 'j' || *f == 't') sp->length = 'l', f++;
	return f;
}

static void string(struct out *o, const struct spec *sp, const char *s)
{
	int n = 0;

	if (!s)
		s = "(null)";
	while (s[n] && (sp->prec < 0 || n < sp->prec))
		n++;
	emit(o, sp, "", s, n, 0);
}

#if FMT_FLOAT
/* ---- floating point ----------------------------------------------------- */

/* A big natural number: 32-bit words, least significant first, n of them
 * (the top one not 0). Enough for every double: below, r and s stay under
 * 2^1090. */
#define BIG_WORDS 36

struct big {
	int n;
	uint32_t w[BIG_WORDS];
};

static void big_set(struct big *b, uint64_t v)
{
	for (b->n = 0; v; v >>= 32)
		b->w[b->n++] = (uint32_t)v;
}

static void big_mul(struct big *b, uint32_t k)
{
	uint64_t c = 0;

	for (int i = 0; i < b->n; i++) {
		c += (uint64_t)b->w[i] * k;
		b->w[i] = (uint32_t)c;
		c >>= 32;
	}
	if (c)
		b->w[b->n++] = (uint32_t)c;
}

/* b *= 10^k, k >= 0 */
static void big_mul_pow10(struct big *b, int k)
{
	static const uint32_t p10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
					100000000};

	for (; k >= 9; k -= 9)
		big_mul(b, 1000000000u);
	big_mul(b, p10[k]);
}

/* b *= 2^k, k >= 0 */
static void big_shl(struct big *b, int k)
{
	if (!b->n)
		return;
	big_mul(b, 1u << (k % 32));
	memmove(b->w + k / 32, b->w, (size_t)b->n * sizeof(b->w[0]));
	memset(b->w, 0, (size_t)(k / 32) * sizeof(b->w[0]));
	b->n += k / 32;
}

static int big_cmp(const struct big *a, const struct big *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (int i = a->n; i-- > 0;)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* a -= b, a >= b */
static void big_sub(struct big *a, const struct big *b)
{
	uint64_t borrow = 0;

	for (int i = 0; i < a->n; i++) {
		uint64_t d = (uint64_t)a->w[i] - (i < b->n ? b->w[i] : 0u) - borrow;

		a->w[i] = (uint32_t)d;
		borrow = d >> 63;
	}
	while (a->n && !a->w[a->n - 1])
		a->n--;
}

/*
 * The decimal digits of m * 2^e, one at a time from the first significant
 * one, whose place is 10^x (x is 0 for 0): r / s is what is left, in units
 * of the next digit's place, always below 10.
 */
struct digits {
	struct big r, s;
	int x;
};

static void digits_start(struct digits *d, uint64_t m, int e)
{
	int t;

	big_set(&d->r, m);
	big_set(&d->s, 1);
	d->x = 0;
	if (!m)
		return;
	if (e >= 0)
		big_shl(&d->r, e);
	else
		big_shl(&d->s, -e);
	/* With t the place of m's top bit, 2^t <= m * 2^e < 2^(t+1), so x is
	 * floor(t log10 2) or one more. 1292913986 / 2^32 is log10 2 to within
	 * 7e-11: for |t| < 1100 the product is not that close to an integer. */
	t = 63 - __builtin_clzll(m) + e;
	d->x = (int)(((int64_t)t * 1292913986) >> 32) + 1;
	if (d->x >= 0)
		big_mul_pow10(&d->s, d->x);
	else
		big_mul_pow10(&d->r, -d->x);
	if (big_cmp(&d->r, &d->s) < 0) {
		d->x--;
		big_mul(&d->r, 10);
	}
}

/* floor(r / s), taken off r: below 10 */
static int digits_take(struct digits *d)
{
	int q = 0;

	while (big_cmp(&d->r, &d->s) >= 0) {
		big_sub(&d->r, &d->s);
		q++;
	}
	return q;
}

static int digits_next(struct digits *d)
{
	int q = digits_take(d);

	big_mul(&d->r, 10);
	return q;
}

/*
 * The first n digits, rounded half to even, as one pass finds them; a
 * second pass (cut_digit) gives them out, since rounding can carry back
 * through 9s it has already passed. n <= 0: no digit is kept, and the value
 * is below a unit of the place before the first (n == 0: rounded at that
 * place, to 0 or 1).
 */
struct cut {
	int x;     /* the place of the first digit: one more after a carry out */
	long n;    /* digits kept (see above) */
	int up;    /* round up: digit `non9` + 1, then zeros */
	int carry; /* every kept digit was 9 (or there were none): 1, then zeros */
	long non9; /* the last kept digit that is not 9 */
	long nz;   /* the last digit that is not 0 after rounding, -1 for none */
};

/* Keep prec + 1 digits, or (fixed) those down to the place 10^-prec. */
static void cut(struct digits *d, uint64_t m, int e, long prec, int fixed, struct cut *c)
{
	int last = 0;

	digits_start(d, m, e);
	*c = (struct cut){.x = d->x, .n = fixed ? d->x + 1 + prec : prec + 1, .non9 = -1,
			  .nz = -1};
	for (long i = 0; i < c->n; i++) {
		if (!d->r.n) /* the rest are zeros: no rounding up */
			break;
		last = digits_next(d);
		if (last != 9)
			c->non9 = i;
		if (last)
			c->nz = i;
	}
	if (c->n >= 0) {
		int q = digits_take(d);

		c->up = q > 5 || (q == 5 && (d->r.n || (last & 1)));
	}
	if (c->up && c->non9 < 0) {
		c->carry = 1;
		c->x++;
		c->nz = 0;
	} else if (c->up) {
		c->nz = c->non9;
	}
	digits_start(d, m, e);
}

/* Digit i of the rounded number: asked for in order, i = 0, 1, ... */
static int cut_digit(struct digits *d, const struct cut *c, long i)
{
	int q;

	if (c->carry)
		return i == 0;
	if (i >= c->n)
		return 0;
	q = digits_next(d);
	if (!c->up || i < c->non9)
		return q;
	return i == c->non9 ? q + 1 : 0;
}

/* Before a number of `len` characters, its sign (and 0x) included. */
static void fp_front(struct out *o, const struct spec *sp, const char *sign, long len)
{
	if (!sp->left && !sp->zero)
		pad(o, (int)(sp->width - len), ' ');
	while (*sign)
		put(o, *sign++);
	if (!sp->left && sp->zero)
		pad(o, (int)(sp->width - len), '0');
}

static void fp_back(struct out *o, const struct spec *sp, long len)
{
	if (sp->left)
		pad(o, (int)(sp->width - len), ' ');
}

static void put_exponent(struct out *o, char mark, int x, int min_digits)
{
	char tmp[8], *p = tmp + sizeof(tmp);
	unsigned v = x < 0 ? (unsigned)-x : (unsigned)x;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v || tmp + sizeof(tmp) - p < min_digits);
	put(o, mark);
	put(o, x < 0 ? '-' : '+');
	while (p < tmp + sizeof(tmp))
		put(o, *p++);
}

static int exponent_digits(int x, int min_digits)
{
	int n = 1;

	for (unsigned v = x < 0 ? (unsigned)-x : (unsigned)x; v >= 10; v /= 10)
		n++;
	return n > min_digits ? n : min_digits;
}

/* %f: down to the place 10^-prec (trim, %g: to the last digit not 0) */
static void fp_fixed(struct out *o, const struct spec *sp, struct digits *d, uint64_t m,
		     int e, long prec, int trim, const char *sign)
{
	struct cut c;
	long frac, len, i = 0;
	int top;

	cut(d, m, e, prec, 1, &c);
	frac = prec;
	if (trim)
		frac = c.nz >= 0 && c.nz - c.x > 0 ? c.nz - c.x : 0;
	top = c.x > 0 ? c.x : 0;
	len = (long)strlen(sign) + top + 1 + (frac || sp->alt) + frac;
	fp_front(o, sp, sign, len);
	for (long place = top; place >= -frac; place--) {
		if (place == -1)
			put(o, '.');
		put(o, (char)('0' + (place > c.x ? 0 : cut_digit(d, &c, i++))));
	}
	if (!frac && sp->alt)
		put(o, '.');
	fp_back(o, sp, len);
}

/* %e: prec digits after the first (trim, %g: to the last not 0) */
static void fp_exp(struct out *o, const struct spec *sp, struct digits *d, uint64_t m, int e,
		   long prec, int trim, int upper, const char *sign)
{
	struct cut c;
	long frac, len;

	cut(d, m, e, prec, 0, &c);
	frac = trim ? (c.nz > 0 ? c.nz : 0) : prec;
	len = (long)strlen(sign) + 1 + (frac || sp->alt) + frac + 2 + exponent_digits(c.x, 2);
	fp_front(o, sp, sign, len);
	put(o, (char)('0' + cut_digit(d, &c, 0)));
	if (frac || sp->alt)
		put(o, '.');
	for (long i = 1; i <= frac; i++)
		put(o, (char)('0' + cut_digit(d, &c, i)));
	put_exponent(o, upper ? 'E' : 'e', c.x, 2);
	fp_back(o, sp, len);
}

/* %a: 1.hhh...p+x (0.hhh...p-1022 below the normal range, 0x0p+0 for 0),
 * prec hex digits after the point, rounded half to even; without a precision,
 * as many as the value needs. */
static void fp_hex(struct out *o, const struct spec *sp, uint64_t bits, long prec, int upper,
		   const char *sign)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned bexp = (unsigned)(bits >> 52) & 0x7ffu;
	uint64_t frac = bits & ((1ull << 52) - 1), v;
	int x = bexp ? (int)bexp - 1023 : frac ? -1022 : 0;
	unsigned lead = bexp != 0;
	char pre[4];
	long len;

	if (prec < 0)
		for (prec = 13; prec && !(frac >> (4 * (13 - prec)) & 0xf); prec--)
			;
	if (prec < 13) {
		int drop = 4 * (13 - (int)prec);
		uint64_t rest = frac & ((1ull << drop) - 1), half = 1ull << (drop - 1);

		v = ((uint64_t)lead << 52 | frac) >> drop;
		if (rest > half || (rest == half && (v & 1)))
			v++;
		lead = (unsigned)(v >> (4 * prec));
		frac = (v & ((1ull << (4 * prec)) - 1)) << drop;
	}
	pre[0] = sign[0];
	memcpy(pre + !!sign[0], upper ? "0X" : "0x", 3);
	len = (long)strlen(pre) + 1 + (prec || sp->alt) + prec + 2 + exponent_digits(x, 1);
	fp_front(o, sp, pre, len);
	put(o, digits[lead]);
	if (prec || sp->alt)
		put(o, '.');
	for (long i = 0; i < prec; i++)
		put(o, i < 13 ? digits[frac >> (48 - 4 * i) & 0xf] : '0');
	put_exponent(o, upper ? 'P' : 'p', x, 1);
	fp_back(o, sp, len);
}

static uint64_t arg_double(const struct spec *sp, va_list *ap)
{
	double v = sp->length == 'D' ? (double)va_arg(*ap, long double) : va_arg(*ap, double);
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	return bits;
}

/* %f %e %g %a and their capitals; L takes a long double, converted as a
 * double. Not inlined: its big numbers are on the stack only while a double
 * is converted. */
static __attribute__((noinline)) void fp_convert(struct out *o, const struct spec *sp, char c,
						 uint64_t bits)
{
	struct digits d;
	struct cut g;
	unsigned bexp = (unsigned)(bits >> 52) & 0x7ffu;
	uint64_t m = bits & ((1ull << 52) - 1);
	int e = bexp ? (int)bexp - 1075 : -1074, upper = c >= 'A' && c <= 'Z';
	long prec = sp->prec < 0 ? 6 : sp->prec;
	char sign[2] = {bits >> 63 ? '-' : sp->plus ? '+' : sp->space ? ' ' : '\0', '\0'};

	if (bexp == 0x7ffu) {
		struct spec plain = *sp;

		plain.zero = 0, plain.prec = -1;
		emit(o, &plain, sign, m ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf"), 3, 0);
		return;
	}
	if (bexp)
		m |= 1ull << 52;
	switch (c | 0x20) {
	case 'f': fp_fixed(o, sp, &d, m, e, prec, 0, sign); break;
	case 'e': fp_exp(o, sp, &d, m, e, prec, 0, upper, sign); break;
	case 'a': fp_hex(o, sp, bits, sp->prec, upper, sign); break;
	default:
		/* g: P significant digits (the precision, at least 1), in %e's
		 * style if %e's exponent would be below -4 or not below P */
		prec += !prec;
		cut(&d, m, e, prec - 1, 0, &g);
		if (g.x < -4 || g.x >= prec)
			fp_exp(o, sp, &d, m, e, prec - 1, !sp->alt, upper, sign);
		else
			fp_fixed(o, sp, &d, m, e, prec - 1 - g.x, !sp->alt, sign);
		break;
	}
}
#endif

static void convert(struct out *o, struct spec *sp, char c, va_list *ap)
{
	int64_t v;
	char ch;

	switch (c) {
	case 'd': case 'i':
		v = arg_signed(sp, ap);
		number(o, sp, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0, 10, 0, "");
		break;
	case 'u': number(o, sp, arg_unsigned(sp, ap), 0, 10, 0, ""); break;
	case 'x': number(o, sp, arg_unsigned(sp, ap), 0, 16, 0, sp->alt ? "0x" : ""); break;
	case 'X': number(o, sp, arg_unsigned(sp, ap), 0, 16, 1, sp->alt ? "0X" : ""); break;
	case 'o': number(o, sp, arg_unsigned(sp, ap), 0, 8, 0, sp->alt ? "0" : ""); break;
	case 'p':
		number(o, sp, (uintptr_t)va_arg(*ap, void *), 0, 16, 0, "0x");
		break;
	case 'c':
		ch = (char)va_arg(*ap, int);
		emit(o, sp, "", &ch, 1, 0);
		break;
	case 's': string(o, sp, va_arg(*ap, const char *)); break;
	case '%': put(o, '%'); break;
#if FMT_FLOAT
	case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
		fp_convert(o, sp, c, arg_double(sp, ap));
		break;
#endif
	default: put(o, '%'), put(o, c); break;
	}
}

int vn_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {.buf = buf, .size = size};
	struct spec sp = {0};
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = parse(fmt + 1, &sp, &args);
		if (!*fmt || sp.overflow)
			break;
		convert(&o, &sp, *fmt++, &args);
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	/* as C's: no length to return for a text longer than INT_MAX, or for
	 * a conversion wider than that (the text up to it is in buf) */
	return sp.overflow || o.len > INT32_MAX ? -1 : (int)o.len;
}
