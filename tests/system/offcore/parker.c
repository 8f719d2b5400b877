/* Gives its core up with a WAIT the kernel parks (its ring armed: hosted.h's
 * protocol by hand), and runs on. `parker` spins at once: parked, its
 * process is asleep to the kernel. `claimer` first takes its park back
 * (VN_TURN_CLAIMED, as a shard a peer woke does) and then spins: it holds
 * its core again, and never yields. `late` spins parked for 20 ms, past the
 * kernel's first look, then takes its park back saying it did so at time 0
 * (a claim time the kernel must not believe), and spins. `later` spins
 * parked for 900 ms of its CPU time, most of its watchdog's budget, then
 * takes its park back saying it did so now (which its CPU time belies:
 * its watchdog must count from the park, not from the claim), and spins. */
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hosted.h"

#include <vanity_shard.h>
#include <vanity/config.h>
#include <vanity/syscall.h>

void vn_main(void)
{
	static const uint64_t one = 1;
	struct vn_ctl *ctl = mmap(NULL, VN_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, VN_FD_CTL, 0);
	bool late = strcmp(vn_self.name, "late") == 0;
	bool later = strcmp(vn_self.name, "later") == 0;
	bool claim = late || later || strcmp(vn_self.name, "claimer") == 0;
	uint32_t park = VN_TURN_PARK;
	volatile uint64_t spins = 0;
	uint64_t t0;

	if (ctl == MAP_FAILED) {
		vn_log("cannot map the control page");
		vn_exit(1);
	}
	vn_log(claim ? "parked, claiming, and running on" : "parked, and running on");
	vn_rx_arm(vn_self.rx[0]);
	ctl->op = VN_SYS_WAIT;
	ctl->a0 = VN_FOREVER;
	ctl->a1 = UINT64_C(1) << vn_self.rx_bit[0];
	atomic_store_explicit(&ctl->turn, VN_TURN_KERNEL, memory_order_release);
	(void)!write(VN_FD_DOORBELL, &one, sizeof(one));
	while (claim && atomic_load(&ctl->turn) != VN_TURN_PARK)
		;
	for (t0 = vn_now(); late && vn_now() - t0 < 20000000u;)
		;
	if (late)
		ctl->claimed_at = 0;
	while (later) {
		struct timespec cpu;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
		if (cpu.tv_sec * 1000000000ull + (uint64_t)cpu.tv_nsec >= 900000000ull) {
			ctl->claimed_at = vn_now();
			break;
		}
	}
	if (claim)
		atomic_compare_exchange_strong(&ctl->turn, &park, VN_TURN_CLAIMED);
	for (;;)
		spins++;
}
