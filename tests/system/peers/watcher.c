/* Waits for messages that never come, and is told of each change of the
 * shards at the other ends. */
#include <vanity_shard.h>

#include "order.h"

static const char *const state_name[] = {"live", "exited", "stopped"};

static void order(const struct vn_tx *tx, uint64_t o)
{
	while (!vn_send(tx, &o))
		vn_wait(VN_FOREVER);
}

static void show(const char *who, struct vn_peer p)
{
	vn_log("%s %s, generation %u", who, p.state < 3 ? state_name[p.state] : "?",
	       (unsigned)p.generation);
}

/* Sleep in vn_wait until the producer is no longer `was`; nothing ever
 * arrives on `data`, so only the kernel's peer bit can wake us. */
static struct vn_peer producer_change(struct vn_peer was)
{
	struct vn_peer p;
	uint64_t m;

	for (;;) {
		if (vn_peer_rx(&vn_rx_data, &p) != 0)
			vn_exit(3);
		if (p.state != was.state || p.generation != was.generation)
			return p;
		if (vn_recv(&vn_rx_data, &m))
			vn_exit(4);
		vn_wait(VN_FOREVER);
	}
}

static struct vn_peer doomed_change(struct vn_peer was)
{
	struct vn_peer p;

	for (;;) {
		if (vn_peer_tx(&vn_tx_kill, &p) != 0)
			vn_exit(5);
		if (p.state != was.state || p.generation != was.generation)
			return p;
		vn_wait(VN_FOREVER);
	}
}

void vn_main(void)
{
	struct vn_peer p, d;

	if (vn_peer_rx(&vn_rx_data, &p) != 0 || vn_peer_tx(&vn_tx_kill, &d) != 0)
		vn_exit(6);
	show("producer", p);
	order(&vn_tx_ctl, ORDER_CRASH);
	p = producer_change(p);
	show("producer", p);
	order(&vn_tx_ctl, ORDER_EXIT);
	p = producer_change(p);
	show("producer", p);
	show("doomed", d);
	order(&vn_tx_kill, ORDER_CRASH);
	d = doomed_change(d);
	show("doomed", d);
	order(&vn_tx_poke, 7);
	vn_log("done");
}
