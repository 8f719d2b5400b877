/* Gives its core up with a WAIT that never ends, and keeps running: its
 * control page mapped again (hosted.h's protocol, by hand). */
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hosted.h"

#include <vanity_shard.h>
#include <vanity/syscall.h>

void vn_main(void)
{
	static const uint64_t one = 1;
	struct vn_ctl *ctl = mmap(NULL, VN_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, VN_FD_CTL, 0);
	volatile uint64_t spins = 0;

	if (ctl == MAP_FAILED) {
		vn_log("cannot map the control page");
		vn_exit(1);
	}
	vn_log("waiting, and running on");
	ctl->op = VN_SYS_WAIT;
	ctl->a0 = VN_FOREVER;
	ctl->a1 = 0;
	atomic_store_explicit(&ctl->turn, VN_TURN_KERNEL, memory_order_release);
	(void)!write(VN_FD_DOORBELL, &one, sizeof(one));
	for (;;)
		spins++;
}
