/*
 * pong: meter's partner on core 1. Sleeps in WAIT (the system call itself,
 * not vn_wait's spin and ring arming) until meter's `ping`, answers with
 * `pong`, and sleeps again.
 */
#include <vanity_shard.h>
#include <vanity/syscall.h>

void vn_main(void)
{
	for (;;)
		if (vn_syscall(VN_SYS_WAIT, VN_FOREVER, 0) & VN_NOTIFY_PING)
			vn_signal_pong();
}
