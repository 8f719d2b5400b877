/* Asleep until ping says start; then enters the kernel in a tight loop
 * (a zero-timeout wait, a refused call, a yield) until ping says stop. */
#include <vanity_shard.h>
#include <vanity/syscall.h>

void vn_main(void)
{
	uint64_t what = 0, calls = 0;

	for (;;) {
		while (!vn_recv(&vn_rx_control, &what))
			vn_wait(VN_FOREVER);
		if (what == 2)
			break;
		while (!vn_recv(&vn_rx_control, &what)) {
			vn_syscall(VN_SYS_WAIT, 0, 0);
			vn_syscall(UINT32_MAX, 0, 0);
			vn_yield();
			calls += 3;
		}
	}
	vn_log("hammered with %llu calls", (unsigned long long)calls);
}
