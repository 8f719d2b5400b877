/* Signals `leaver` once it is gone, then waits for ever (lastword.yaml):
 * the first wait returns the news of leaver's end, the next sleeps. */
#include <vanity_shard.h>

void vn_main(void)
{
	vn_sleep(200000000ull);
	vn_signal_word();
	for (;;)
		vn_wait(VN_FOREVER);
}
