/* tiny: waits for each of N messages on a one-page stack, logs it (doubles
 * among the other arguments), and reports the deepest its stack went. */
#include <string.h>

#include <vanity/config.h>
#include <vanity_shard.h>

#define N 8u
#define PAINT 0xa5

/* Paint the stack below this call's frame, down to the bottom. */
static void __attribute__((noinline)) paint(void)
{
	uint8_t *lo = (uint8_t *)(uintptr_t)vn_self.stack_lo;
	uint8_t *sp = __builtin_frame_address(0);

	memset(lo, PAINT, (size_t)(sp - 256 - lo));
}

void vn_main(void)
{
	const uint8_t *lo = (const uint8_t *)(uintptr_t)vn_self.stack_lo, *p = lo;
	uint64_t m;

	paint();
	for (uint32_t got = 0; got < N;) {
		if (!vn_recv(&vn_rx_feed, &m)) {
			vn_wait(VN_FOREVER);
			continue;
		}
		vn_log("message %u: %llu, %.3f, %#llx, %-5s|%5.3s| %g %e %.2Lf", got,
		       (unsigned long long)m, (double)m / 3, (unsigned long long)m << 40, "ab",
		       "cdefg", (double)m * 1e10, -(double)m / 7, (long double)m / 4);
		got++;
	}
	while (p < (const uint8_t *)(uintptr_t)vn_self.stack_hi && *p == PAINT)
		p++;
	vn_log("stack: %u of %u bytes used", (unsigned)(vn_self.stack_hi - (uintptr_t)p),
	       (unsigned)(vn_self.stack_hi - vn_self.stack_lo));
	vn_halt(0);
}
