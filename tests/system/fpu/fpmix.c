/* Double-precision work that yields every round: the arrays' loops
 * vectorise (SIMD on aarch64), and `acc` and `k` live in FP registers
 * across vn_yield(), while the other shard of the core runs the same code
 * on other numbers. The results, as bits, say whether any of it leaked. */
#include <inttypes.h>
#include <string.h>

#include <vanity_shard.h>

#define N 64
#define ROUNDS 200

static double x[N], y[N];

static uint64_t bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static void step(double k)
{
	for (int i = 0; i < N; i++)
		x[i] = x[i] * 0.96875 + y[i] / k;
	for (int i = 0; i < N; i++)
		y[i] = y[i] * 0.5 - x[i] * 0.0625 + 1.0 / (i + 3);
}

void vn_main(void)
{
	double acc = SEED * 0.125, k = 1.0 + SEED / 1024.0, sum = 0;

	for (int i = 0; i < N; i++) {
		x[i] = (i + SEED) / 7.0;
		y[i] = (N - i) * 0.3 / SEED;
	}
	for (int r = 0; r < ROUNDS; r++) {
		step(k);
		acc = acc * 0.75 + x[r % N] / (1.0 + y[r * 7 % N] * y[r * 7 % N]);
		vn_yield();
		acc += k / (r + 1);
	}
	for (int i = 0; i < N; i++)
		sum += x[i] + y[i];
	vn_log("acc %016" PRIx64 " sum %016" PRIx64, bits(acc), bits(sum));
}
