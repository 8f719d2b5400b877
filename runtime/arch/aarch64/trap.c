/*
 * trap.c - a shard's fault, in words, and what its policy made of it.
 *
 * The report names the shard, the exception class and its fault status in
 * words, the faulting address (FAR) when there is one, the pc (ELR) and
 * every register, then applies the shard's on_fault policy (bm_fault)
 * with the signal a hosted shard would have died of (SIGSEGV for a bad
 * access, SIGILL, SIGBUS, ...).
 */
#include <stdio.h>
#include <string.h>

#include "a64.h"
#include "kconsole.h"
#include "port.h"

#define EC_UNKNOWN 0x00
#define EC_FP 0x07
#define EC_IABT_EL0 0x20
#define EC_PC_ALIGN 0x22
#define EC_DABT_EL0 0x24
#define EC_SP_ALIGN 0x26
#define EC_SERROR 0x2f
#define EC_BRK 0x3c
#define BRK_ABORT 0xab /* abort() in the shard library */

static const char *ec_name(uint32_t ec)
{
	switch (ec) {
	case EC_UNKNOWN: return "undefined instruction";
	case 0x01: return "WFI/WFE trapped";
	case EC_FP: return "FP/SIMD access (fp: false)"; /* else it was switched in */
	case 0x0e: return "illegal execution state";
	case 0x15: return "system call";
	case 0x18: return "system register access";
	case EC_IABT_EL0: return "instruction abort";
	case EC_PC_ALIGN: return "pc alignment fault";
	case EC_DABT_EL0: return "data abort";
	case EC_SP_ALIGN: return "sp alignment fault";
	case 0x2c: return "floating-point exception";
	case EC_SERROR: return "SError";
	case EC_BRK: return "breakpoint";
	default: return "exception";
	}
}

static const char *fsc_name(uint32_t fsc)
{
	switch (fsc & 0x3c) {
	case 0x00: return "address size fault";
	case 0x04: return "translation fault";
	case 0x08: return "access flag fault";
	case 0x0c: return "permission fault";
	}
	if (fsc == 0x21)
		return "alignment fault";
	if (fsc == 0x10)
		return "synchronous external abort";
	return "fault";
}

/* "(translation fault, level 3, write)" for an abort, "" otherwise. */
static void detail(char *buf, uint32_t n, uint32_t ec, uint64_t esr)
{
	uint32_t fsc = esr & 0x3f;
	bool levelled = (fsc & 0x30) == 0;
	const char *rw = ec == EC_IABT_EL0 ? "execute" : (esr & (1u << 6)) ? "write" : "read";

	buf[0] = '\0';
	if ((ec == EC_IABT_EL0 || ec == EC_DABT_EL0) && levelled)
		snprintf(buf, n, " (%s, level %u, %s)", fsc_name(fsc), fsc & 3, rw);
	else if (ec == EC_IABT_EL0 || ec == EC_DABT_EL0)
		snprintf(buf, n, " (%s, %s)", fsc_name(fsc), rw);
	else if (ec == EC_BRK && (esr & 0xffff) == BRK_ABORT)
		snprintf(buf, n, " (abort)");
	else if (ec != EC_UNKNOWN && ec != EC_PC_ALIGN && ec != EC_SP_ALIGN && ec != EC_FP)
		snprintf(buf, n, " (class %#x, iss %#llx)", ec,
			 (unsigned long long)(esr & 0x1ffffff));
}

static int signal_of(uint32_t ec, uint64_t esr)
{
	switch (ec) {
	case EC_IABT_EL0:
	case EC_DABT_EL0:
		return (esr & 0x3f) == 0x21 ? BM_SIGBUS : BM_SIGSEGV;
	case EC_PC_ALIGN:
	case EC_SP_ALIGN:
	case EC_SERROR:
		return BM_SIGBUS;
	case EC_BRK:
		return (esr & 0xffff) == BRK_ABORT ? BM_SIGABRT : BM_SIGTRAP;
	case 0x2c:
		return BM_SIGFPE;
	default:
		return BM_SIGILL;
	}
}

