/* 200 sleeps of 100 us, then the time they took in all, in ns. */
#include <vanity.h>

void vn_main(void)
{
	uint64_t t0 = vn_now();

	for (int i = 0; i < 200; i++)
		vn_sleep(100000);
	vn_log("200 sleeps of 100 us took %llu ns", (unsigned long long)(vn_now() - t0));
	vn_halt(0);
}
