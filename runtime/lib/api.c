/*
 * api.c - the shard API calls that are one system call each, and vn_log.
 * (vn_notify, which ring.h calls, is the port's: see its shard library.)
 */
#include <stdarg.h>
#include <string.h>

#include <vanity.h>
#include <vanity/config.h>
#include <vanity/format.h>
#include <vanity/syscall.h>

#if __STDC_HOSTED__ /* on bare metal, inline (vanity.h) */
void vn_yield(void)
{
	vn_syscall(VN_SYS_YIELD, 0, 0);
}
#endif

_Noreturn void vn_exit(int status)
{
	for (;;)
		vn_syscall(VN_SYS_EXIT, (uint64_t)(unsigned)status, 0);
}

_Noreturn void vn_halt(int status)
{
	for (;;)
		vn_syscall(VN_SYS_HALT, (uint64_t)(unsigned)status, 0);
}

/* vanity/mmio.h's register access by the kernel: on hosted, the device
 * model answers; on bare metal, the kernel makes the access. One outside
 * our devices does not return: the kernel stops us as a fault. */
uint64_t vn_mmio_call(uintptr_t addr, unsigned bytes, int write, uint64_t value)
{
	return vn_syscall(VN_SYS_MMIO, (uint64_t)addr | VN_MMIO_OP(bytes, write), value);
}

int vn_irq_ack(vn_bits_t bits)
{
	uint64_t r = vn_syscall(VN_SYS_IRQ_ACK, bits, 0);

	return VN_IS_ERR(r) ? -(int)(0 - r) : 0;
}

static int peer(uint32_t channel, struct vn_peer *p)
{
	uint64_t r = vn_syscall(VN_SYS_PEER, channel, 0);

	if (VN_IS_ERR(r))
		return -(int)(0 - r);
	p->state = VN_PEER_STATE(r);
	p->generation = VN_PEER_GEN(r);
	return 0;
}

int vn_peer_rx(const struct vn_rx *rx, struct vn_peer *p)
{
	return peer(rx->channel, p);
}

int vn_peer_tx(const struct vn_tx *tx, struct vn_peer *p)
{
	return peer(tx->channel, p);
}

int vn_peer_signal(uint32_t signal, struct vn_peer *p)
{
	return peer(signal, p);
}

const char *vn_shard_name(void)
{
	return vn_self.name;
}

/* Not a hot path: formatting is fine here. Long lines are truncated. */
void vn_log(const char *fmt, ...)
{
	char *buf = vn_port_log_buf();
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vn_vformat(buf, VN_LOG_MAX, fmt, ap);
	va_end(ap);
	if (n < 0) /* a width beyond INT_MAX: the text up to it */
		n = (int)strlen(buf);
	if ((unsigned)n >= VN_LOG_MAX)
		n = VN_LOG_MAX - 1;
	vn_syscall(VN_SYS_LOG, (uint64_t)n, 0);
}

void *vn_handoff(size_t *size)
{
	if (size)
		*size = (size_t)vn_self.handoff_size;
	return vn_self.handoff ? (void *)(uintptr_t)vn_self.handoff : NULL;
}

uint32_t vn_handoff_generation(void)
{
	return (uint32_t)vn_syscall(VN_SYS_HANDOFF, 0, 0);
}

/* Returns only when no reload waits for this shard. */
int vn_reload_quiesce(void)
{
	return (int)vn_syscall(VN_SYS_QUIESCE, 0, 0);
}

/* The kernel reads the image's own header for its length: one that says
 * more than `length` is refused here, as the kernel would refuse it. */
int vn_reload(uint32_t shard, const void *image, size_t length)
{
	const struct vn_reload_hdr *h = image;

	if (!image || length < VN_RELOAD_HDR || h->length > length - VN_RELOAD_HDR)
		return VN_RELOAD_TRUNCATED;
	return (int)vn_syscall(VN_SYS_RELOAD, shard, (uint64_t)(uintptr_t)image);
}
