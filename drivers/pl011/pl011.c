/*
 * pl011.c - drivers/uart.h for the ARM PL011 (qemu-virt-aarch64's UART, and
 * the hosted simulator's "arm,pl011"), on the register accessors generated
 * from pl011.yaml.
 *
 * The kernel prints its own messages on this UART too, by writing DR
 * directly, so the driver never turns the UART, its transmitter or its
 * receiver off and never changes the baud rate.
 */
#include <vanity_shard.h>

/* Compiled only into a shard that owns a device with this register map. */
#ifdef VANITY_REGMAP_PL011_H

#include "../uart.h"

#define PL011_ENABLE (PL011_CR_UARTEN_MASK | PL011_CR_TXE_MASK | PL011_CR_RXE_MASK)
#define PL011_ALL_IRQS (PL011_ICR_RX_MASK | PL011_ICR_TX_MASK | PL011_ICR_RT_MASK | \
			PL011_ICR_FE_MASK | PL011_ICR_PE_MASK | PL011_ICR_BE_MASK | \
			PL011_ICR_OE_MASK)
/* A byte that came with one of these is line noise, not a character. */
#define PL011_RX_ERRORS (PL011_DR_FE_MASK | PL011_DR_PE_MASK | PL011_DR_BE_MASK)

void uart_init(uintptr_t base)
{
	pl011_imsc_write(base, 0);
	pl011_icr_write(base, PL011_ALL_IRQS);
	/*
	 * LCR_H must not change mid-character; wait for the kernel's output to
	 * leave the shift register (the UART stays enabled for the kernel).
	 */
	while (pl011_fr_read(base) & PL011_FR_BUSY_MASK)
		;
	pl011_lcr_h_write(base, pl011_lcr_h_wlen_prep(PL011_LCR_H_WLEN_BITS8) |
				PL011_LCR_H_FEN_MASK);
	/* Interrupt from the first byte on: a console wants every keystroke. */
	pl011_ifls_modify(base, PL011_IFLS_RXIFLSEL_MASK,
			  pl011_ifls_rxiflsel_prep(PL011_IFLS_RXIFLSEL_EIGHTH));
	pl011_cr_modify(base, PL011_ENABLE, PL011_ENABLE);
}

void uart_putc(uintptr_t base, char c)
{
	while (pl011_fr_read(base) & PL011_FR_TXFF_MASK)
		;
	pl011_dr_write(base, pl011_dr_data_prep((uint8_t)c));
}

int uart_getc(uintptr_t base)
{
	while (!(pl011_fr_read(base) & PL011_FR_RXFE_MASK)) {
		uint32_t dr = pl011_dr_read(base);

		if (!(dr & PL011_RX_ERRORS))
			return (int)pl011_dr_data_get(dr);
	}
	return -1;
}

/*
 * RX fires when the FIFO reaches its trigger level, RT when fewer bytes
 * than that have waited for 32 bit periods: together, every byte.
 */
void uart_rx_irq_enable(uintptr_t base)
{
	uint32_t rx = PL011_IMSC_RX_MASK | PL011_IMSC_RT_MASK;

	pl011_imsc_modify(base, rx, rx);
}

void uart_irq_clear(uintptr_t base)
{
	pl011_icr_write(base, PL011_ALL_IRQS);
}

#endif /* VANITY_REGMAP_PL011_H */
