/*
 * uart.c - the console: the PL011 of QEMU virt at 0x09000000, polled.
 * Kernel messages are "vanity: ..." lines, shard logs "[name] text" lines,
 * as on hosted. Lines are written whole under the kernel lock, so lines
 * from different CPUs never interleave.
 */
#include <stdarg.h>
#include <stdio.h>

#include "a64.h"

#define UART 0x09000000ul
#define UART_DR 0x000
#define UART_FR 0x018
#define FR_TXFF (1u << 5)

static void putc_raw(char c)
{
	while (*(volatile uint32_t *)(uintptr_t)(UART + UART_FR) & FR_TXFF)
		;
	*(volatile uint32_t *)(uintptr_t)(UART + UART_DR) = (uint8_t)c;
}

void a64_puts(const char *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			putc_raw('\r');
		putc_raw(s[i]);
	}
}

void a64_msg(const char *fmt, ...)
{
	char line[320];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n] = '\n';
	a64_puts("vanity: ", 8);
	a64_puts(line, (uint32_t)n + 1);
}

/* Copy first (the page is the shard's), then print line by line, with
 * anything unprintable shown as '?'. */
void port_shard_log(struct vn_shard *s, uint32_t len)
{
	const struct a64_ctl *ctl =
		(const struct a64_ctl *)(uintptr_t)a64_layout[s->cfg->id].ctl;
	char text[VN_LOG_MAX];
	const char *name = s->cfg->name;
	uint32_t start = 0, nlen = 0;

	while (name[nlen])
		nlen++;
	for (uint32_t i = 0; i < len; i++) {
		char c = ((const volatile char *)ctl->log)[i];

		text[i] = ((c < ' ' && c != '\n' && c != '\t') || c == 0x7f) ? '?' : c;
	}
	for (uint32_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (i > start || len == 0) {
			a64_puts("[", 1);
			a64_puts(name, nlen);
			a64_puts(i > start ? "] " : "]", i > start ? 2 : 1);
			a64_puts(text + start, i - start);
			a64_puts("\n", 1);
		}
		start = i + 1;
	}
}
