/*
 * dev.h - the hosted simulator's device models.
 *
 * The simulator has no device memory. A shard reaches its device through
 * the generated register accessors, which on hosted make one MMIO call per
 * access (vanity/mmio.h). The kernel checks that the address lies in a
 * window of a device the caller owns (vn_device_at) and hands the access to
 * the device's model, chosen at boot by the device's compatible string.
 *
 * A model is a plain state machine: read, write, and the level of its
 * interrupt line. A model that moves data on its own (virtio-net) also has
 * a worker thread (start), reads and writes its owner's heap as DMA
 * (hk_dma: the heap is shared with the kernel for such an owner, and
 * nothing outside it is reachable, like an IOMMU), and raises its line from
 * that thread (hk_dev_raise). The framework (devices.c) turns a raised, unmasked line
 * into the owner's notification exactly as a bare-metal port does with the
 * interrupt controller: masked when it fires, unmasked by IRQ_ACK. Models
 * that keep time say when they next need a look (next_event); one device
 * thread sleeps until then, or until the kernel's standard input has bytes
 * for the console UART.
 *
 * A worker polling beside a polling owner would cost a second host CPU for
 * one device. So while the owner holds its core or waits for it, its core's
 * thread serves the device instead (serve), each time a shard of that core
 * enters the kernel, and the worker leaves it alone. The worker takes it
 * back when the owner sleeps, or runs HK_HOLD_NS without entering; its
 * interrupts then wake the owner.
 *
 * Everything here runs under hk_lock, except a worker thread, serve (from a
 * core's thread, with or without the lock) and what they call (hk_dma,
 * hk_dev_raise), which take the locks they need.
 */
#ifndef VN_HK_DEV_H
#define VN_HK_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include <vanity/config.h>

#define HK_RX_FIFO 32u /* bytes of input a console UART holds */

struct hk_dev;
struct vn_shard;

struct hk_model {
	const char *compatible;
	bool console; /* a UART: gets the kernel's standard input and output */
	bool dma;     /* reads and writes its owner's heap */
	void (*reset)(struct hk_dev *d); /* at boot, and when its owner restarts */
	int (*start)(struct hk_dev *d);  /* after boot's resets; may be NULL */
	uint64_t (*read)(struct hk_dev *d, uint64_t off, uint32_t bytes);
	void (*write)(struct hk_dev *d, uint64_t off, uint32_t bytes, uint64_t value);
	bool (*irq_level)(struct hk_dev *d, uint64_t now);
	uint64_t (*next_event)(struct hk_dev *d); /* VN_NEVER: none; may be NULL */
	void (*end)(struct hk_dev *d);   /* the system is over; may be NULL */
	void (*stats)(struct hk_dev *d); /* VANITY_STATS=1, after end; may be NULL */
	/* mine: the owner's core thread (unlocked) serves the device now and
	 * will again, so the model's worker leaves it alone; !mine: the core
	 * lets it go, and the worker takes it back. May be NULL. */
	void (*serve)(struct hk_dev *d, bool mine);
};

struct hk_dev {
	const struct vn_kdevice *kd;
	const struct hk_model *model;
	bool masked;    /* the interrupt fired and is not acknowledged yet */
	bool input;     /* this UART owns the kernel's standard input */
	/* Its owner's core thread's own: */
	bool active;        /* the owner holds its core or waits for it */
	bool served;        /* the core serves it, not the model's worker */
	uint64_t served_at; /* port_now() of the core's last look */
	uint8_t rx[HK_RX_FIFO];
	uint32_t rx_head, rx_count;
	uint64_t r[16]; /* the model's registers, its own layout */
	void *priv;     /* a bigger model's own state */
};

/* devices.c: for the models */
int hk_rx_pop(struct hk_dev *d);   /* next input byte, or -1 */
void hk_tx_put(struct hk_dev *d, uint8_t c);
void hk_dev_changed(void);         /* a deadline or the FIFO changed */
/* NULL: neither the owner's heap nor a pool it maps (for writing, read-write) */
void *hk_dma(struct hk_dev *d, uint64_t addr, uint64_t len, bool write);
/* NULL: not in the owner's heap, where a device's rings must lie */
void *hk_dma_ring(struct hk_dev *d, uint64_t addr, uint64_t len);
void hk_dev_raise(struct hk_dev *d); /* from a worker: the line may have risen */
const char *hk_dev_option(const char *device); /* --net DEVICE=VALUE, or NULL */

extern const struct hk_model hk_pl011, hk_ns16550, hk_pl031, hk_virtio_net;

/* devices.c: for the rest of the kernel */
int hk_dev_set_option(const char *arg); /* "DEVICE=VALUE" from the command line */
int hk_devices_prepare(void);           /* before the shards start: models, DMA heaps */
int hk_devices_start(void);             /* after: workers, the device thread */
void hk_devices_restart(uint32_t shard); /* before a shard restarts */
int hk_mmio(struct vn_shard *s, uint32_t here, uint64_t a0, uint64_t value, uint64_t *out,
	    char *why, unsigned why_len);
void hk_devices_end(void);              /* safe after any boot failure */
void hk_devices_stats(void);            /* each model's stats, after hk_devices_end */
void hk_devices_serve(uint32_t core, bool entered); /* core's thread, unlocked */
uint64_t hk_devices_settle(uint32_t core);          /* core's thread, locked */

#endif /* VN_HK_DEV_H */
