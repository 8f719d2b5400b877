/*
 * ring.pml - the channel protocol of ring.h and wait.c as a Promela model,
 * checked with spin by tests/model/test_ring_model.py (part of `make test`).
 *
 * What is modelled: one channel between two `yield` shards, so both
 * endpoints carry VN_EP_NOTIFY and both sides may sleep: the consumer for a
 * message, the producer for space ("starved"). The producer sends NMSG
 * messages, each call a vn_tx_send or a vn_tx_send_burst of up to BURST (2),
 * and calls vn_wait(VN_FOREVER) when one sends nothing; the consumer loops on
 * vn_rx_recv or vn_rx_recv_burst of up to BURST, and vn_wait(VN_FOREVER)
 * when one gets nothing. (Zero-copy reserve/commit and peek/release publish
 * the same way as the bursts: slots first, then one index store; sequenced,
 * a commit's words at the publish, as under -DSEAL_AT_PUBLISH below.) Waits
 * never time out: a timeout would hide a lost wake-up. The kernel's side (pending bits,
 * WAIT, NOTIFY, restart) runs under the kernel lock, so each kernel action is
 * one atomic step. Notifications are delivered asynchronously by a separate
 * kernel process, as on hosted (a request in the control page collected by
 * the peer's core); the bare-metal NOTIFY system call is one of those
 * interleavings. A fault-injection process kills either shard at any step,
 * at most KILLS_P / KILLS_C times, and the kernel restarts it
 * (fault.c:restart, then port_shard_start: fresh data/bss/stack, channels
 * and their messages kept, pending bits cleared; then vn_attach_endpoints).
 * A restart (and a stop or exit) also sets the surviving peer's endpoint bits
 * and wakes it (notify.c: vn_peer_changed). The model leaves that out: an
 * extra pending bit only makes a WAIT return early, and vn_wait recomputes
 * its answer from the rings, so it is a spurious wake-up, like a stale
 * notification. vn_sleep (wait.c) takes bits without arming a ring.
 *
 * Slot layouts. By default the slots are packed (no VN_EP_SEQ): a message
 * is the consumer's once head says so. With -DSEQ they are sequenced
 * (VN_EP_SEQ, ring.h:22-40): each slot also holds a sequence word, `word`,
 * kept modulo IDX like the indices, or NOSEQ where it was never written (a
 * fresh ring's 0, which no position + 1 is); the words start as either that
 * or the lap before START's. The producer copies each message of a send into
 * its slot and stores position + 1 into its word, a step each, in order (a
 * single send: its copy, then vn_tx_seal's word from vn_tx_publish; a
 * burst: each word right after its message), then stores head and goes on
 * as in the packed layout (fence, flag). With -DSEAL_AT_PUBLISH a burst
 * copies every message first and then stores the words, as a latency
 * channel's burst does (its stamps, not modelled, go between). A message is
 * the consumer's once its word is written: `published` counts word stores,
 * so a message whose producer stopped between its word and head was sent.
 * A single receive, and every vn_rx_avail (vn_wait's looks, the arm's
 * recheck), reads the word of slot tl instead of head (vn_rx_sealed). A burst
 * receive still goes by the cached head, refreshed from head when short, and
 * by the words when head gives it nothing (as vn_wait does); the consumer
 * may be past the published head (it took sealed messages whose head store
 * is still to come), and, as in the C, a difference below zero is nothing
 * available (a signed comparison, then a clamp). A (re)starting producer
 * takes up the ring after the sealed messages in a row from the published
 * head, one word read a step, and stores head (vn_tx_resume,
 * attach.c:39-41). A zero-copy commit of several reserved
 * slots is a -DSEAL_AT_PUBLISH burst: the copies, then the words. (A
 * reserve followed by a burst, whose vn_tx_seal seals the reserved slot
 * first, is left to test_ring.c.) -DWORD_FIRST, a mutation, stores each
 * word before its message: a consumer then takes a slot not yet written.
 * In both layouts the differences between the consumer's cached head and
 * tl lie in [-NMSG, DEPTH] (packed, a single receive that finds just the
 * message it takes leaves the cache behind tl; the C compares the two as
 * values, which its 64-bit counters allow); modulo IDX they keep their sign
 * (NEG) while NMSG is at most IDX / 2.
 *
 * Each step is one access to shared memory (or one kernel action); private
 * computation is folded into the step next to it (an atomic block never
 * holds more than one shared access, so it is one indivisible C access). Every step names the C it
 * stands for as  C: file:line `text`  and the test checks that each such line
 * still contains that text, so this note cannot silently drift from the code.
 *
 * Indices are free-running counters kept modulo IDX (= 8, DEPTH = 2) and they
 * start two short of wrapping: the ring of the model has already carried
 * 2^64 - 2 messages, and (head - tail) & mask arithmetic is checked across
 * the wrap just as it is at 2^64 in C.
 *
 * Properties:
 *  - no lost, duplicated or reordered message: the consumer asserts that each
 *    message it copies is the next one expected (`delivered`, a ghost count
 *    of released messages that survives restarts) and slots start with a
 *    value no message has, so a read of an unwritten or overwritten slot fails.
 *    The release (tail store) is the commit point: a message a consumer had
 *    copied but not released when it was stopped is received again by its
 *    successor, as attach.c says (it starts from the published tail); a
 *    message the producer had written but not published (sequenced: not
 *    sealed) is not sent;
 *  - no lost wake-up: when nothing in the system can move (spin's `timeout`),
 *    every message has been delivered and the producer has finished. A
 *    consumer asleep with a message queued, or a producer asleep on a ring
 *    with space, both leave the system stuck short of that, and fail;
 *  - no deadlock: spin's invalid-end-state check; the only places a process
 *    may rest are labelled end*: asleep in WAIT, done, or the idle loops of
 *    the kernel and fault-injection processes.
 * -DNO_WAKEUP_CHECK leaves the `timeout` check out, to check the first and
 * third alone (with restarts, on the C as it is: see below).
 * All three hold in both slot layouts.
 *
 * Memory order. Promela is sequentially consistent. SC is a sound
 * abstraction of the C here because:
 *  - slot data -> head: the head store is release (ring.h:430) and the
 *    consumer's head load acquire (ring.h:546; a sequenced burst's,
 *    ring.h:632), so a slot read after the load sees the producer's write
 *    (message passing);
 *  - slot data -> word (sequenced): likewise, the word store is release
 *    (ring.h:403, vn_tx_seal; a burst's, ring.h:494) and the consumer's word
 *    load acquire (ring.h:526), so the message copied after it is the one
 *    the word guards. Head's release store comes after the words and the
 *    copies, so a sequenced burst going by head sees them too. The resume
 *    scan's word loads are acquire too (ring.h:417), so a burst that reads
 *    head after the restarted producer publishes it sees the messages they
 *    found;
 *  - slot read -> tail -> slot overwrite: the tail store is release
 *    (ring.h:597) and the producer's tail load acquire (ring.h:290), so a slot
 *    (and its word) is not rewritten before its old message was copied;
 *  - the sleep flag: the one reordering release/acquire allows and that
 *    matters is a store followed by a load of another location (store
 *    buffering). On both sides of the Dekker pair (publish: store head, load
 *    rx_sleeping; arm: store rx_sleeping, load head; and the same with tail /
 *    tx_sleeping) a seq_cst fence sits between the two (ring.h:434, 599, 686,
 *    699), and C11 forbids both loads missing both stores when both fences
 *    are seq_cst. That is the SC outcome set. Sequenced, the consumer's side
 *    of the pair loads the word, not head: the word stores come before the
 *    same publish fence as head's, so the pair is word / rx_sleeping, with
 *    the same two fences.
 * Compile with -DWEAK to let exactly those four stores (and with SEQ the
 * word stores) wait in a store buffer
 * (one per location, drained by a separate process at any time; a fence
 * drains all of its thread's). That is store buffering as on x86-TSO, and a
 * little weaker still, since one thread's two buffered stores may drain in
 * either order; more behaviours only make a pass stronger. The model still
 * passes with the fences, and fails with -DNO_PUBLISH_FENCE or
 * -DNO_ARM_FENCE: the fences are needed. What WEAK does not model: the
 * load-load and store-store reorderings of arm64 and RISC-V (forbidden here
 * by release/acquire, see above) and relaxed stores of a dying shard that
 * never drain (they do: the kernel's restart path is a full barrier).
 *
 * Mutations the test expects spin to catch (each a -D switch):
 *  NO_RECHECK        vn_rx_arm/vn_tx_arm do not recheck the ring after
 *                    setting the flag (SC is enough to lose a wake-up);
 *  NO_PUBLISH_FENCE  with WEAK: no fence between the head (tail) store and
 *                    the flag load in vn_tx_publish (vn_rx_publish);
 *  NO_ARM_FENCE      with WEAK: no fence between the flag store and the
 *                    recheck in vn_rx_arm (vn_tx_arm);
 *  NO_RESUME         with SEQ: a starting producer takes up the ring at the
 *                    published head (vn_attach_endpoints without
 *                    vn_tx_resume), so after a predecessor stopped between a
 *                    word and head it writes again a position the consumer
 *                    may have taken already: a message is lost;
 *  NO_CLAMP          with SEQ: a burst receive compares the cached head
 *                    unsigned; a consumer past the published head then reads
 *                    slots not yet written;
 *  UNSIGNED_CACHE    packed: a receive compares the cached head with tl as
 *                    a difference, not as values; a cache left behind tl
 *                    (a single receive that found just its message does not
 *                    store it) then says messages are there that are not.
 *
 * What the model found in the C, now fixed (tests/model: the restart tests).
 * A publish owes the peer a notification once its index store is done, but
 * the debt lives only in the publisher's registers until the flag check and
 * vn_notify a few instructions later. A shard stopped in that window
 * (watchdog, any fault: port_shard_stop stops it "wherever it is") and
 * restarted left the debt unpaid, since nothing on the restart path woke a
 * peer:
 *  - KILLS_P=1: the producer publishes its last message and is stopped
 *    before ring.h:435; the restarted producer has nothing more to send, and
 *    the consumer sleeps forever with the message queued.
 *  - KILLS_C=1: the producer sleeps starved on a full ring; the consumer
 *    takes all of it in one vn_rx_recv_burst and is stopped after its tail
 *    store, before ring.h:599; restarted, it finds the ring empty and sleeps,
 *    and both sides sleep forever (deadlock). With single receives
 *    (BURST=1) it takes DEPTH such stops in a row (KILLS_C=2).
 * The fix: a (re)starting shard, in vn_attach_endpoints, notifies the peer
 * of each channel whose peer sleep flag is set while the ring holds what
 * that peer waits for: a message, or space (attach.c:44-46, 55-57).
 *  NO_RESTART_NOTIFY the C before the fix, to show the hole is caught.
 */

