/*
 * shard.c - the part of the shard library every bare-metal ISA shares: the
 * log buffer and the "core shared" word in the control page
 * (vn_bare_abi.h), notifications, and what runs before and after vn_main.
 * The ISA's shard/ folder adds vn_syscall, vn_now, vn_port_relax, abort
 * and _vn_start, which calls vn_bare_shard_main.
 *
 * Unlike hosted, a notification is a system call: one trap on the sender's
 * own core, and the kernel kicks the receiver's CPU (an IPI) if the
 * receiver sleeps there.
 */
#include <stdlib.h>

#include <vanity.h>
#include <vanity/config.h>
#include <vanity/syscall.h>
#include <vn_bare_abi.h>

#define CTL ((struct vn_ctl_page *)(uintptr_t)vn_self.ctl)

void vn_bare_shard_main(void);

/* Called by vn_tx_commit/vn_rx_release only when the peer sleeps. */
void vn_notify(uint32_t channel)
{
	vn_syscall(VN_SYS_NOTIFY, channel, 0);
}

char *vn_port_log_buf(void)
{
	return CTL->log;
}

bool vn_port_core_shared(void)
{
	return *(volatile uint32_t *)&CTL->core_shared != 0;
}

void vn_bare_shard_main(void)
{
	vn_attach_endpoints();
	vn_main();
	vn_exit(0);
}
