/*
 * crashdump.c - the bare-metal side of crash dumps (runtime/core/crash.c).
 *
 * A dump leaves QEMU the way the trace dump does (obs.c): through
 * semihosting file I/O, into the host directory the semihosting command
 * line names with `vanity-dumps=DIR` (what `vanity run` passes: --dump-dir,
 * or the build directory's dumps/), as DIR/<shard>.<generation>.vdump.
 * Without that word no dump is taken. Semihosting needs no debugger and no
 * help from the host tool while the system runs; the cost is that the CPU
 * that took the fault stops in the trap while QEMU writes the file (a few
 * tens of kilobytes).
 *
 * A dead shard's registers are its saved context (bm_shard.ctx), where the
 * trap it died in saved them (a fault, or the watchdog's check at the end
 * of a trap it entered) or where it was switched out; its FP/SIMD
 * registers are saved from the CPU first if the CPU still holds them. Its
 * memory is read through the kernel's view of RAM (everything is identity
 * mapped), only inside its own regions: its image as loaded, its control
 * page and trace ring, its heap, its stack. The image hash is FNV-1a 64 of
 * the blob it ran, the .bin file beside its ELF (or the reload image's).
 */
#include <stdio.h>
#include <string.h>

#include "bm.h"
#include "kconsole.h"
#include "port.h"

#define DUMPS_ARG "vanity-dumps="

static char path[512];
static uint64_t handle;
static uint64_t view;
static const char *who;

void *port_crash_open(const struct vn_shard *s, uint32_t generation)
{
	uint32_t n;
	const char *dir = bm_cmdline_arg(DUMPS_ARG, &n);
	int len;

	if (!dir)
		return NULL;
	who = s->cfg->name;
	len = snprintf(path, sizeof(path), "%.*s/%s.%u.vdump", (int)n, dir, s->cfg->name,
		       (unsigned)generation);
	if (len < 0 || (uint32_t)len >= sizeof(path)) {
		vn_kmsg("no crash dump of shard '%s': the path is too long", who);
		return NULL;
	}
	handle = bm_sh_create(path, (uint32_t)len);
	if (handle == UINT64_MAX) {
		vn_kmsg("cannot write the crash dump of shard '%s', %s", who, path);
		return NULL;
	}
	view = arch_load_begin(); /* every shard's memory, the kernel's view */
	return &handle;
}

int port_crash_write(void *f, const void *p, uint64_t len)
{
	return bm_sh_write(f, p, len);
}

void port_crash_close(void *f, int err)
{
	arch_load_end(view);
	bm_sh_close(*(uint64_t *)f);
	if (err)
		vn_kmsg("cannot write the crash dump of shard '%s', %s", who, path);
	else
		vn_kmsg("crash dump of shard '%s': %s", who, path);
}

void port_crash_cpu(const struct vn_shard *s, struct vn_crash_cpu *c)
{
	struct bm_shard *b = bm_of(s);
	uint32_t cpu = s->cfg->core;
	const struct arch_frame *f = &b->ctx; /* the trap saved it there */

	/* its FP registers are still the CPU's */
	if (cpu < ARCH_MAX_CPUS && bm_kernel.core[cpu].current == s && bm_fp_owner[cpu] == b)
		arch_fp_save(&b->fp, f);
	arch_crash_regs(f, &b->fp, c);
	memcpy(c->cause, b->cause, sizeof(c->cause));
	c->has_addr = b->has_addr;
	c->addr = b->fault_addr;
	c->code = b->fault_code;
	/* Consumed: a later death (the watchdog's) does not inherit them. */
	b->cause[0] = '\0';
	b->has_addr = false;
	b->fault_code = 0;
}

uint64_t port_shard_copy(const struct vn_shard *s, uint64_t lo, uint64_t hi, void *buf,
			 uint64_t *at)
{
	const struct bm_layout *l = &bm_layout[s->cfg->id];
	const uint64_t own[4][2] = {
		{l->image_lo, bm_of(s)->img ? bm_of(s)->img->end : l->image_lo},
		{l->ctl, l->ctl + s->cfg->ctl_size},
		{l->heap_lo, l->heap_hi},
		{l->stack_lo, l->stack_hi},
	};

	for (uint32_t i = 0; i < 4; i++) {
		uint64_t a = lo > own[i][0] ? lo : own[i][0];
		uint64_t z = hi < own[i][1] ? hi : own[i][1];

		if (a < z) {
			memcpy(buf, (const void *)(uintptr_t)a, z - a);
			*at = a;
			return z - a;
		}
	}
	return 0;
}

/* Hashed once per blob: the one in the kernel image, or a reload's (its
 * hash is forgotten when another blob runs: reload.c). */
uint64_t port_shard_image_hash(const struct vn_shard *s)
{
	struct bm_shard *b = bm_of(s);
	uint64_t h = 0xcbf29ce484222325ull;
	uint64_t view;

	if (b->image_hash)
		return b->image_hash;
	view = arch_load_begin(); /* a reload slot is the kernel's RAM */
	for (const uint8_t *p = b->blob; p < b->blob + b->blob_len; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	arch_load_end(view);
	return b->image_hash = h;
}
