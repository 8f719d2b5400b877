/*
 * park.pml - the hosted port's parked wait (hosted.h, "A parked wait";
 * kernel/core.c, "Parking"; shard/syscall.c) as a Promela model, checked
 * with spin by tests/model/test_park_model.py (part of `make test`).
 *
 * What is modelled: a `yield` shard B that receives on one ring and sleeps
 * in vn_wait when it is empty, its peer A on another core that sends NMSG
 * messages and notifies, the kernel thread of B's core, and another shard C
 * on B's core that becomes ready now and then (NC times) and then blocks
 * again: it is what makes the kernel take a park back.
 *  - The ring is reduced to its two counters (ring.pml checks the ring
 *    itself): a message is B's once `sent` says so.
 *  - B's WAIT: arm (flag ARMED), recheck, set the flag PARKED, post the
 *    call (turn KERNEL), ring the doorbell, then wait_parked(): read the
 *    turn word and the flag, and claim a park, withdraw the call, return,
 *    or sleep on both words (futex_waitv). A flag found woken with no
 *    message (a notification B has had already), or any wake of the flag
 *    B chooses to take for a late one (nondeterministically: whatever the
 *    wake was, so long as the flag read as before), makes B stop listening
 *    to it (DEAF) and sleep on the turn word alone.
 *  - A's notification: publish, read the flag (the publish fence makes
 *    that a Dekker pair with the arm: ring.pml), and if it is set, swap
 *    PARKED for WOKEN and futex-wake the flag, or else post a request and
 *    ring the doorbell (the kernel path). With -DDROP_WAKE, A may stop
 *    after the swap, every time, without the futex wake (a broken or lying
 *    peer; one that dies there wakes B through the kernel, which the model
 *    leaves out).
 *  - The kernel runs one round per doorbell, under its lock; its own state
 *    (B's and C's scheduling state, B's pending bit, the park) is private,
 *    and each access to a word the shards share is one step. The core's
 *    timer also brings looks at the park (look_parked): one may come
 *    whenever the flag reads woken with a message for B and B is still
 *    parked, the only case in which a look does anything.
 * Each step that stands for a line of C names it as  C: file:line `text`,
 * and the test checks that the line still says so.
 * A futex sleep is precise: the sleeper checks the words it sleeps on
 * against the values it read, as futex_waitv does, and only a futex wake
 * of one of them wakes it; a store alone does not. That is where a lost
 * wake-up would hide.
 *
 * Properties:
 *  - the core has one holder: the kernel hands the core to C, or back to B,
 *    only while B runs none of its own code (b_on, a ghost set from B's
 *    return from its call to its next call);
 *  - no lost wake-up: when nothing can move (spin's `timeout`), B has every
 *    message and C is not left ready;
 *  - no deadlock: spin's invalid-end-state check (the only rests are the
 *    end* labels: B asleep or idle, the kernel and C's events idle).
 *
 * Mutations, each a bug the checks catch (tests/model/test_park_model.py):
 *  - -DREVOKE_TO_KERNEL: taking a park back stores VN_TURN_KERNEL instead
 *    of VN_TURN_TAKEN, so B may withdraw a call the kernel holds;
 *  - -DWITHDRAW_STORE: B withdraws its call with a plain store, over a
 *    call the kernel took meanwhile;
 *  - -DSERVE_LOAD: the kernel takes a call by reading the turn word (the
 *    port before parked waits), so B may withdraw it while it is served;
 *  - -DNO_PARK_WAKE: a park that finds the flag woken does not wake B;
 *  - -DDEAF_TO_ARMED: B stops listening to the flag by setting it ARMED,
 *    which a park that comes after sets PARKED again, so A wakes the flag
 *    B no longer sleeps on;
 *  - -DNO_LOOK (with -DDROP_WAKE): the kernel does not look at a park, so
 *    a wake A never finished leaves B asleep with its message.
 * NO_PARK_WAKE and DEAF_TO_ARMED are checked with -DNO_LOOK: the looks
 * would wake B later, and a wake-up must not wait for them. The model
 * holds with and without them.
 *
 * Memory order: every access here is seq_cst in the C (the compare-and-
 * swaps, exchanges and the turn word's stores), but for A's flag load,
 * which follows the publish's seq_cst fence (ring.pml covers that pair),
 * and B's plain loads of the turn word and flag in wait_parked, which
 * only decide what to try or what to sleep on: the futex checks the values
 * again.
 */

#ifndef NMSG
#define NMSG 3
#endif
#ifndef NC
#define NC 1
#endif

