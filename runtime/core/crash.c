/*
 * crash.c - a faulted shard's crash dump (vanity/trace.h, "a crash dump").
 *
 * When a shard faults or its watchdog fires, vn_shard_fault() calls
 * vn_crash_record() before the shard's policy applies, while its memory and
 * its trace are still those of the life that died. The dump holds what the
 * port saw of its CPU (registers, FP/SIMD state, cause, faulting address), a
 * bounded window of its stack around sp, the memory around the faulting
 * address when it is the shard's own, its counters, its trace ring and its
 * core's kernel ring, and the hash of its image, so that a host tool can tell
 * whether the ELF it reads the dump with is the one that ran.
 *
 * The port decides whether a dump is wanted and where it goes
 * (port_crash_open): a file of the host's on every board. Nothing here
 * formats text or allocates: the buffers are static, used under the kernel
 * lock, one dump at a time.
 */
#include <string.h>

#include <vanity/clock.h>

#include "kernel.h"
#include "port.h"

static struct vn_crash_cpu cpu;
static uint8_t mem[VN_CRASH_BELOW_SP + VN_CRASH_ABOVE_SP];

static void copy_name(char *dst, uint32_t n, const char *src)
{
	uint32_t i = 0;

	for (; src && src[i] && i < n - 1; i++)
		dst[i] = src[i];
	memset(dst + i, 0, n - i);
}

/* The part of [lo, hi) that is the shard's own, as a VN_DUMP_MEM chunk. */
static int memory(struct vn_shard *s, vn_dump_write_fn *w, void *f, uint32_t which,
		  uint64_t lo, uint64_t hi)
{
	uint64_t at = 0, n;

	if (hi - lo > sizeof(mem))
		hi = lo + sizeof(mem);
	n = port_shard_copy(s, lo, hi, mem, &at);
	return n ? vn_dump_chunk(w, f, VN_DUMP_MEM, which, mem, n, at) : 0;
}

/* Shard s died of `signal` (a hosted shard's number; SIGKILL for the
 * watchdog): write its dump if the port takes one. */
void vn_crash_record(struct vn_kernel *k, struct vn_shard *s, int signal)
{
	const struct vn_kshard *cfg = s->cfg;
	struct vn_crash_rec rec = {.shard = cfg->id, .generation = s->st->generation,
				   .signal = signal, .core = cfg->core};
	struct vn_dump_hdr h = {.magic = VN_CRASH_MAGIC, .schema_hash = k->obs->schema_hash,
				.clock_hz = k->obs->clock_hz, .now = vn_clock()};
	vn_dump_write_fn *w = port_crash_write;
	uint64_t at;
	void *f = port_crash_open(s, s->st->generation);
	int err;

	if (!f)
		return;
	memset(&cpu, 0, sizeof(cpu));
	port_crash_cpu(s, &cpu);
	rec.machine = cpu.machine;
	rec.code = cpu.code;
	rec.image_hash = port_shard_image_hash(s);
	copy_name(rec.shard_name, sizeof(rec.shard_name), cfg->name);
	copy_name(rec.cause, sizeof(rec.cause), cpu.cause);
	if (cpu.n_regs) {
		rec.flags |= VN_CRASH_HAS_REGS;
		rec.pc = cpu.pc;
		rec.sp = cpu.sp;
	}
	if (cpu.has_addr) {
		rec.flags |= VN_CRASH_HAS_ADDR;
		rec.addr = cpu.addr;
	}
	if (vn_watchdog_fired(s)) {
		rec.flags |= VN_CRASH_WATCHDOG;
		copy_name(rec.cause, sizeof(rec.cause), "watchdog: held its core past its budget");
	}
	err = w(f, &h, sizeof(h));
	err |= vn_dump_chunk(w, f, VN_DUMP_CRASH, cfg->id, &rec, sizeof(rec), 0);
	if (cpu.n_regs && !err)
		err |= vn_dump_chunk(w, f, VN_DUMP_REGS, cpu.machine, cpu.regs,
				     8ull * cpu.n_regs, 0);
	if (cpu.fp_len && !err)
		err |= vn_dump_chunk(w, f, VN_DUMP_FPREGS, cpu.machine, cpu.fp, cpu.fp_len, 0);
	if (cpu.n_regs && !err) {
		uint64_t lo = cpu.sp > VN_CRASH_BELOW_SP ? cpu.sp - VN_CRASH_BELOW_SP : 0;

		err |= memory(s, w, f, VN_CRASH_MEM_STACK, lo, cpu.sp + VN_CRASH_ABOVE_SP);
	}
	at = cpu.has_addr ? cpu.addr : cpu.pc;
	if ((cpu.has_addr || cpu.n_regs) && at >= VN_CRASH_AROUND && !err)
		err |= memory(s, w, f, VN_CRASH_MEM_FAULT, (at - VN_CRASH_AROUND) & ~15ull,
			      (at + VN_CRASH_AROUND) & ~15ull);
	if (!err)
		err |= vn_dump_chunk(w, f, VN_DUMP_STATS, cfg->id, s->st, sizeof(*s->st), 0);
	if (cfg->trace_recs && !err)
		err |= vn_dump_chunk(w, f, VN_DUMP_SHARD_TRACE, cfg->id, port_shard_trace(s),
				     VN_TRACE_RING_BYTES(cfg->trace_recs),
				     cfg->ctl + VN_TRACE_OFFSET);
	if (!err)
		err |= vn_dump_chunk(w, f, VN_DUMP_CORE_TRACE, cfg->core,
				     &k->obs->core[cfg->core % VN_OBS_MAX_CORES],
				     sizeof(struct vn_core_trace), 0);
	port_crash_close(f, err);
}
