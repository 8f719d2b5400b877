/* Unbounded recursion runs into the guard page below the stack. */
#include <vanity_shard.h>

static int deep(volatile char *prev, int n)
{
	volatile char frame[512];

	frame[0] = (char)n;
	frame[511] = prev ? prev[0] : 0;
	if (n < 0) /* never: keeps the compiler from calling this infinite */
		return 0;
	return deep(frame, n + 1) + frame[1];
}

void vn_main(void)
{
	vn_log("recursing");
	vn_log("survived %d frames: no guard page", deep(0, 0));
}