/* the turn word (hosted.h: enum vn_turn) */
#define KERNEL 0
#define SHARD 1
#define PARK 3
#define CLAIMED 4
#define TAKEN 5
/* the sleeping flag (hosted.h: enum vn_sleep_flag) */
#define ARMED 1
#define WOKEN 2
#define PARKED 3
#define DEAF 4
/* the kernel's view of B and C */
#define RUNNING 0
#define READY 1
#define BLOCKED 2

byte turn = SHARD;     /* B's turn word: B holds its core at the start */
byte flag = 0;         /* the ring's rx_sleeping */
byte sent = 0, got = 0;
bit req = 0;           /* A's notification request (notify_req) */
byte bell = 0;         /* B's core's doorbell */
bit asleep = 0;        /* B sleeps in futex_waitv */
bit b_on = 1;          /* ghost: B runs its own code */

/* kernel state: only the kernel process and C's events touch it, under the
 * kernel lock */
byte b_st = RUNNING, c_st = BLOCKED;
bit pending = 0, parked = 0;
byte nc = 0;
bit k_busy = 0;        /* the kernel holds its lock: a round runs */

/* futex_wake of the turn word or the flag: B sleeps on both */
inline futex_wake() { asleep = 0 }

/* set_flags(to ARMED) in core.c: a flag taken back from PARKED, or found
 * WOKEN (a notification the kernel did not see); `woke` says so. */
inline unpark_flag(woke) {
	/* C: runtime/arch/hosted/kernel/core.c:310 `if (atomic_compare_exchange_strong(f, &v, to) || v != VN_SLEEP_WOKEN)` */
	atomic { if :: flag == PARKED -> flag = ARMED; woke = 0 :: else -> woke = (flag == WOKEN) fi };
	if
	:: woke -> atomic { woke = (flag == WOKEN); flag = ARMED } /* C: runtime/arch/hosted/kernel/core.c:312 `atomic_exchange(f, to) == VN_SLEEP_WOKEN) && woke < 0)` */
	:: else -> skip
	fi
}

/* settle(core, true) in core.c: the park taken back; B, if it claimed
 * first, is on its core. */
inline take_back() {
#ifdef REVOKE_TO_KERNEL
	atomic { if :: turn == PARK -> turn = KERNEL; took = 1 :: else -> took = 0 fi };
#else
	/* C: runtime/arch/hosted/kernel/core.c:415 `if (atomic_compare_exchange_strong(&h->ctl->turn, &park, VN_TURN_TAKEN)) {` */
	atomic { if :: turn == PARK -> turn = TAKEN; took = 1 :: else -> took = 0 fi };
#endif
	parked = 0;
	if
	:: took -> unpark_flag(woke); if :: woke && b_st == BLOCKED -> b_st = READY :: else -> skip fi
	:: else -> b_st = RUNNING
	fi
}

/* B gets the core from the kernel: the result is in, the turn its. */
inline hand_over_b() {
	assert(!b_on);
	b_st = RUNNING; pending = 0;
	atomic { turn = SHARD; futex_wake() } /* C: runtime/arch/hosted/kernel/core.c:474 `atomic_store_explicit(&ctl->turn, VN_TURN_SHARD, memory_order_release);` */
}

/* dispatch, after the park is taken back: the core to a shard ready. */
inline pick() {
	if
	:: b_st != RUNNING && c_st != RUNNING && b_st == READY -> hand_over_b()
	:: b_st != RUNNING && c_st != RUNNING && c_st == READY -> assert(!b_on); c_st = RUNNING
	:: else -> skip
	fi
}

proctype A() {
	byte v;
	bit ok;

	do
	:: sent < NMSG ->
		sent++;
		v = flag; /* C: runtime/include/vanity/ring.h:435 `if (atomic_load_explicit(&tx->ring->rx_sleeping,` */
		if
		:: v != 0 ->
			/* C: runtime/arch/hosted/shard/syscall.c:274 `if (flag && atomic_compare_exchange_strong(flag, &parked, VN_SLEEP_WOKEN)) {` */
			atomic { if :: flag == PARKED -> flag = WOKEN; ok = 1 :: else -> ok = 0 fi };
			if
			:: ok -> futex_wake() /* C: runtime/arch/hosted/shard/syscall.c:277 `vn_futex_wake(flag);` */
#ifdef DROP_WAKE
			:: ok -> skip /* stopped before the wake */
#endif
			:: else ->
				req = 1; /* C: runtime/arch/hosted/shard/syscall.c:282 `atomic_fetch_or_explicit(&CTL->notify_req, UINT64_C(1) << bit,` */
				bell++ /* C: runtime/arch/hosted/shard/syscall.c:284 `ring_bell(VN_FD_BELL0 + bit);` */
			fi
		:: else -> skip
		fi
	:: else -> break
	od
}