#ifndef NMSG
#define NMSG 3 /* messages the producer sends */
#endif
#ifndef BURST
#define BURST 2 /* most messages one send or receive call moves */
#endif
#ifndef KILLS_P
#define KILLS_P 1 /* producer restarts */
#endif
#ifndef KILLS_C
#define KILLS_C 1 /* consumer restarts */
#endif

#define DEPTH 2
#define MASK 1
#define IDX 8 /* indices modulo IDX stand for the free-running uint64_t */
#define IMASK 7
#define START 6 /* IDX - 2: the counters wrap two messages in */
#define NOMSG 255 /* what an unwritten slot holds */
#define NOSEQ 255 /* sequenced: a word never written (a fresh ring's 0) */
/* An index difference modulo IDX that stands for a negative int64_t. */
#define NEG(d) ((d) >= IDX / 2)

#if NMSG > IDX / 2
#error "NEG keeps the sign of the consumer's differences up to NMSG = IDX / 2"
#endif

/* ---- shared memory: struct vn_ring and its slots ---- */
byte head = START; /* ring->head */
byte tail = START; /* ring->tail */
bit rx_sleeping;   /* ring->rx_sleeping */
bit tx_sleeping;   /* ring->tx_sleeping */
byte slot[DEPTH];
#ifdef SEQ
byte word[DEPTH]; /* each slot's sequence word: position + 1, modulo IDX */
#endif

