/* Three shards on one core: each logs a turn and yields, so the log shows
 * them taking turns round-robin, and never two turns of one shard in a row.
 * The busy loop makes an overlap visible if the core were not exclusive. */
#include <vanity_shard.h>

static volatile unsigned sink;

void vn_main(void)
{
	for (int i = 0; i < 5; i++) {
		vn_log("turn %d", i);
		for (unsigned k = 0; k < 200000; k++)
			sink += k;
		vn_yield();
	}
}