/* B stops listening to the flag, whatever it reads now, unless a peer has
 * set it woken with news (its compare-and-swap, retried until one of the
 * two holds, is this step). */
inline deafen(v) {
#ifdef DEAF_TO_ARMED
	atomic { if :: flag == WOKEN && sent != got -> skip :: else -> flag = ARMED; listen = 0 fi }
#else
	/* C: runtime/arch/hosted/shard/syscall.c:99 `while (!(v == VN_SLEEP_WOKEN && has_news(bit)))` */
	atomic { if :: flag == WOKEN && sent != got -> skip :: else -> flag = DEAF; listen = 0 fi }
#endif
}

proctype B() {
	byte t, v;
	bit ok, listen;

top:
	if
	:: sent != got -> got++; goto top
	:: else -> skip
	fi;
	flag = ARMED; /* C: runtime/lib/wait.c:101 `if (vn_rx_arm(vn_self.rx[i]))` */
	if
	:: sent != got -> goto disarm
	:: else -> skip
	fi;
	/* C: runtime/arch/hosted/shard/syscall.c:214 `if (atomic_compare_exchange_strong(f, &v, VN_SLEEP_PARKED) ||` */
	atomic { if :: flag == ARMED -> flag = PARKED; v = PARKED :: else -> v = flag fi };
	if
	:: v == PARKED -> listen = 1 /* C: runtime/arch/hosted/shard/syscall.c:215 `v == VN_SLEEP_PARKED)` */
	:: else ->
		listen = 0;
		atomic { v = flag; flag = DEAF }; /* C: runtime/arch/hosted/shard/syscall.c:218 `if (atomic_exchange(f, VN_SLEEP_DEAF) == VN_SLEEP_WOKEN && has_news(b))` */
		if
		:: v == WOKEN && sent != got -> goto disarm
		:: else -> skip
		fi
	fi;
	atomic { turn = KERNEL; b_on = 0 }; /* C: runtime/arch/hosted/shard/syscall.c:226 `atomic_store_explicit(&ctl->turn, VN_TURN_KERNEL, memory_order_release);` */
	bell++; /* C: runtime/arch/hosted/shard/syscall.c:227 `while (write(VN_FD_DOORBELL, &one, sizeof(one)) < 0 && errno == EINTR)` */
wait:
	t = turn; /* C: runtime/arch/hosted/shard/syscall.c:120 `while ((t = atomic_load_explicit(&CTL->turn, memory_order_acquire)) ==` */
	v = flag; /* C: runtime/arch/hosted/shard/syscall.c:133 `uint32_t v = atomic_load_explicit(f, memory_order_acquire);` */
	if
	:: t == SHARD -> b_on = 1; goto disarm
	:: listen && v == WOKEN && sent == got ->
		/* C: runtime/arch/hosted/shard/syscall.c:135 `if (v == VN_SLEEP_WOKEN ? !has_news(b)` */
		deafen(v);
		goto wait
	:: listen && t == PARK && v == WOKEN && sent != got ->
		/* C: runtime/arch/hosted/shard/syscall.c:157 `atomic_compare_exchange_strong(&CTL->turn, &park, VN_TURN_CLAIMED))` */
		atomic { if :: turn == PARK -> turn = CLAIMED; b_on = 1; ok = 1 :: else -> ok = 0 fi };
		if :: ok -> goto disarm :: else -> goto wait fi
	:: listen && t == KERNEL && v == WOKEN && sent != got ->
#ifdef WITHDRAW_STORE
		atomic { turn = SHARD; b_on = 1 };
		goto disarm
#else
		/* C: runtime/arch/hosted/shard/syscall.c:163 `atomic_compare_exchange_strong(&CTL->turn, &posted, VN_TURN_SHARD))` */
		atomic { if :: turn == KERNEL -> turn = SHARD; b_on = 1; ok = 1 :: else -> ok = 0 fi };
		if :: ok -> goto disarm :: else -> goto wait fi
#endif
	:: else ->
		/* C: runtime/arch/hosted/shard/syscall.c:167 `syscall(SYS_futex_waitv, w, n, 0, NULL, CLOCK_MONOTONIC)` */
		atomic { if :: turn == t && (!listen || flag == v) -> asleep = 1 :: else -> skip fi };
end_asleep:
		!asleep;
		/* a wake taken for the flag's, a late or a false one
		 * C: runtime/arch/hosted/shard/syscall.c:171 `if (r > 0 && r < (long)n && w[r].val != VN_SLEEP_WOKEN &&` */
		if
		:: listen && v != WOKEN -> deafen(v)
		:: true -> skip
		fi;
		goto wait
	fi;
disarm:
	flag = 0; /* C: runtime/lib/wait.c:121 `vn_rx_disarm(vn_self.rx[i]);` */
end_top:
	goto top
}