#ifdef WEAK
/* One-entry store buffers for the four stores a fence orders (see above). */
bool head_sb, tail_sb, rxs_sb, txs_sb;
byte head_sbv, tail_sbv;
bit rxs_sbv, txs_sbv;
#define FLUSH_HEAD if :: head_sb -> head = head_sbv; head_sb = false :: else fi
#define FLUSH_TAIL if :: tail_sb -> tail = tail_sbv; tail_sb = false :: else fi
#define FLUSH_RXS if :: rxs_sb -> rx_sleeping = rxs_sbv; rxs_sb = false :: else fi
#define FLUSH_TXS if :: txs_sb -> tx_sleeping = txs_sbv; txs_sb = false :: else fi
#define ST_HEAD(v) FLUSH_HEAD; head_sbv = (v); head_sb = true
#define ST_TAIL(v) FLUSH_TAIL; tail_sbv = (v); tail_sb = true
#define ST_RXS(v) FLUSH_RXS; rxs_sbv = (v); rxs_sb = true
#define ST_TXS(v) FLUSH_TXS; txs_sbv = (v); txs_sb = true
#ifdef SEQ
/* Sequenced: the word stores come before the publish fence too. */
bool word_sb[DEPTH];
byte word_sbv[DEPTH];
#define FLUSH_WORD(s) if :: word_sb[s] -> word[s] = word_sbv[s]; word_sb[s] = false :: else fi
#define FLUSH_WORDS FLUSH_WORD(0); FLUSH_WORD(1)
#define ST_WORD(s, v) FLUSH_WORD(s); word_sbv[s] = (v); word_sb[s] = true
#else
#define FLUSH_WORDS skip
#endif
/* A thread reads its own buffered store (store forwarding). */
#define LD_HEAD_OWN (head_sb -> head_sbv : head)
#define LD_TAIL_OWN (tail_sb -> tail_sbv : tail)
#else
#define FLUSH_HEAD skip
#define FLUSH_TAIL skip
#define FLUSH_RXS skip
#define FLUSH_TXS skip
#define ST_HEAD(v) head = (v)
#define ST_TAIL(v) tail = (v)
#define ST_RXS(v) rx_sleeping = (v)
#define ST_TXS(v) tx_sleeping = (v)
#define FLUSH_WORDS skip
#define ST_WORD(s, v) word[s] = (v)
#define LD_HEAD_OWN head
#define LD_TAIL_OWN tail
#endif

