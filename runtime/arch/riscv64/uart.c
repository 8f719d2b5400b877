/*
 * uart.c - the console: the NS16550A of QEMU virt at 0x10000000, polled
 * (OpenSBI has set it up and printed its banner on it first).
 * Kernel messages ("vanity: ...") and shard logs ("[name] text") are
 * formatted by the shared runtime/freestanding/kernel/kconsole.c.
 */
#include <stdbool.h>

#include "board.h"
#include "kconsole.h"

#define UART VN_BOARD_CONSOLE_BASE
#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE (1u << 5)

/* A shard may own the console's UART, and can leave it unable to send
 * (transmit disabled, flow control held): then a byte gives up after
 * TX_SPINS looks, and the bytes after it are dropped at once until the
 * UART takes one again, so the kernel's prints, under the console lock,
 * never wait for good. */
#define TX_SPINS (1u << 20)
static bool wedged;

static bool tx_full(void)
{
	return !(*(volatile uint8_t *)(uintptr_t)(UART + UART_LSR) & LSR_THRE);
}

void port_console_putc(char c)
{
	for (uint32_t spins = 0; tx_full(); spins++)
		if (wedged || spins == TX_SPINS) {
			wedged = true;
			return;
		}
	wedged = false;
	*(volatile uint8_t *)(uintptr_t)(UART + UART_THR) = (uint8_t)c;
}
