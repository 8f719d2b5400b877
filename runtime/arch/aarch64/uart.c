/*
 * uart.c - the console: the PL011 of QEMU virt at 0x09000000, polled.
 * Kernel messages ("vanity: ...") and shard logs ("[name] text") are
 * formatted, and a UART that never has room given up on, by the shared
 * runtime/freestanding/kernel/kconsole.c.
 */
#include <stdbool.h>

#include "board.h"
#include "kconsole.h"

#define UART VN_BOARD_CONSOLE_BASE
#define UART_DR 0x000
#define UART_FR 0x018
#define FR_TXFF (1u << 5)

bool port_console_tx_full(void)
{
	return *(volatile uint32_t *)(uintptr_t)(UART + UART_FR) & FR_TXFF;
}

void port_console_tx(uint8_t c)
{
	*(volatile uint32_t *)(uintptr_t)(UART + UART_DR) = c;
}
