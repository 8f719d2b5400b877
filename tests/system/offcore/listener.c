/* Sleeps in vn_wait until a message comes, and says what it cost it: the
 * CPU time it ran, which no write of its flag may stretch. With
 * LISTENER_NAP it first sleeps that many ns, a wait with no ring armed. */
#include <time.h>

#include <vanity_shard.h>

void vn_main(void)
{
	struct timespec cpu;
	uint64_t msg = 0;

#ifdef LISTENER_NAP
	vn_sleep(LISTENER_NAP);
#endif
	while (!vn_rx_recv(&vn_rx_lies, &msg, sizeof(msg)))
		vn_wait(VN_FOREVER);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	vn_log("got %llu, %llu ms of CPU", (unsigned long long)msg,
	       (unsigned long long)(cpu.tv_sec * 1000 + cpu.tv_nsec / 1000000));
}
