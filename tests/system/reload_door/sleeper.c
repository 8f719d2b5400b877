/* One long timed wait on the door's core (sleeper.yaml): while it lasts,
 * that core's next timeout is 11 s away. */
#include <vanity_shard.h>

void vn_main(void)
{
	vn_sleep(11000000000ull);
	vn_log("slept");
}
