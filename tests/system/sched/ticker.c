/* A poll shard sharing ping's core; its waits time out, and both progress
 * because a poll shard that shares its core yields while it spins. */
#include <vanity_shard.h>

void vn_main(void)
{
	uint64_t t0 = vn_now();
	int n = 0;

	for (int i = 0; i < 20; i++)
		n += vn_wait(1000000) == 0;
	vn_log("%d timeouts in %llu us", n, (unsigned long long)((vn_now() - t0) / 1000));
}
