/*
 * kconsole.c - the console lines every bare-metal kernel prints the same
 * way (kconsole.h), on top of the port's console UART.
 */
#include <stdarg.h>
#include <stdio.h>

#include "bm.h"
#include "kconsole.h"

/* A byte waits for room in the UART at most TX_WAIT_MS. A shard may own
 * the console's UART and leave it unable to send (transmit disabled, flow
 * control held); on QEMU the host takes the bytes, and can fall behind
 * (`vanity run`, held up on a loaded host or behind a reader of its own
 * that stopped, a pager). Either way the kernel's prints, under the
 * console lock and at times the kernel lock, never wait for good: a byte
 * that found no room for that long is dropped, with the rest of its line,
 * and so is every line after it whose first byte finds none at once, until
 * the UART takes one again. A line is out whole or cut short, never joined
 * to another's end. Nothing is lost unsaid: the first line to begin once
 * the UART has room again is "vanity: console: N bytes not written: ...",
 * on a line of its own, as a hosted kernel says how many lines it could
 * not write (hosted/kernel/console.c). The lines that end the system
 * (vn_kconsole_last) wait for room up to LAST_WAIT_MS instead, once: after
 * that long in vain, the UART is taken for dead. They say a count still
 * owed first: they are its last word.
 * All of this state is the console lock's. */
#define TX_WAIT_MS 100u
#define LAST_WAIT_MS 10000u
static bool last;            /* the system ends: vn_kconsole_last */
static bool wedged;          /* a byte waited in vain, and none went out since */
static bool cut;             /* a byte of this line was dropped: so is the rest */
static bool at_start = true; /* the last byte, out or dropped, ended a line */
static bool mid_line;        /* the last byte out ended no line */
static bool noting;          /* a count is being printed: its own line starts hold none */
static uint64_t dropped;     /* bytes, since the last note of them */

static void console_write(const char *s, uint32_t n);

/* Where a line begins: the count of the bytes dropped, if any, on a line
 * of its own, ending a line that was cut short. Not while the UART is
 * still wedged (but at the system's end): the count's own bytes would be
 * dropped at once, and counted. Those of its bytes that are dropped are
 * said at the next line's start, not within it. */
static void dropped_note(void)
{
	char note[128];
	int n;

	if (noting || !dropped || (!last && wedged && port_console_tx_full()))
		return;
	n = snprintf(note, sizeof(note), "%svanity: console: %llu byte%s not written: "
		     "the UART had no room for %s\n", mid_line ? "\n" : "",
		     (unsigned long long)dropped, dropped == 1 ? "" : "s",
		     dropped == 1 ? "it" : "them");
	dropped = 0; /* the note's own bytes, if dropped, count again */
	noting = true;
	console_write(note, (uint32_t)n);
	noting = false;
}

static bool tx_room(void)
{
	uint64_t until;

	if (!port_console_tx_full())
		return true;
	if (wedged)
		return false;
	until = arch_ticks() + arch_tick_hz() / 1000u * (last ? LAST_WAIT_MS : TX_WAIT_MS);
	while (port_console_tx_full())
		if ((int64_t)(arch_ticks() - until) >= 0) {
			wedged = true;
			return false;
		}
	return true;
}

static void console_putc(char c)
{
	if (at_start)
		dropped_note();
	at_start = c == '\n';
	if (cut || !tx_room()) {
		dropped++;
		cut = !at_start;
		return;
	}
	wedged = false;
	port_console_tx((uint8_t)c);
	mid_line = !at_start;
}

/* n bytes out, each line ending "\r\n" as a terminal wants it. Out of
 * line: eleven calls, none of them hot. */
static __attribute__((noinline)) void console_write(const char *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			console_putc('\r');
		console_putc(s[i]);
	}
}

/* The console's own lock: a shard's log line is printed without the kernel
 * lock (run.c: port_shard_log), a kernel message with it, and neither may
 * cut into another's line. Taken after the kernel lock, never before it.
 * Held with the running shard's own devices in reach (arch_user_begin): the
 * console's UART may be its device (a console driver). It holds the number
 * of the CPU that holds it, plus one: a kernel panic in that CPU's own
 * printing (a fault there is one) takes the lock over, where waiting for
 * it would end the system at QEMU's timeout with no word of why. A panic
 * is the only way back in (no fault fixup prints), and the frame it cut
 * short never resumes. */
static uint32_t console_busy;

