/*
 * fault.c - a shard's fault, in words, and what its policy made of it.
 *
 * The report names the shard and the trap cause (scause) in words; for a
 * page fault, why, found by walking the shard's own table (not mapped, or
 * mapped but kernel only, not writable, not executable) and the level the
 * walk stopped at; the faulting address (stval) when there is one; the pc
 * (sepc) and every register. Then the shard's on_fault policy applies
 * (bm_fault) with the signal a hosted shard would have died of
 * (docs/aarch64.md has the same table).
 */
#include <stdio.h>
#include <string.h>

#include "rv64.h"
#include "kconsole.h"
#include "port.h"

#define C_IMISALIGN 0
#define C_IACCESS 1
#define C_ILLEGAL 2
#define C_BREAK 3
#define C_LMISALIGN 4
#define C_LACCESS 5
#define C_SMISALIGN 6
#define C_SACCESS 7
#define C_IPAGE 12
#define C_LPAGE 13
#define C_SPAGE 15

static const char *cause_name(uint64_t c)
{
	switch (c) {
	case C_IMISALIGN: return "instruction address misaligned";
	case C_IACCESS: return "instruction access fault";
	case C_ILLEGAL: return "illegal instruction";
	case C_BREAK: return "breakpoint";
	case C_LMISALIGN: return "load address misaligned";
	case C_LACCESS: return "load access fault";
	case C_SMISALIGN: return "store/AMO address misaligned";
	case C_SACCESS: return "store/AMO access fault";
	case C_IPAGE: return "instruction page fault";
	case C_LPAGE: return "load page fault";
	case C_SPAGE: return "store/AMO page fault";
	default: return "exception";
	}
}

/* 0 read, 1 write, 2 execute; -1 for a cause without an address. */
static int access_of(uint64_t c)
{
	switch (c) {
	case C_IMISALIGN: case C_IACCESS: case C_IPAGE: return 2;
	case C_LMISALIGN: case C_LACCESS: case C_LPAGE: return 0;
	case C_SMISALIGN: case C_SACCESS: case C_SPAGE: return 1;
	default: return -1;
	}
}

static int signal_of(uint64_t c, bool aborted)
{
	switch (c) {
	case C_IMISALIGN: case C_LMISALIGN: case C_SMISALIGN: return BM_SIGBUS;
	case C_IACCESS: case C_LACCESS: case C_SACCESS:
	case C_IPAGE: case C_LPAGE: case C_SPAGE: return BM_SIGSEGV;
	case C_BREAK: return aborted ? BM_SIGABRT : BM_SIGTRAP;
	default: return BM_SIGILL;
	}
}

static const char *const reg_names[32] = {
	"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2",
	"a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
	"s10", "s11", "t3", "t4", "t5", "t6"};

static void dump(const struct arch_frame *f, uint64_t scause, uint64_t stval)
{
	for (int i = 1; i < 29; i += 4)
		vn_kmsg("  %-3s 0x%016llx  %-3s 0x%016llx  %-3s 0x%016llx  %-3s 0x%016llx",
			 reg_names[i], (unsigned long long)f->x[i], reg_names[i + 1],
			 (unsigned long long)f->x[i + 1], reg_names[i + 2],
			 (unsigned long long)f->x[i + 2], reg_names[i + 3],
			 (unsigned long long)f->x[i + 3]);
	vn_kmsg("  t4  0x%016llx  t5  0x%016llx  t6  0x%016llx  pc  0x%016llx",
		 (unsigned long long)f->x[29], (unsigned long long)f->x[30],
		 (unsigned long long)f->x[31], (unsigned long long)f->sepc);
	/* the hart's sstatus as the trap left it (the frame's is the kernel's) */
	vn_kmsg("  scause 0x%llx  stval 0x%llx  sstatus 0x%llx", (unsigned long long)scause,
		 (unsigned long long)stval, (unsigned long long)csr_read(sstatus));
}

void rv64_fault(struct vn_shard *s, const struct arch_frame *f, uint64_t scause,
		uint64_t stval)
{
	static const char *const rw[] = {"read", "write", "execute"};
	int access = access_of(scause), level;
	bool aborted = scause == C_BREAK && f->x[31] == RV64_ABORT_MARK;
	char what[96];

	what[0] = '\0';
	if (scause == C_IPAGE || scause == C_LPAGE || scause == C_SPAGE) {
		uint64_t view = arch_load_begin(); /* the tables are in no shard's space */
		const char *why =
			rv64_mmu_why(bm_of(s)->space.top, stval, (uint32_t)access, &level);

		arch_load_end(view);
		snprintf(what, sizeof(what), " (%s, level %d, %s)", why, level, rw[access]);
	} else if (access >= 0) {
		snprintf(what, sizeof(what), " (%s)", rw[access]);
	} else if (aborted) {
		snprintf(what, sizeof(what), " (abort)");
	}
	bm_of(s)->fault_code = scause;
	bm_fault_say(s, cause_name(scause), what, access >= 0, stval, f->sepc);
	dump(f, scause, stval);
	bm_fault(s, signal_of(scause, aborted));
}

/* For a crash dump: the registers as an ELF core's pr_reg (pc, then x1-x31)
 * and the F/D registers as its NT_FPREGSET (f0-f31, fcsr as a 32-bit word,
 * padded to 8). */
void arch_crash_regs(const struct arch_frame *f, const struct arch_fp *fp,
		     struct vn_crash_cpu *c)
{
	uint64_t fcsr = (uint32_t)fp->fcsr;

	c->machine = ARCH_ELF_MACHINE;
	c->n_regs = 32;
	c->regs[0] = f->sepc;
	for (uint32_t i = 1; i < 32; i++)
		c->regs[i] = f->x[i];
	c->pc = f->sepc;
	c->sp = f->x[2];
	memcpy(c->fp, fp->f, sizeof(fp->f));
	memcpy(c->fp + sizeof(fp->f), &fcsr, sizeof(fcsr));
	c->fp_len = sizeof(fp->f) + sizeof(fcsr);
}

/* A trap taken in S-mode: the device's refusal of a register access the
 * kernel made for a shard (kmmio.S) - a load or store access fault inside
 * the access - resumes at the fixup, which fails the call; anything else
 * is a kernel bug. */
void rv64_kfault(struct arch_frame *f)
{
	extern const char rv64_kmmio_start[], rv64_kmmio_end[], rv64_kmmio_fixup[];
	uint64_t cause = csr_read(scause);

	if (f->sepc >= (uintptr_t)rv64_kmmio_start && f->sepc < (uintptr_t)rv64_kmmio_end &&
	    (cause == 5 || cause == 7)) {
		f->sepc = (uintptr_t)rv64_kmmio_fixup;
		return;
	}
	rv64_panic(f);
}

/* A trap taken in S-mode is a kernel bug: say where, and end the system. */
_Noreturn void rv64_panic(struct arch_frame *f)
{
	uint64_t scause = csr_read(scause), stval = csr_read(stval);

	vn_kconsole_last();
	vn_kmsg("kernel panic on cpu %u: %s (scause %#llx) at %#llx, pc %#llx", arch_cpu(),
		 scause & CAUSE_IRQ ? "interrupt" : cause_name(scause),
		 (unsigned long long)scause, (unsigned long long)stval,
		 (unsigned long long)f->sepc);
	arch_exit(70);
}
