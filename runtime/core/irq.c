/*
 * irq.c - device interrupts as notifications.
 *
 * Each device of the generated table belongs to one shard and has one
 * notification bit in it. When the device's interrupt fires, the port masks
 * it and calls vn_irq_deliver(): the bit becomes pending in the owner and
 * the owner wakes, exactly like a channel notification. The interrupt stays
 * masked until the owner, having quietened the device, acknowledges the bit
 * (IRQ_ACK); only then does the port unmask it. So a level-triggered device
 * cannot storm the kernel, and an interrupt reaches no shard but its owner.
 */
#include "kernel.h"
#include "port.h"
#include "vn_sched.h"

static const struct vn_kdevice *device_of_irq(const struct vn_kernel *k, uint32_t irq)
{
	for (uint32_t i = 0; i < k->sys->n_devices; i++)
		if (k->sys->devices[i].irq == irq && irq != VN_NO_IRQ)
			return &k->sys->devices[i];
	return NULL;
}

/* The interrupting device that `shard` owns at notification bit `bit`. */
static const struct vn_kdevice *device_of_bit(const struct vn_kernel *k, uint32_t shard,
					      uint32_t bit)
{
	for (uint32_t i = 0; i < k->sys->n_devices; i++) {
		const struct vn_kdevice *d = &k->sys->devices[i];

		if (d->shard == shard && d->bit == bit && d->irq != VN_NO_IRQ)
			return d;
	}
	return NULL;
}

/* Interrupt `irq` fired on core `here`: its owner's bit becomes pending and
 * the owner wakes (its core is kicked if it is another). Returns 0, or -1
 * if no device has this interrupt (the port then leaves it alone). */
int vn_irq_deliver(struct vn_kernel *k, uint32_t irq, uint32_t here)
{
	const struct vn_kdevice *d = device_of_irq(k, irq);
	struct vn_shard *owner;

	if (!d)
		return -1;
	owner = &k->shard[d->shard];
	owner->st->irqs++;
	vn_kev_shard(k, owner, VN_KEV_IRQ, &irq, sizeof(irq));
	owner->pending |= UINT64_C(1) << d->bit;
	if (vn_sched_wake(k, owner) && owner->cfg->core != here)
		port_kick_core(owner->cfg->core);
	return 0;
}

/* IRQ_ACK: every bit must be an interrupting device of the caller, else
 * nothing is unmasked (EPERM; EINVAL for no bits at all). */
uint64_t vn_irq_ack(struct vn_kernel *k, struct vn_shard *caller, uint64_t bits)
{
	uint32_t id = caller->cfg->id;

	if (bits == 0)
		return VN_ERR(VN_EINVAL);
	for (uint32_t b = 0; b < 64; b++)
		if ((bits >> b & 1) && !device_of_bit(k, id, b))
			return VN_ERR(VN_EPERM);
	for (uint32_t b = 0; b < 64; b++)
		if ((bits >> b & 1) && port_irq_unmask(device_of_bit(k, id, b)->irq) != 0)
			return VN_ERR(VN_ENOSYS);
	vn_kev_shard(k, caller, VN_KEV_IRQ_ACK, &bits, sizeof(bits));
	return 0;
}

/* s restarts with its pending bits cleared, so it would never acknowledge
 * an interrupt that fired before its death: unmask all of its interrupts,
 * as at boot. (A port without device interrupts refuses; that is fine.) */
void vn_irq_restart(struct vn_kernel *k, struct vn_shard *s)
{
	for (uint32_t i = 0; i < k->sys->n_devices; i++) {
		const struct vn_kdevice *d = &k->sys->devices[i];

		if (d->shard == s->cfg->id && d->irq != VN_NO_IRQ)
			(void)port_irq_unmask(d->irq);
	}
}

/* The device of `s` whose window holds [addr, addr + bytes), naturally
 * aligned, or NULL: what the hosted port checks before a device model sees
 * an access (on bare metal the MMU does this). */
const struct vn_kdevice *vn_device_at(const struct vn_kernel *k, const struct vn_shard *s,
				      uint64_t addr, uint32_t bytes)
{
	if (bytes == 0 || addr % bytes)
		return NULL;
	for (uint32_t i = 0; i < k->sys->n_devices; i++) {
		const struct vn_kdevice *d = &k->sys->devices[i];

		if (d->shard == s->cfg->id && addr >= d->base && bytes <= d->size &&
		    addr - d->base <= d->size - bytes)
			return d;
	}
	return NULL;
}