static uint64_t console_lock(void)
{
	uint32_t me = arch_cpu() + 1, free = 0;

	if (__atomic_load_n(&console_busy, __ATOMIC_RELAXED) != me)
		while (!__atomic_compare_exchange_n(&console_busy, &free, me, false,
						    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			while (__atomic_load_n(&console_busy, __ATOMIC_RELAXED))
				;
			free = 0;
		}
	return arch_user_begin();
}

static void console_unlock(uint64_t was)
{
	arch_user_end(was);
	__atomic_store_n(&console_busy, 0, __ATOMIC_RELEASE);
}

void vn_kconsole_last(void)
{
	uint64_t was = console_lock();

	last = true;
	wedged = false;
	noting = false; /* a panic in a count's printing */
	if (cut) { /* the count ends the line, and says what it lost */
		cut = false;
		at_start = true;
	} else if (!at_start) { /* a panic cut a line of ours short: end it */
		console_write("\n", 1);
	}
	dropped_note();
	console_unlock(was);
}

/* fmt's text into line (size bytes), cut to fit, a '\n' after it: its
 * length with the '\n', or 0 if there is none. */
static uint32_t format(char *line, uint32_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(line, size - 1, fmt, ap);

	if (n < 0)
		return 0;
	if (n > (int)size - 2)
		n = (int)size - 2;
	line[n] = '\n';
	return (uint32_t)n + 1;
}

/* The lines vn_kmsg_later keeps, each CPU's own: only that CPU writes
 * them (under the kernel lock) and prints them. A reload's line, with a
 * 63-character name and the longest reason, is under 200 bytes. */
#define LATER 4u
#define LATER_LINE 256u
uint32_t bm_kmsg_later[ARCH_MAX_CPUS];
static struct {
	uint32_t len[LATER];
	char line[LATER][LATER_LINE];
} later[ARCH_MAX_CPUS];

/* Under the console lock: cpu's kept lines, taken first (a fault while
 * printing them, a panic, does not print them again). */
static void kept_out(uint32_t cpu)
{
	uint32_t n = bm_kmsg_later[cpu];

	__atomic_store_n(&bm_kmsg_later[cpu], 0, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < n; i++)
		if (later[cpu].len[i]) {
			console_write("vanity: ", 8);
			console_write(later[cpu].line[i], later[cpu].len[i]);
		}
}

/* The line goes out after the lines this CPU kept, so that they stay in
 * the order they were said. */
void vn_kmsg(const char *fmt, ...)
{
	char line[320];
	uint64_t was;
	uint32_t n;
	va_list ap;

	va_start(ap, fmt);
	n = format(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!n)
		return;
	was = console_lock();
	kept_out(arch_cpu());
	console_write("vanity: ", 8);
	console_write(line, n);
	console_unlock(was);
}

/* With LATER lines kept already, those are printed at once (under the
 * lock, as vn_kmsg's are) to make room. */
void vn_kmsg_later(const char *fmt, ...)
{
	uint32_t cpu = arch_cpu(), i;
	va_list ap;

	if (bm_kmsg_later[cpu] == LATER)
		bm_kmsg_flush_now(cpu);
	i = bm_kmsg_later[cpu];
	va_start(ap, fmt);
	later[cpu].len[i] = format(later[cpu].line[i], LATER_LINE, fmt, ap);
	va_end(ap);
	bm_kmsg_later[cpu] = i + 1;
}

void bm_kmsg_flush_now(uint32_t cpu)
{
	uint64_t was = console_lock();

	kept_out(cpu);
	console_unlock(was);
}

/* Under the lock, at the system's end: this CPU's lines, then the other
 * CPUs', which they are printing now (bm_unlock): a CPU that took its
 * lines holds the console lock until they are out, and the end's own
 * line waits for it. */
void bm_kmsg_flush_all(void)
{
	bm_kmsg_flush(arch_cpu());
	for (uint32_t cpu = 0; cpu < ARCH_MAX_CPUS; cpu++)
		while (__atomic_load_n(&bm_kmsg_later[cpu], __ATOMIC_ACQUIRE))
			arch_relax();
}

void vn_kshard_log(const char *name, const volatile char *log, uint32_t len)
{
	char text[VN_LOG_MAX];
	uint32_t start = 0, nlen = 0;
	uint64_t was;

	while (name[nlen])
		nlen++;
	for (uint32_t i = 0; i < len && i < VN_LOG_MAX; i++)
		text[i] = vn_log_char(log[i]);
	if (len > VN_LOG_MAX)
		len = VN_LOG_MAX;
	was = console_lock();
	for (uint32_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (i > start || len == 0) {
			console_write("[", 1);
			console_write(name, nlen);
			console_write(i > start ? "] " : "]", i > start ? 2 : 1);
			console_write(text + start, i - start);
			console_write("\n", 1);
		}
		start = i + 1;
	}
	console_unlock(was);
}

/* vn_system_stuck(): say so once, naming the sleepers. The board idles on:
 * QEMU's timeout or the user ends it, but no longer without a word. */
void vn_kreport_stuck(const struct vn_kernel *k)
{
	static bool said;
	char names[256] = "";
	int n = 0;

	if (said)
		return;
	said = true;
	for (uint32_t i = 0; i < k->sys->n_shards && n < (int)sizeof(names); i++)
		if (vn_shard_live(&k->shard[i]))
			n += snprintf(names + n, sizeof(names) - (size_t)n, "%s'%s'", n ? ", " : "",
				      k->sys->shards[i].name);
	vn_kmsg(VN_STUCK_FMT, k->sys->name, names, vn_live_shards(k) == 1 ? "s" : "");
}