/* ---- kernel state (struct vn_shard), changed only under the kernel lock ---- */
bit pend_c, pend_p;       /* s->pending, the one endpoint bit of each shard */
bit waiting_c, waiting_p; /* s->waiting */
bit blocked_c, blocked_p; /* s->state == VN_BLOCKED */
bit req_c, req_p;         /* hosted: a NOTIFY request posted, not yet collected */

/* ---- fault injection ---- */
bool kill_p, kill_c; /* port_shard_stop() was called: the shard dies at once */
byte kills_p = KILLS_P, kills_c = KILLS_C;

/* ---- ghosts: what the world has seen ---- */
byte published; /* messages made visible: by a head store (sequenced: a word store) */
byte delivered; /* messages the consumer copied and released */
bool p_done;    /* the producer has sent all NMSG */

/* vn_notify_deliver_on (notify.c:58-60): set the peer's bit, wake it if it
 * is blocked in WAIT. */
#define DELIVER_C pend_c = 1; blocked_c = 0
#define DELIVER_P pend_p = 1; blocked_p = 0

/* sys_wait (syscall.c:31-51) then vn_shard_resume (kernel.h): one
 * kernel step to return pending bits or block, one to resume once woken. */
#define SYS_WAIT(pend, waiting, blocked, r)                                     \
	atomic {                                                                \
		if                                                              \
		:: pend -> r = 1; pend = 0 /* C: runtime/core/syscall.c:37 `if (s->pending || timeout == 0)` */ \
		:: else -> waiting = 1; blocked = 1 /* C: runtime/core/syscall.c:46 `s->waiting = true` */ \
		fi                                                              \
	};                                                                      \
end_asleep:                                                                     \
	atomic {                                                                \
		!blocked; /* asleep until vn_sched_wake */                      \
		if                                                              \
		:: waiting -> r = pend; pend = 0; waiting = 0 /* C: runtime/core/kernel.h:291 `bits = s->pending` */ \
		:: else                                                         \
		fi                                                              \
	}

/* ---------------------------------------------------------------- producer */

/* vn_tx_space(tx, w) (ring.h:284-302); sets space, may set starved. The C
 * returns the depth at once when the tail it loads is th (an empty ring):
 * the space computed here then too, and starved is not set. */
inline tx_space(w)
{
	atomic {
		space = DEPTH - ((th - ctail) & IMASK);
		if
		:: space < w ->
			ctail = tail; /* C: runtime/include/vanity/ring.h:290 `uint64_t tail = vn_load_acquire(&tx->ring->tail)` */
			space = DEPTH - ((th - ctail) & IMASK);
			if
			:: space == 0 -> starved = 1 /* C: runtime/include/vanity/ring.h:299 `st->starved = 1` */
			:: else
			fi
		:: else
		fi
	}
}

/* vn_tx_publish(tx, th) (ring.h:424-439). Sequenced, the words are stored
 * already: vn_tx_seal, called there before the head store, is modelled in
 * the send, after the copies. */
inline tx_publish()
{
	atomic {
		/* C: runtime/include/vanity/ring.h:382 `tx->st->head++` */
		th = (th + n) & IMASK; /* C: runtime/include/vanity/ring.h:510 `tx->st->head += n` */
		ST_HEAD(th); /* C: runtime/include/vanity/ring.h:430 `vn_store_release(&tx->ring->head, head)` */
#ifndef SEQ
		published = published + n
#endif
	};
#ifndef NO_PUBLISH_FENCE
	atomic { FLUSH_HEAD; FLUSH_TXS; FLUSH_WORDS }; /* C: runtime/include/vanity/ring.h:434 `atomic_thread_fence(memory_order_seq_cst)` */
#endif
	if
	:: rx_sleeping -> /* C: runtime/include/vanity/ring.h:435 `if (atomic_load_explicit(&tx->ring->rx_sleeping` */
		req_c = 1 /* C: runtime/include/vanity/ring.h:437 `vn_notify(tx->channel)` */
	:: else
	fi
}

/* ready() for the tx endpoint (wait.c:77-84): r = 1 when watched and free. */
inline tx_ready()
{
	atomic {
		if
		:: watch ->
			tx_space(1); /* C: runtime/lib/wait.c:81 `if ((watch_tx & b) && vn_tx_space(vn_self.tx[i], 1))` */
			if
			:: space > 0 -> starved = 0; r = 1 /* C: runtime/lib/wait.c:82 `vn_self.tx[i]->st->starved = 0` */
			:: else
			fi
		:: else
		fi
	}
}