static void dump(const struct arch_frame *f, uint64_t esr)
{
	for (int i = 0; i < 28; i += 4)
		vn_kmsg("  x%-2d 0x%016llx  x%-2d 0x%016llx  x%-2d 0x%016llx  x%-2d 0x%016llx",
			i, (unsigned long long)f->x[i], i + 1, (unsigned long long)f->x[i + 1],
			i + 2, (unsigned long long)f->x[i + 2], i + 3,
			(unsigned long long)f->x[i + 3]);
	vn_kmsg("  x28 0x%016llx  x29 0x%016llx  x30 0x%016llx  sp  0x%016llx",
		(unsigned long long)f->x[28], (unsigned long long)f->x[29],
		(unsigned long long)f->x[30], (unsigned long long)f->sp);
	vn_kmsg("  esr 0x%08llx  spsr 0x%08llx", (unsigned long long)esr,
		(unsigned long long)f->spsr);
}

/* s, the running shard of this CPU, took exception `esr` at EL0. */
void a64_fault(struct vn_shard *s, const struct arch_frame *f, uint64_t esr, uint64_t far)
{
	uint32_t ec = (uint32_t)(esr >> 26) & 0x3f;
	char what[96];

	detail(what, sizeof(what), ec, esr);
	bm_of(s)->fault_code = esr;
	bm_fault_say(s, ec_name(ec), what,
		     ec == EC_IABT_EL0 || ec == EC_DABT_EL0 || ec == EC_PC_ALIGN, far, f->elr);
	dump(f, esr);
	bm_fault(s, signal_of(ec, esr));
}

/* For a crash dump: the frame is already an ELF core's pr_reg (x0-x30, sp,
 * pc, pstate); the FP registers become its NT_FPREGSET (v0-v31, then fpsr
 * and fpcr as 32-bit words, and 8 reserved bytes). */
void arch_crash_regs(const struct arch_frame *f, const struct arch_fp *fp,
		     struct vn_crash_cpu *c)
{
	uint32_t sr[4] = {(uint32_t)fp->fpsr, (uint32_t)fp->fpcr, 0, 0};

	c->machine = ARCH_ELF_MACHINE;
	c->n_regs = 34;
	memcpy(c->regs, f, sizeof(*f));
	c->pc = f->elr;
	c->sp = f->sp;
	memcpy(c->fp, fp->v, sizeof(fp->v));
	memcpy(c->fp + sizeof(fp->v), sr, sizeof(sr));
	c->fp_len = sizeof(fp->v) + sizeof(sr);
}

/* An exception at EL1 (kind: the vector slot's): the device's refusal of a
 * register access the kernel made for a shard (kmmio.S) - a data abort at
 * EL1 or an SError, taken inside the access - resumes at the fixup, which
 * fails the call; anything else is a kernel bug. */
void a64_kfault(struct arch_frame *f, uint64_t kind)
{
	extern const char a64_kmmio_start[], a64_kmmio_end[], a64_kmmio_fixup[];
	uint64_t esr;

	__asm__ volatile("mrs %0, esr_el1" : "=r"(esr));
	if (f->elr >= (uintptr_t)a64_kmmio_start && f->elr < (uintptr_t)a64_kmmio_end &&
	    ((kind == A64_TRAP_SYNC && (esr >> 26) == 0x25) || kind == A64_TRAP_SERROR)) {
		f->elr = (uintptr_t)a64_kmmio_fixup;
		return;
	}
	a64_panic(f);
}

/* An exception at EL1 is a kernel bug: say where, and end the system. */
_Noreturn void a64_panic(struct arch_frame *f)
{
	uint64_t esr, far;

	__asm__ volatile("mrs %0, esr_el1" : "=r"(esr));
	__asm__ volatile("mrs %0, far_el1" : "=r"(far));
	vn_kconsole_last();
	vn_kmsg("kernel panic on cpu %u: %s (esr %#llx) at %#llx, pc %#llx", arch_cpu(),
		ec_name((uint32_t)(esr >> 26) & 0x3f), (unsigned long long)esr,
		(unsigned long long)far, (unsigned long long)f->elr);
	arch_exit(70);
}
