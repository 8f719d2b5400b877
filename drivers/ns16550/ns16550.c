/*
 * ns16550.c - drivers/uart.h for the 16550A (qemu-virt-riscv64's UART, and
 * the hosted simulator's "ns16550a"), on the register accessors generated
 * from ns16550.yaml.
 *
 * OpenSBI has set the baud rate, and the kernel prints its own messages on
 * this UART too (polling LSR.THRE, writing THR), so the driver leaves the
 * divisor latch alone and never stops the transmitter.
 */
#include <vanity_shard.h>

/* Compiled only into a shard that owns a device with this register map. */
#ifdef VANITY_REGMAP_NS16550_H

#include "../uart.h"

/* A byte that came with one of these is line noise, not a character. */
#define NS16550_RX_ERRORS (NS16550_LSR_PE_MASK | NS16550_LSR_FE_MASK | NS16550_LSR_BI_MASK)

void uart_init(uintptr_t base)
{
	ns16550_ier_write(base, 0);
	/* DLAB 0: offsets 0 and 1 are the data and IER again, not the divisor. */
	ns16550_lcr_write(base, ns16550_lcr_wls_prep(NS16550_LCR_WLS_BITS8));
	/*
	 * FIFOs on with an interrupt from the first byte; drop what came in
	 * before anyone listened. The transmit FIFO is not cleared: it may
	 * hold the kernel's last characters.
	 */
	ns16550_iir_fcr_write(base, NS16550_IIR_FCR_FIFOE_MASK | NS16550_IIR_FCR_RFIFOR_MASK |
				    ns16550_iir_fcr_rxtrig_prep(NS16550_IIR_FCR_RXTRIG_BYTES1));
	/* OUT2 gates the interrupt line on PC-style boards; harmless elsewhere. */
	ns16550_mcr_write(base, NS16550_MCR_DTR_MASK | NS16550_MCR_RTS_MASK |
				NS16550_MCR_OUT2_MASK);
}

/* The 16550 has no "transmit FIFO full" flag: wait until it is empty. */
void uart_putc(uintptr_t base, char c)
{
	while (!(ns16550_lsr_read(base) & NS16550_LSR_THRE_MASK))
		;
	ns16550_rbr_thr_write(base, ns16550_rbr_thr_data_prep((uint8_t)c));
}

/* LSR's error bits describe the byte at the head of the receive FIFO. */
int uart_getc(uintptr_t base)
{
	for (;;) {
		uint8_t lsr = ns16550_lsr_read(base);
		uint8_t c;

		if (!(lsr & NS16550_LSR_DR_MASK))
			return -1;
		c = ns16550_rbr_thr_data_get(ns16550_rbr_thr_read(base));
		if (!(lsr & NS16550_RX_ERRORS))
			return c;
	}
}

/* Received data available, and the character timeout that comes with it. */
void uart_rx_irq_enable(uintptr_t base)
{
	ns16550_ier_modify(base, NS16550_IER_ERBFI_MASK, NS16550_IER_ERBFI_MASK);
}

/*
 * The received-data causes clear as uart_getc drains the FIFO, a line
 * status cause as it reads LSR; reading IIR clears a transmitter-empty one.
 */
void uart_irq_clear(uintptr_t base)
{
	(void)ns16550_iir_fcr_read(base);
}

#endif /* VANITY_REGMAP_NS16550_H */
