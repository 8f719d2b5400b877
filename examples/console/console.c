/*
 * console: the one shard that owns the UART, with its driver inside it
 * (drivers/pl011 or drivers/ns16550, whichever UART the board has). Other
 * shards print by sending it text over channels; what is typed on the UART
 * it echoes, edits (backspace) and sends to the shell a line at a time.
 *
 * It sleeps in vn_wait until a client's message or the UART's receive
 * interrupt (VN_NOTIFY_UART) wakes it, and never blocks anywhere else but
 * on the UART's transmit FIFO, so no client can stall another.
 */
#include <vanity_shard.h>

#include "../../drivers/uart.h"
#include "con.h"

#if !defined(VANITY_REGMAP_PL011_H) && !defined(VANITY_REGMAP_NS16550_H)
#error "the console's UART has no driver here: its register map is neither pl011 nor ns16550"
#endif

_Static_assert(sizeof(struct con_msg) == VN_MSG_SIZE_SHELL_IN, "slot size");

#define UART VN_DEVICE_UART_BASE
#define LINE_MAX 256

static char line[LINE_MAX]; /* the line being typed */
static size_t line_len;
static bool after_cr;

static void put(char c)
{
	if (c == '\n')
		uart_putc(UART, '\r');
	uart_putc(UART, c);
}

static void put_str(const char *s)
{
	while (*s)
		put(*s++);
}

/* Client text is shown as printable ASCII only: no client drives the terminal. */
static void print(const struct con_msg *m)
{
	unsigned n = m->len < CON_TEXT ? m->len : CON_TEXT;

	for (unsigned i = 0; i < n; i++) {
		char c = m->text[i];

		put(c >= 0x20 && c < 0x7f ? c : '?');
	}
	if (!(m->flags & CON_MORE))
		put('\n');
	if (m->flags & CON_HALT)
		vn_halt(0);
}

static void serve(const struct vn_rx *rx)
{
	struct con_msg m;

	while (vn_recv(rx, &m))
		print(&m);
}

/*
 * Hands the finished line to the shell. Waiting for room could deadlock
 * (the shell may itself wait for us to take its output), so a line that
 * does not fit whole is dropped, and said so.
 */
static void submit(void)
{
	uint32_t need = line_len ? (uint32_t)((line_len + CON_TEXT - 1) / CON_TEXT) : 1;

	line[line_len] = '\0';
	line_len = 0;
	if (vn_space(&vn_tx_shell_in) < need) {
		put_str("console: the shell is busy; line dropped\n");
		return;
	}
	con_send(&vn_tx_shell_in, line, 0); /* does not wait: there is room */
}

/* One typed byte: CR, LF or CR LF ends the line; BS or DEL erases. */
static void typed(char c)
{
	bool crlf = c == '\n' && after_cr;

	after_cr = c == '\r';
	if (crlf)
		return;
	if (c == '\r' || c == '\n') {
		put('\n');
		submit();
	} else if (c == '\b' || c == 0x7f) {
		if (line_len > 0) {
			line_len--;
			put_str("\b \b");
		}
	} else if (c >= 0x20 && c < 0x7f && line_len < LINE_MAX - 1) {
		line[line_len++] = c;
		put(c);
	}
}

/*
 * The interrupt is masked in the interrupt controller until vn_irq_ack.
 * Clear the device's cause first, then drain: a byte arriving meanwhile
 * raises the interrupt again, and fires once acknowledged.
 */
static void uart_interrupt(void)
{
	static bool reported;
	int c, err;

	uart_irq_clear(UART);
	while ((c = uart_getc(UART)) >= 0)
		typed((char)c);
	err = vn_irq_ack(VN_NOTIFY_UART);
	if (err && !reported) {
		vn_log("vn_irq_ack failed: %d", err);
		reported = true;
	}
}

void vn_main(void)
{
	uart_init(UART);
	uart_rx_irq_enable(UART);
	for (;;) {
		vn_bits_t ready = vn_wait(VN_FOREVER);

		if (ready & VN_NOTIFY_UART)
			uart_interrupt();
		serve(&vn_rx_hello_out);
		serve(&vn_rx_shell_out);
	}
}
