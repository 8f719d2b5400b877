/*
 * Calls the kernel with what it must refuse, and logs each result as
 * "NAME = 0xRESULT" (NOTIFY, PEER, LOG and bad ops). MINE is the id of our
 * channel, OTHER the id of a channel between two other shards, N_CHANNELS
 * the number of channels.
 * Then it sends MSGS messages on its own channel, to show it still works.
 */
#include <vanity_shard.h>
#include <vanity/syscall.h>

#if !defined(MINE) || !defined(OTHER) || !defined(N_CHANNELS)
#error "the test passes MINE, OTHER and N_CHANNELS"
#endif

#define MSGS 50u

static void call(const char *name, uint32_t op, uint64_t a0, uint64_t a1)
{
	uint64_t r = vn_syscall(op, a0, a1);

	vn_log("%s = %#llx", name, (unsigned long long)r);
}

void vn_main(void)
{
	call("notify_other", VN_SYS_NOTIFY, OTHER, 0);
	call("notify_out_of_range", VN_SYS_NOTIFY, N_CHANNELS, 0);
	call("notify_huge", VN_SYS_NOTIFY, UINT64_MAX, 0);
	call("notify_wraps_to_mine", VN_SYS_NOTIFY, (UINT64_C(1) << 32) + MINE, 0);
	call("op_count", VN_SYS_COUNT, 0, 0);
	call("op_99", 99, 1, 2);
	call("op_max", UINT32_MAX, 0, 0);
	call("log_too_long", VN_SYS_LOG, VN_LOG_MAX + 1, 0);
	call("log_huge", VN_SYS_LOG, UINT64_MAX, 0);
	call("peer_other", VN_SYS_PEER, OTHER, 0);
	call("peer_out_of_range", VN_SYS_PEER, N_CHANNELS, 0);
	call("peer_huge", VN_SYS_PEER, UINT64_MAX, 0);
	call("peer_wraps_to_mine", VN_SYS_PEER, (UINT64_C(1) << 32) + MINE, 0);
	call("notify_mine", VN_SYS_NOTIFY, MINE, 0);
	call("peer_mine", VN_SYS_PEER, MINE, 0);
	for (uint64_t i = 0; i < MSGS; i++)
		while (!vn_send(&vn_tx_mine, &i))
			vn_wait(VN_FOREVER);
	vn_log("still running: sent %u", MSGS);
}
