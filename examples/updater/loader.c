/*
 * loader: receives reload images over the UART and hands them to the
 * kernel (vn_reload). The protocol is lines of text:
 *
 *   load N      N bytes of image follow, in hex (whitespace is skipped)
 *   quit        end the system
 *
 * The image goes to the loader's heap as it arrives, LOADER_OFFSET bytes
 * in (0 unless -DLOADER_OFFSET=K says otherwise: the kernel takes an
 * image at any address, aligned or not); the kernel reads it from there,
 * checks all of it (its SHA-256, its ISA, board and size, the app's
 * interface) and either swaps the new app in or says why not.
 */
#include <vanity_shard.h>

#include "../../drivers/uart.h"

#if !defined(VANITY_REGMAP_PL011_H) && !defined(VANITY_REGMAP_NS16550_H)
#error "the loader's UART has no driver here: its register map is neither pl011 nor ns16550"
#endif

#define UART VN_DEVICE_UART_BASE

#ifndef LOADER_OFFSET
#define LOADER_OFFSET 0
#endif

static char line[64];
static size_t line_len;
static uint8_t *image;     /* the heap */
static size_t room, want, have;
static int nibble = -1;    /* the high half of a byte in hex, or -1 */

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void loaded(void)
{
	int st = vn_reload(VN_RELOAD_APP, image, have);

	if (st < 0)
		vn_log("app image of %zu bytes: not allowed (%d)", have, st);
	else
		vn_log("app image of %zu bytes: %s", have, vn_reload_why((uint32_t)st));
	want = 0;
}

static void command(void)
{
	unsigned long n = 0;
	const char *p = line + 5;

	line[line_len] = '\0';
	line_len = 0;
	if (!strcmp(line, "quit"))
		vn_halt(0);
	if (strncmp(line, "load ", 5) != 0) {
		if (line[0])
			vn_log("unknown command '%s': load N, or quit", line);
		return;
	}
	while (*p >= '0' && *p <= '9')
		n = n * 10 + (unsigned long)(*p++ - '0');
	if (*p || n == 0 || n > room) {
		vn_log("load %s: give a size from 1 to %zu bytes", line + 5, room);
		return;
	}
	want = n;
	have = 0;
	nibble = -1;
}

static void byte(char c)
{
	int v;

	if (!want) {
		if (c == '\r' || c == '\n')
			command();
		else if (line_len < sizeof(line) - 1)
			line[line_len++] = c;
		return;
	}
	if ((v = hex(c)) < 0)
		return; /* whitespace and line ends between the digits */
	if (nibble < 0) {
		nibble = v;
		return;
	}
	image[have++] = (uint8_t)(nibble << 4 | v);
	nibble = -1;
	if (have == want)
		loaded();
}

void vn_main(void)
{
	image = (uint8_t *)vn_heap(&room) + LOADER_OFFSET;
	room -= LOADER_OFFSET;
	uart_init(UART);
	uart_rx_irq_enable(UART);
	vn_log("ready for images of up to %zu bytes", room);
	for (;;) {
		int c;

		if (!(vn_wait(VN_FOREVER) & VN_NOTIFY_UART))
			continue;
		uart_irq_clear(UART);
		while ((c = uart_getc(UART)) >= 0)
			byte((char)c);
		vn_irq_ack(VN_NOTIFY_UART);
	}
}