/* vn_wait(VN_FOREVER) in a yield shard (wait.c:213-228). */
inline tx_wait()
{
	atomic {
		watch = starved; /* C: runtime/lib/wait.c:216 `vn_bits_t watch_tx = starved_tx() & watch` */
		r = 0
	};
	/* spin() for spin_ns: some rounds of ready(); one round or none covers
	 * every outcome, as the caller loops anyway. */
	if
	:: tx_ready() /* C: runtime/lib/wait.c:179 `r = ready(watch_rx, watch_tx) | kernel_bits(n, later)` */
	:: skip
	fi;
	do
	:: r -> break
	:: else ->
		/* sleep_once (wait.c:201-211): arm() is vn_tx_arm */
		if
		:: watch ->
			atomic { ST_TXS(1) }; /* C: runtime/include/vanity/ring.h:697 `vn_store_relaxed32(&tx->ring->tx_sleeping, 1)` */
#ifndef NO_ARM_FENCE
			atomic { FLUSH_HEAD; FLUSH_TXS; FLUSH_WORDS }; /* C: runtime/include/vanity/ring.h:698 `atomic_thread_fence(memory_order_seq_cst)` */
#endif
#ifndef NO_RECHECK
			atomic {
				tx_space(1); /* C: runtime/include/vanity/ring.h:699 `return vn_tx_space(tx, 1) != 0` */
				r = (space > 0)
			}
#endif
		:: else
		fi;
		if
		:: !r -> SYS_WAIT(pend_p, waiting_p, blocked_p, r) /* C: runtime/lib/wait.c:209 `r = keep(vn_syscall(VN_SYS_WAIT` */
		:: else
		fi;
		if
		:: watch -> atomic { ST_TXS(0) } /* C: runtime/include/vanity/ring.h:704 `vn_store_relaxed32(&tx->ring->tx_sleeping, 0)` */
		:: else
		fi;
		tx_ready() /* C: runtime/lib/wait.c:211 `return r | ready(watch_rx, watch_tx)` */
	od
}

proctype Producer()
{
	byte th, ctail, space; /* struct vn_tx_state (bss: fresh on restart); the C
				 * keeps ctail as the limit it sets, ctail + depth */
	byte want, n, k;
	bit starved, watch, r;

	do
	:: {
		/* vn_attach_endpoints (attach.c:39-46) */
		th = LD_HEAD_OWN; /* C: runtime/lib/attach.c:39 `vn_tx_resume(tx, atomic_load(&tx->ring->head))` */
		/* Packed, vn_tx_resume returns head and attach.c:41 stores back the
		 * value just read, in a location only the producer writes: no step. */
#if defined(SEQ) && !defined(NO_RESUME)
		/* vn_tx_resume (ring.h:411-421): past the messages a predecessor
		 * sealed and did not publish, a ring's worth at most; st->sealed
		 * is th (attach.c:40) */
		k = 0;
		do
		:: atomic { k <= MASK && word[(th + k) & MASK] == ((th + k + 1) & IMASK) -> k++ } /* C: runtime/include/vanity/ring.h:417 `vn_load_acquire(vn_ring_seq(tx->slots, tx->mask, VN_EP_STRIDE(tx), h)) ==` */
		:: else -> th = (th + k) & IMASK; k = 0; break /* C: runtime/include/vanity/ring.h:420 `return h` */
		od;
		atomic { ST_HEAD(th) }; /* C: runtime/lib/attach.c:41 `atomic_store(&tx->ring->head, tx->st->head)` */
#endif
		ctail = tail; /* C: runtime/lib/attach.c:42 `tx->st->limit = atomic_load(&tx->ring->tail) + tx->mask + 1u` */
		atomic { ST_TXS(0) }; /* C: runtime/lib/attach.c:43 `atomic_store(&tx->ring->tx_sleeping, 0)` */
#ifndef NO_RESTART_NOTIFY
		if
		:: rx_sleeping && th != ctail -> req_c = 1 /* C: runtime/lib/attach.c:46 `vn_notify(tx->channel)` */
		:: else
		fi;
#endif
		/* the application: send until the world has NMSG messages */
		do
		:: published < NMSG ->
			/* one vn_tx_send, or one vn_tx_send_burst of up to BURST */
			atomic {
				if
				:: want = 1
#if BURST > 1
				:: NMSG - published >= 2 -> want = 2
#endif
				fi;
				/* C: runtime/include/vanity/ring.h:375 `uint32_t space = vn_tx_space_at(tx, head, 1)` */
				tx_space(want); /* C: runtime/include/vanity/ring.h:464 `uint32_t space = vn_tx_space_at(tx, head, n)` */
				n = (want < space -> want : space); /* C: runtime/include/vanity/ring.h:474 `n = space` */
				k = 0
			};
			if
			:: space > 0 ->
#ifndef SEQ
				do /* one slot per step; message numbers are ghosts */
				:: atomic { k < n -> slot[(th + k) & MASK] = published + k; k++ } /* C: runtime/include/vanity/ring.h:453 `memcpy(slot, msg, size)` */
				:: else -> break
				od;
#elif defined(SEAL_AT_PUBLISH)
				do /* the slots, one step each; message numbers are ghosts */
				:: /* C: runtime/include/vanity/ring.h:491 `memcpy(vn_ring_slot(tx->slots, tx->mask, VN_EP_STRIDE(tx), head + i),` */
					atomic { k < n -> slot[(th + k) & MASK] = published + k; k++ } /* C: runtime/include/vanity/ring.h:453 `memcpy(slot, msg, size)` */
				:: else -> break
				od;
				k = 0;
				do /* vn_tx_seal, from vn_tx_publish: their words, in order, a step each */
				:: atomic { k < n -> ST_WORD((th + k) & MASK, (th + k + 1) & IMASK); published++; k++ } /* C: runtime/include/vanity/ring.h:403 `vn_store_release(vn_ring_seq(tx->slots, tx->mask, VN_EP_STRIDE(tx), p), p + 1)` */
				:: else -> break
				od;
#else
				do /* each slot, then its word, a step each; message numbers are ghosts */
#ifdef WORD_FIRST
				:: atomic { k < n -> ST_WORD((th + k) & MASK, (th + k + 1) & IMASK) };
					atomic { slot[(th + k) & MASK] = published; published++; k++ }
#else
				:: /* C: runtime/include/vanity/ring.h:491 `memcpy(vn_ring_slot(tx->slots, tx->mask, VN_EP_STRIDE(tx), head + i),` */
					atomic { k < n -> slot[(th + k) & MASK] = published } /* C: runtime/include/vanity/ring.h:453 `memcpy(slot, msg, size)` */;
					/* a single send's: vn_tx_seal, from vn_tx_publish */
					/* C: runtime/include/vanity/ring.h:403 `vn_store_release(vn_ring_seq(tx->slots, tx->mask, VN_EP_STRIDE(tx), p), p + 1)` */
					atomic { ST_WORD((th + k) & MASK, (th + k + 1) & IMASK); published++; k++ } /* C: runtime/include/vanity/ring.h:496 `head + i + 1);` */
#endif
				:: else -> break
				od;
#endif
				tx_publish() /* C: runtime/include/vanity/ring.h:454 `vn_tx_commit(tx)` */
			:: else -> tx_wait()
			fi
		:: else -> break
		od;
		p_done = true;
		break
	   } unless {
		kill_p ->
		/* the port stopped it; fault.c:restart and port_shard_start */
		atomic {
			/* hosted: requests posted before death are delivered first */
			if :: req_c -> req_c = 0; DELIVER_C :: else fi; /* C: runtime/arch/hosted/kernel/fault.c:121 `hk_collect(h, s->cfg->core)` */
			req_c = 0; /* port_shard_start clears the control page */
			pend_p = 0; /* C: runtime/core/fault.c:67 `s->pending = 0` */
			waiting_p = 0; /* C: runtime/core/fault.c:70 `s->waiting = false` */
			blocked_p = 0;
			FLUSH_HEAD; FLUSH_TXS; FLUSH_WORDS; /* a dead CPU context's stores still drain */
			th = 0; ctail = 0; space = 0; starved = 0; watch = 0; r = 0;
			want = 0; n = 0; k = 0;
			kill_p = false
		}
	   }
	od;
end_done:
	skip
}