/* C's scheduling: made ready from outside (its own device, say) and
 * kicking the core, and blocking again in its own call, NC times. */
proctype Cev() {
end_idle:
	do
	:: atomic { !k_busy && c_st == BLOCKED && nc < NC -> c_st = READY; nc++; bell++ }
	:: atomic { !k_busy && c_st == RUNNING -> c_st = BLOCKED; bell++ }
	od
}

proctype K() {
	byte t, v;
	bit took, woke, blocked_now;

end_idle:
	do
#ifndef NO_LOOK
	:: atomic { !k_busy && parked && turn == PARK && flag == WOKEN && sent != got -> k_busy = 1 };
		/* a look at the park (a round on the core's timer): the flag
		 * woken with news, B still parked, may be a wake B never gets;
		 * the park is taken back, and the core given to whoever is
		 * ready (dispatch). The C waits for a second look that finds
		 * the same; the model need not: a park may be taken back at any
		 * time.
		 * C: runtime/arch/hosted/kernel/core.c:460 `if (news && c->unclaimed)` */
		take_back();
		pick();
		k_busy = 0
#endif
	:: atomic { bell > 0 -> bell = 0; k_busy = 1 }; /* C: runtime/arch/hosted/kernel/core.c:694 `while (read(c->doorbell, junk, sizeof(junk)) == (ssize_t)sizeof(junk))` */
		/* collect: a request is a pending bit, and wakes B if blocked
		 * C: runtime/arch/hosted/kernel/core.c:83 `bits = atomic_exchange_explicit(&ctl->notify_req, 0, memory_order_acquire);` */
		atomic { if :: req -> req = 0; pending = 1; if :: b_st == BLOCKED -> b_st = READY :: else -> skip fi
		         :: else -> skip fi };
		/* settle(core, false): a claimed park is B on its core
		 * C: runtime/arch/hosted/kernel/core.c:412 `if (atomic_load_explicit(&h->ctl->turn, memory_order_acquire) == VN_TURN_PARK) {` */
		atomic { if :: parked && turn != PARK -> parked = 0; b_st = RUNNING :: else -> skip fi };
		/* serve: take B's call, if posted */
		blocked_now = 0;
		if
		:: b_st == RUNNING ->
#ifdef SERVE_LOAD
			atomic { took = (turn == KERNEL) };
			if :: took -> turn = TAKEN :: else -> skip fi;
#else
			/* C: runtime/arch/hosted/kernel/core.c:535 `if (!atomic_compare_exchange_strong(&ctl->turn, &posted, VN_TURN_TAKEN))` */
			atomic { if :: turn == KERNEL -> turn = TAKEN; took = 1 :: else -> took = 0 fi };
#endif
			if
			:: took && pending -> hand_over_b()
			:: took && !pending -> b_st = BLOCKED; blocked_now = 1
			:: else -> skip
			fi
		:: else -> skip
		fi;
		/* dispatch: the park taken back before the core goes to anyone */
		if
		:: parked && (b_st == READY || c_st == READY) && c_st != RUNNING -> take_back()
		:: else -> skip
		fi;
		pick();
		/* park: B blocked in this round */
		if
		:: blocked_now && b_st == BLOCKED && c_st == RUNNING ->
			/* C: runtime/arch/hosted/kernel/core.c:334 `int b = set_flags(h, armed, VN_SLEEP_ARMED);` */
			unpark_flag(woke);
			if :: woke -> b_st = READY :: else -> skip fi
		:: blocked_now && b_st == BLOCKED && c_st != RUNNING ->
			parked = 1;
			turn = PARK; /* C: runtime/arch/hosted/kernel/core.c:344 `atomic_store_explicit(&h->ctl->turn, VN_TURN_PARK, memory_order_seq_cst);` */
			atomic { if :: flag == ARMED -> flag = PARKED; woke = 0 :: else -> woke = (flag == WOKEN) fi };
#ifndef NO_PARK_WAKE
			if :: woke -> futex_wake() :: else -> skip fi /* C: runtime/arch/hosted/kernel/core.c:346 `vn_futex_wake(&h->ctl->turn);` */
#endif
		:: else -> skip
		fi;
		k_busy = 0
	od
}

init {
	atomic { run A(); run B(); run K(); run Cev() }
}

/* No lost wake-up: once nothing can move, B has every message and C is not
 * left ready. */
active proctype quiescent() {
	timeout -> assert(got == NMSG && c_st != READY)
}
