/*
 * uart.h - the small UART interface every UART driver in drivers/ provides
 * (pl011/pl011.c, ns16550/ns16550.c), so a shard's code does not depend on
 * which UART its board has.
 *
 * A driver runs inside the shard that owns the device: `base` is the
 * device's VN_DEVICE_<D>_BASE from the shard's header. Each driver file
 * compiles to nothing unless that header includes its register map, so a
 * shard lists every driver's source and gets the one its board's UART
 * matched (the spec's device names its UART by a list of compatibles).
 *
 * Receiving is interrupt driven:
 *
 *	uart_init(base);
 *	uart_rx_irq_enable(base);
 *	for (;;) {
 *		if (vn_wait(VN_FOREVER) & VN_NOTIFY_UART) {
 *			uart_irq_clear(base);
 *			while ((c = uart_getc(base)) >= 0)
 *				...;
 *			vn_irq_ack(VN_NOTIFY_UART);
 *		}
 *	}
 *
 * Transmitting is polled: uart_putc waits while the transmit FIFO is full.
 */
#ifndef VANITY_DRIVERS_UART_H
#define VANITY_DRIVERS_UART_H

#include <stdint.h>

/*
 * Eight data bits, no parity, one stop bit, FIFOs on, the receiver and
 * transmitter on, every interrupt off. The baud rate is left as the firmware
 * or the kernel set it: the kernel prints on the same UART.
 */
void uart_init(uintptr_t base);

/* Sends one byte; waits while the transmit FIFO is full. */
void uart_putc(uintptr_t base, char c);

/* The next received byte, or -1 when the receive FIFO is empty. */
int uart_getc(uintptr_t base);

/* Interrupt when data arrives (or sits in the FIFO a while). */
void uart_rx_irq_enable(uintptr_t base);

/*
 * Clears the interrupt causes the device latched. Call it before draining
 * the receive FIFO with uart_getc, not after: a byte that arrives during
 * the drain then raises the interrupt again instead of being cleared with
 * the others and left unnoticed in the FIFO.
 */
void uart_irq_clear(uintptr_t base);

#endif /* VANITY_DRIVERS_UART_H */