/* ---------------------------------------------------------------- consumer */

/* vn_rx_avail(rx, w) (ring.h:532-562): sets avail. Sequenced, from the word
 * of slot tl (vn_rx_sealed, ring.h:521-530): w is 1 wherever it is asked. */
inline rx_avail(w)
{
	atomic {
#ifndef SEQ
		avail = (chead - tl) & IMASK;
		if
#ifndef UNSIGNED_CACHE
		:: avail != 0 && !NEG(avail) && (w == 1 || avail >= w) -> /* C: runtime/include/vanity/ring.h:544 `if (cached > tail && (want == 1 || cached - tail >= want))` */
			avail = (w == 1 -> 1 : avail)
#else
		:: avail != 0 && (w == 1 || avail >= w) -> /* a mutation: a cache behind tail as ahead */
			avail = (w == 1 -> 1 : avail)
#endif
		:: else ->
			avail = (head - tl) & IMASK; /* C: runtime/include/vanity/ring.h:546 `head = vn_load_acquire(&rx->ring->head);` */
			if
			:: w == 1 && avail == 1 -> skip /* C: runtime/include/vanity/ring.h:550 `if (want == 1 && head == tail + 1)` */
			:: else ->
				chead = head; /* C: runtime/include/vanity/ring.h:552 `st->cached_head = head;` */
				avail = (NEG(avail) -> 0 : (w == 1 && avail > 1 -> 1 : avail)) /* C: runtime/include/vanity/ring.h:553 `if (head <= tail)` */
			fi
		fi
#else
		avail = (word[tl & MASK] == ((tl + 1) & IMASK)) /* C: runtime/include/vanity/ring.h:526 `vn_load_acquire(vn_ring_seq(rx->slots, rx->mask, VN_EP_STRIDE(rx), tail + n)) ==` */
#endif
	}
}

