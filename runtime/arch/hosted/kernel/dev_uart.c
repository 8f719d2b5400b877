/*
 * dev_uart.c - the simulator's UARTs: an ARM PL011 and a 16550A.
 *
 * Enough of each for a real driver (drivers/pl011, drivers/ns16550) to run
 * unchanged: data in and out, the flag and line status registers, interrupt
 * enable/mask/status, and the registers a driver programs at start (baud
 * divisors, line control), which are kept and read back but change nothing.
 * Transmit never fills: each byte goes to the kernel's standard output at
 * once. Receive is the framework's FIFO (dev.h), fed from standard input.
 * As in QEMU's models, transmit works whatever the enable bits say.
 *
 * Interrupt lines are levels computed from the state: PL011 RX while the
 * FIFO holds data (RT as well: the model has no character timer), TX always
 * (the FIFO is always empty); 16550 "data available" while the FIFO holds
 * data and "THR empty" from an enabling or a write until IIR is read.
 */
#include "dev.h"

/* ---- PL011 (ARM PrimeCell UART, TRM r1p5 section 3.3) ------------------ */

enum { P_CR, P_IMSC, P_LCR_H, P_IBRD, P_FBRD, P_IFLS };

#define PL011_RX (1u << 4)
#define PL011_TX (1u << 5)
#define PL011_RT (1u << 6)

static const uint8_t pl011_id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static void pl011_reset(struct hk_dev *d)
{
	d->r[P_CR] = 0x300;
	d->r[P_IFLS] = 0x12;
}

static uint32_t pl011_ris(struct hk_dev *d)
{
	return PL011_TX | (d->rx_count ? PL011_RX | PL011_RT : 0);
}

static uint64_t pl011_read(struct hk_dev *d, uint64_t off, uint32_t bytes)
{
	int c;

	(void)bytes;
	switch (off) {
	case 0x000: /* DR: pops the FIFO */
		c = hk_rx_pop(d);
		return c < 0 ? 0 : (uint64_t)c;
	case 0x018: /* FR: TXFE, RXFF, RXFE */
		return 0x80 | (d->rx_count == HK_RX_FIFO ? 0x40 : 0) | (d->rx_count ? 0 : 0x10);
	case 0x024: return d->r[P_IBRD];
	case 0x028: return d->r[P_FBRD];
	case 0x02c: return d->r[P_LCR_H];
	case 0x030: return d->r[P_CR];
	case 0x034: return d->r[P_IFLS];
	case 0x038: return d->r[P_IMSC];
	case 0x03c: return pl011_ris(d);
	case 0x040: return pl011_ris(d) & d->r[P_IMSC];
	}
	if (off >= 0xfe0 && off < 0x1000 && off % 4 == 0)
		return pl011_id[(off - 0xfe0) / 4];
	return 0;
}

static void pl011_write(struct hk_dev *d, uint64_t off, uint32_t bytes, uint64_t v)
{
	(void)bytes;
	switch (off) {
	case 0x000: hk_tx_put(d, (uint8_t)v); break;
	case 0x024: d->r[P_IBRD] = v & 0xffff; break;
	case 0x028: d->r[P_FBRD] = v & 0x3f; break;
	case 0x02c: d->r[P_LCR_H] = v & 0xff; break;
	case 0x030: d->r[P_CR] = v & 0xff87; break;
	case 0x034: d->r[P_IFLS] = v & 0x3f; break;
	case 0x038: d->r[P_IMSC] = v & 0x7ff; break;
	default: break; /* ICR: the lines are levels; RSR/ECR: no errors */
	}
}

static bool pl011_irq(struct hk_dev *d, uint64_t now)
{
	(void)now;
	return (pl011_ris(d) & d->r[P_IMSC]) != 0;
}

const struct hk_model hk_pl011 = {
	.compatible = "arm,pl011",
	.console = true,
	.reset = pl011_reset,
	.read = pl011_read,
	.write = pl011_write,
	.irq_level = pl011_irq,
};

/* ---- 16550A, byte registers one apart (QEMU riscv virt's "ns16550a") --- */

enum { N_IER, N_LCR, N_MCR, N_SCR, N_DLL, N_DLM, N_FCR, N_THRI };

#define LCR_DLAB 0x80
#define IER_RDA 0x01
#define IER_THRE 0x02

static void ns16550_reset(struct hk_dev *d)
{
	(void)d;
}

static uint8_t ns16550_iir(struct hk_dev *d)
{
	uint8_t fifo = d->r[N_FCR] & 1 ? 0xc0 : 0;

	if ((d->r[N_IER] & IER_RDA) && d->rx_count)
		return fifo | 0x04;
	if ((d->r[N_IER] & IER_THRE) && d->r[N_THRI])
		return fifo | 0x02;
	return fifo | 0x01;
}

static uint64_t ns16550_read(struct hk_dev *d, uint64_t off, uint32_t bytes)
{
	bool dlab = d->r[N_LCR] & LCR_DLAB;
	uint8_t iir;
	int c;

	(void)bytes;
	switch (off) {
	case 0:
		if (dlab)
			return d->r[N_DLL];
		c = hk_rx_pop(d);
		return c < 0 ? 0 : (uint64_t)c;
	case 1: return dlab ? d->r[N_DLM] : d->r[N_IER];
	case 2: /* IIR: reading it answers a THR-empty interrupt */
		iir = ns16550_iir(d);
		if ((iir & 0x0f) == 0x02)
			d->r[N_THRI] = 0;
		return iir;
	case 3: return d->r[N_LCR];
	case 4: return d->r[N_MCR];
	case 5: return 0x60 | (d->rx_count ? 0x01 : 0); /* LSR: TEMT, THRE, DR */
	case 6: return 0xb0;                            /* MSR: DCD, DSR, CTS */
	case 7: return d->r[N_SCR];
	}
	return 0;
}

static void ns16550_write(struct hk_dev *d, uint64_t off, uint32_t bytes, uint64_t v)
{
	bool dlab = d->r[N_LCR] & LCR_DLAB;

	(void)bytes;
	v &= 0xff;
	switch (off) {
	case 0:
		if (dlab) {
			d->r[N_DLL] = v;
		} else {
			hk_tx_put(d, (uint8_t)v);
			d->r[N_THRI] = 1;
		}
		break;
	case 1:
		if (dlab) {
			d->r[N_DLM] = v;
		} else {
			if ((v & IER_THRE) && !(d->r[N_IER] & IER_THRE))
				d->r[N_THRI] = 1; /* enabled with THR empty: fires */
			d->r[N_IER] = v & 0x0f;
		}
		break;
	case 2: /* FCR: bit 1 clears the receive FIFO */
		d->r[N_FCR] = v & 0xc9;
		while ((v & 2) && hk_rx_pop(d) >= 0)
			;
		break;
	case 3: d->r[N_LCR] = v; break;
	case 4: d->r[N_MCR] = v & 0x1f; break;
	case 7: d->r[N_SCR] = v; break;
	default: break;
	}
}

static bool ns16550_irq(struct hk_dev *d, uint64_t now)
{
	(void)now;
	return (ns16550_iir(d) & 1) == 0;
}

const struct hk_model hk_ns16550 = {
	.compatible = "ns16550a",
	.console = true,
	.reset = ns16550_reset,
	.read = ns16550_read,
	.write = ns16550_write,
	.irq_level = ns16550_irq,
};
