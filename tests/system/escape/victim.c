/* Waits 2 s before main() (the test tries to read it through /proc then, as
 * a process of the same user with no capability), tells evil its pid, waits
 * a little, and says it is still fine. */
#include <time.h>
#include <unistd.h>

#include <vanity_shard.h>

__attribute__((constructor)) static void before_main(void)
{
	struct timespec t = {2, 0};

	while (nanosleep(&t, &t) != 0)
		;
}

void vn_main(void)
{
	uint64_t pid = (uint64_t)getpid(), t_end;

	while (!vn_send(&vn_tx_pid, &pid))
		vn_wait(VN_FOREVER);
	t_end = vn_now() + 200000000ull;
	while (vn_now() < t_end)
		;
	vn_log("still fine");
}