/* vn_rx_publish(rx, tl) (ring.h:594-604). */
inline rx_publish()
{
	atomic {
		/* C: runtime/include/vanity/ring.h:587 `rx->st->tail++` */
		tl = (tl + n) & IMASK; /* C: runtime/include/vanity/ring.h:668 `rx->st->tail += n` */
		ST_TAIL(tl); /* C: runtime/include/vanity/ring.h:597 `vn_store_release(&rx->ring->tail, tail)` */
		delivered = delivered + n
	};
#ifndef NO_PUBLISH_FENCE
	atomic { FLUSH_TAIL; FLUSH_RXS }; /* C: runtime/include/vanity/ring.h:599 `atomic_thread_fence(memory_order_seq_cst)` */
#endif
	if
	:: tx_sleeping -> /* C: runtime/include/vanity/ring.h:600 `if (atomic_load_explicit(&rx->ring->tx_sleeping` */
		req_p = 1 /* C: runtime/include/vanity/ring.h:602 `vn_notify(rx->channel)` */
	:: else
	fi
}

/* vn_wait(VN_FOREVER) in a yield shard with one rx endpoint. */
inline rx_wait()
{
	atomic {
		r = 0;
		if
		:: rx_avail(1); r = (avail > 0) /* C: runtime/lib/wait.c:75 `if ((watch_rx & b) && vn_rx_avail(vn_self.rx[i], 1))` */
		:: skip
		fi
	};
	do
	:: r -> break
	:: else ->
		atomic { ST_RXS(1) }; /* C: runtime/include/vanity/ring.h:684 `vn_store_relaxed32(&rx->ring->rx_sleeping, 1)` */
#ifndef NO_ARM_FENCE
		atomic { FLUSH_TAIL; FLUSH_RXS }; /* C: runtime/include/vanity/ring.h:685 `atomic_thread_fence(memory_order_seq_cst)` */
#endif
#ifndef NO_RECHECK
		atomic {
			rx_avail(1); /* C: runtime/include/vanity/ring.h:686 `return vn_rx_avail(rx, 1) != 0` */
			r = (avail > 0)
		};
#endif
		if
		:: !r -> SYS_WAIT(pend_c, waiting_c, blocked_c, r) /* C: runtime/lib/wait.c:209 `r = keep(vn_syscall(VN_SYS_WAIT` */
		:: else
		fi;
		atomic { ST_RXS(0) }; /* C: runtime/include/vanity/ring.h:691 `vn_store_relaxed32(&rx->ring->rx_sleeping, 0)` */
		atomic {
			rx_avail(1); /* C: runtime/lib/wait.c:211 `return r | ready(watch_rx, watch_tx)` */
			r = r | (avail > 0)
		}
	od
}

