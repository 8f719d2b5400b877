/*
 * uart.c - the console: the NS16550A of QEMU virt at 0x10000000, polled
 * (OpenSBI has set it up and printed its banner on it first).
 * Kernel messages ("vanity: ...") and shard logs ("[name] text") are
 * formatted, and a UART that never has room given up on, by the shared
 * runtime/freestanding/kernel/kconsole.c.
 */
#include <stdbool.h>

#include "board.h"
#include "kconsole.h"

#define UART VN_BOARD_CONSOLE_BASE
#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE (1u << 5)

bool port_console_tx_full(void)
{
	return !(*(volatile uint8_t *)(uintptr_t)(UART + UART_LSR) & LSR_THRE);
}

void port_console_tx(uint8_t c)
{
	*(volatile uint8_t *)(uintptr_t)(UART + UART_THR) = c;
}
