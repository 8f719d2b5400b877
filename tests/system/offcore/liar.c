/* Writes the listener's sleeping flag, which is in the ring they share.
 * `liar`, for 0.4 s each: armed and parked in turn, the values the
 * listener sleeps on, each with a futex wake, 20 us apart (time for it to
 * sleep again in between); woken, with nothing sent, and a futex wake each
 * time; futex wakes alone; values no side writes while the listener
 * waits (0, as if disarmed, and 7, no value at all). Then it sets the
 * flag armed, as the listener's own vn_wait does, and sends 42: the send
 * notifies (through the kernel, as the flag is not parked). `quitter`
 * sets it woken once, without a futex wake, and waits for ever.
 * `dropper` sends 7 as a notifying send does, publishing it and swapping
 * the parked flag for woken, but never futex-wakes the flag (a peer that
 * stopped between the two and lives on), and waits for ever. `flipper`
 * flips it between armed and parked from its start, as fast as it can and
 * with no futex wake, for 1.5 s; then it sets it armed and sends 42. */
#include <stdatomic.h>
#include <string.h>

#include "hosted.h"

#include <vanity_shard.h>
#include <vanity/config.h>

static void for_a_while(_Atomic uint32_t *flag, int how)
{
	uint64_t n = 0;

	for (uint64_t t0 = vn_now(); vn_now() - t0 < 400000000u; n++) {
		if (how == 0)
			atomic_store(flag, VN_SLEEP_WOKEN);
		else if (how == 2)
			atomic_store(flag, n & 1 ? 0u : 7u);
		else if (how == 3)
			atomic_store(flag, n & 1 ? VN_SLEEP_ARMED : VN_SLEEP_PARKED);
		vn_futex_wake(flag);
		/* long enough for the listener to sleep again in between */
		for (uint64_t t = vn_now(); how == 3 && vn_now() - t < 20000u;)
			;
	}
}

void vn_main(void)
{
	_Atomic uint32_t *flag = &vn_tx_lies.ring->rx_sleeping;
	uint64_t msg = 42;

	if (strcmp(vn_self.name, "flipper") == 0) {
		uint64_t n = 0;

		for (uint64_t t0 = vn_now(); vn_now() - t0 < 1500000000u; n++)
			atomic_store(flag, n & 1 ? VN_SLEEP_ARMED : VN_SLEEP_PARKED);
		atomic_store(flag, VN_SLEEP_ARMED);
		vn_log("flipped %s, %s", n > 1000000 ? "over a million times" : "less",
		       vn_tx_send(&vn_tx_lies, &msg, sizeof(msg)) ? "sent" : "full");
		return;
	}
	vn_sleep(200000000u); /* the listener sleeps, parked */
	if (strcmp(vn_self.name, "quitter") == 0) {
		atomic_store(flag, VN_SLEEP_WOKEN); /* no wake: the listener sleeps on */
		vn_log("lied once");
		for (;;)
			vn_wait(VN_FOREVER);
	}
	if (strcmp(vn_self.name, "dropper") == 0) {
		uint32_t parked = VN_SLEEP_PARKED;

		msg = 7;
		memcpy(vn_tx_reserve(&vn_tx_lies), &msg, sizeof(msg));
		vn_store_release(&vn_tx_lies.ring->head, vn_tx_lies.st->head);
		vn_log(atomic_compare_exchange_strong(flag, &parked, VN_SLEEP_WOKEN)
			       ? "sent 7, woke the flag, and stopped there"
			       : "the listener was not parked");
		for (;;)
			vn_wait(VN_FOREVER);
	}
	/* The flips first: any lie before them leaves the flag deaf. The
	 * listener sleeps on it parked: armed instead, and a wake, must leave
	 * it deaf, not listened to with the new value. */
	if (strcmp(vn_self.name, "liar") == 0) {
		uint32_t was = atomic_exchange(flag, VN_SLEEP_ARMED);

		vn_futex_wake(flag);
		for (uint64_t t = vn_now(); vn_now() - t < 20000000u;)
			;
		vn_log("flag %s, then armed and woken: %s", was == VN_SLEEP_PARKED ? "parked" :
		       "not parked", atomic_load(flag) == VN_SLEEP_DEAF ? "deaf" : "listened to");
	}
	for (int how = 3; how < 7; how++)
		for_a_while(flag, how % 4);
	atomic_store(flag, VN_SLEEP_ARMED);
	vn_log(vn_tx_send(&vn_tx_lies, &msg, sizeof(msg)) ? "sent" : "full");
}