proctype Consumer()
{
	byte tl, chead, avail, v; /* struct vn_rx_state (bss: fresh on restart) */
	byte want, n, k;
	bit r;

	do
	:: {
		/* vn_attach_endpoints (attach.c:51-57) */
		tl = LD_TAIL_OWN; /* C: runtime/lib/attach.c:51 `rx->st->tail = atomic_load(&rx->ring->tail)` */
		chead = head; /* C: runtime/lib/attach.c:52 `rx->st->cached_head = atomic_load(&rx->ring->head)` */
		atomic { ST_RXS(0) }; /* C: runtime/lib/attach.c:53 `atomic_store(&rx->ring->rx_sleeping, 0)` */
#ifndef NO_RESTART_NOTIFY
		/* signed: sequenced, the consumer may be past the published head */
		if
		:: tx_sleeping && (NEG((chead - tl) & IMASK) || ((chead - tl) & IMASK) <= MASK) -> /* C: runtime/lib/attach.c:56 `(int64_t)(rx->st->cached_head - rx->st->tail) <= (int64_t)rx->mask` */
			req_p = 1 /* C: runtime/lib/attach.c:57 `vn_notify(rx->channel)` */
		:: else
		fi;
#endif
		/* the application: receive forever */
		do
		:: /* one vn_rx_recv, or one vn_rx_recv_burst of up to BURST */
			atomic {
				if
				:: want = 1
#if BURST > 1
				:: want = 2
#endif
				fi;
#ifndef SEQ
				/* C: runtime/include/vanity/ring.h:583 `if (vn_rx_avail_at(rx, t, 1) == 0)` */
				rx_avail(want); /* C: runtime/include/vanity/ring.h:641 `avail = vn_rx_avail_at(rx, tail, n)` */
				n = (want < avail -> want : avail); /* C: runtime/include/vanity/ring.h:646 `n = avail` */
				k = 0
#else
				if
				:: want == 1 -> /* vn_rx_peek: the word of slot tl */
					rx_avail(1) /* C: runtime/include/vanity/ring.h:583 `if (vn_rx_avail_at(rx, t, 1) == 0)` */
				:: else -> /* vn_rx_recv_burst: by head */
					avail = (chead - tl) & IMASK; /* C: runtime/include/vanity/ring.h:630 `avail = (uint32_t)(rx->st->cached_head - tail)` */
#ifndef NO_CLAMP
					if
					:: NEG(avail) || avail < want -> /* C: runtime/include/vanity/ring.h:631 `if ((int64_t)(rx->st->cached_head - tail) < (int64_t)n)` */
						chead = head; /* C: runtime/include/vanity/ring.h:632 `rx->st->cached_head = vn_load_acquire(&rx->ring->head);` */
						avail = (chead - tl) & IMASK;
						avail = (NEG(avail) -> 0 : avail) /* C: runtime/include/vanity/ring.h:634 `? (uint32_t)(rx->st->cached_head - tail) : 0` */
					:: else
					fi
#else
					if
					:: avail < want -> chead = head; avail = (chead - tl) & IMASK
					:: else
					fi
#endif
				fi
#endif
			};
#ifdef SEQ
			/* a burst that head gives nothing goes by the words (vn_rx_sealed),
			 * as vn_wait does: one word a step, at most `want` */
			if
			:: want > 1 && avail == 0 -> /* C: runtime/include/vanity/ring.h:638 `if (avail == 0)` */
				atomic { avail = (word[tl & MASK] == ((tl + 1) & IMASK)) }; /* C: runtime/include/vanity/ring.h:639 `avail = vn_rx_sealed(rx, tail, n)` */
				if
				:: avail == 1 ->
					atomic { avail = avail + (word[(tl + 1) & MASK] == ((tl + 2) & IMASK)) } /* C: runtime/include/vanity/ring.h:526 `vn_load_acquire(vn_ring_seq(rx->slots, rx->mask, VN_EP_STRIDE(rx), tail + n)) ==` */
				:: else
				fi
			:: else
			fi;
			atomic { n = (want < avail -> want : avail); k = 0 }; /* C: runtime/include/vanity/ring.h:646 `n = avail` */
#endif
			if
			:: avail > 0 ->
				do /* each message is the next one, in order, once */
				:: atomic { k < n -> v = slot[(tl + k) & MASK]; assert(v == delivered + k); k++ } /* C: runtime/include/vanity/ring.h:618 `memcpy(msg, slot, size)` */
				:: else -> break
				od;
				rx_publish() /* C: runtime/include/vanity/ring.h:619 `vn_rx_release(rx)` */
			:: else -> rx_wait()
			fi
		od
	   } unless {
		kill_c ->
		atomic {
			if :: req_p -> req_p = 0; DELIVER_P :: else fi; /* C: runtime/arch/hosted/kernel/fault.c:121 `hk_collect(h, s->cfg->core)` */
			req_p = 0;
			pend_c = 0; /* C: runtime/core/fault.c:67 `s->pending = 0` */
			waiting_c = 0; /* C: runtime/core/fault.c:70 `s->waiting = false` */
			blocked_c = 0;
			FLUSH_TAIL; FLUSH_RXS;
			tl = 0; chead = 0; avail = 0; v = 0; r = 0;
			want = 0; n = 0; k = 0;
			kill_c = false
		}
	   }
	od
}

/* ------------------------------------------------------------------ kernel */

/* The cores that collect posted notifications (hosted: core.c:hk_collect). */
proctype Kernel()
{
end_idle:
	do
	:: atomic { req_c -> req_c = 0; DELIVER_C } /* C: runtime/core/notify.c:58 `peer->pending |= UINT64_C(1) << bit` */
	:: atomic { req_p -> req_p = 0; DELIVER_P }
	od
}

/* The watchdog, or any fault, stops a shard wherever it is (port.h:
 * port_shard_stop "stop s now, wherever it is"). */
proctype Faults()
{
end_idle:
	do
	:: atomic { kills_p > 0 && !p_done && !kill_p -> kills_p--; kill_p = true }
	:: atomic { kills_c > 0 && !kill_c -> kills_c--; kill_c = true }
	od
}

#ifdef WEAK
/* Store buffers drain on their own, at any time. */
proctype Drain()
{
end_idle:
	do
	:: atomic { head_sb -> FLUSH_HEAD }
	:: atomic { tail_sb -> FLUSH_TAIL }
	:: atomic { rxs_sb -> FLUSH_RXS }
	:: atomic { txs_sb -> FLUSH_TXS }
#ifdef SEQ
	:: atomic { word_sb[0] -> FLUSH_WORD(0) }
	:: atomic { word_sb[1] -> FLUSH_WORD(1) }
#endif
	od
}
#endif

/* No lost wake-up: when nothing can move any more, all is delivered. */
proctype Quiet()
{
	timeout ->
	assert(p_done && delivered == NMSG && head == tail)
}

init
{
	atomic {
		slot[0] = NOMSG;
		slot[1] = NOMSG;
#ifdef SEQ
		/* words never written, or the lap before START's */
		if
		:: word[0] = NOSEQ; word[1] = NOSEQ
		:: word[(START - 2) & MASK] = (START - 1) & IMASK; word[(START - 1) & MASK] = START & IMASK
		fi;
#endif
		run Producer();
		run Consumer();
		run Kernel();
		run Faults();
#ifdef WEAK
		run Drain();
#endif
#ifndef NO_WAKEUP_CHECK
		run Quiet()
#endif
	}
}
