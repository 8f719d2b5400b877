/*
 * hooks.h - what a bare-metal port provides to the shared bare-metal
 * kernel (this directory), and when each piece is called.
 *
 * The shared kernel is boot (boot.c), the trap's common path and the
 * scheduler loop (run.c), the policy of what a shard's address space holds
 * (space.c) and the console lines (kconsole.c); the decisions themselves
 * are the portable core's (runtime/core). A port is one folder,
 * runtime/arch/<isa>/, holding only what is its ISA's or its board's: the
 * entry code, the trap vector with frame save and restore, FP/SIMD save and
 * restore, the page-table format, the interrupt controller, the timer, the
 * console and the way out. A port lacking a feature supplies an empty
 * inline in its arch.h; nothing here tests which port it is.
 *
 * The port's arch.h defines the types and constants:
 *   ARCH_MAX_CPUS        CPUs it can start (each gets a BM_STACK stack)
 *   ARCH_MMIO_END        device windows lie below this address
 *   ARCH_ELF_MACHINE     the ISA's ELF e_machine (a reload image's `machine`)
 *   ARCH_TRAP_SYNC       the kind of trap a system call is (bm_trap_sync)
 *   struct arch_frame    a shard's registers, as the trap entry saves them
 *   struct arch_fp       a shard's FP/SIMD registers, while the CPU holds
 *                        another shard's
 *   ARCH_RAM_BASE, ARCH_RAM_END, ARCH_KERNEL_BASE, ARCH_KERNEL_END
 *                        RAM, and the kernel's window at its start (from
 *                        the generated board.h: VN_BOARD_*)
 *   ARCH_K_*, ARCH_U_*   the attributes of a kernel and a user page: RX, RO,
 *                        RW, DEV (MMIO); ARCH_K_RAM, RAM only the kernel sees
 * and, as inlines (cheap and called on every trap), the ones marked (i).
 *
 * Boot, on the first CPU (bm_boot, called by the port's entry code):
 *   arch_boot(a0, a1)         what the loader handed over (its first two
 *                             argument registers): check it, or keep it
 *   arch_irq_init()           the interrupt controller, once
 *   arch_cpu_init(cpu)        this CPU: vectors, MMU on, its interrupts,
 *                             its timer; FP/SIMD off for user mode
 *   arch_asid_bits()          how many ASID bits this CPU's MMU has (probed;
 *                             on every CPU, after arch_cpu_init). A port
 *                             whose kernel view (arch_load_begin) goes in
 *                             under ASID 0 without a TLB drop returns 1 or
 *                             more. VN_TEST_ASID_BITS (a build-time test
 *                             hook) makes it return no more than that
 *   arch_asid_reuse_entry()   the shards share an ASID (space.c): this
 *                             CPU's traps from user mode enter
 *                             bm_trap_reuse, not bm_trap, from now on
 *   arch_pte_table(t), arch_pte_leaf(pa, attrs, level), arch_pte_next(e)
 *                             (i) the page-table format pt.c builds with
 *   arch_space_token(top, asid) (i) what the MMU is given for a space
 *   arch_load_begin/end()     the kernel's own space, which maps all RAM
 *                             for the kernel, around reaching a shard's
 *                             pages or a page table; then back (i)
 *   arch_user_begin/end()     around the kernel's access to the trapping
 *                             shard's own pages and devices, user-only in
 *                             its space (a LOG's text, an MMIO call, a
 *                             RELOAD's image) (i)
 *   arch_sync_icache(lo, hi)  new code in [lo, hi) (i)
 *   arch_tlb_drop_asid(asid)  a space's leaf entries changed (a hot reload's
 *                             image): drop its TLB entries (i); called on
 *                             the CPU that runs that space
 *   arch_frame_start(f,e,sp)  a fresh frame entering e with stack sp (i)
 *   arch_cpu_start(cpu)       each other CPU, which enters bm_secondary(cpu),
 *                             which calls arch_cpu_init(cpu); NULL, or why not
 *   arch_run(stack_top)       enter bm_trap(NULL, BM_TRAP_START) on an
 *                             empty stack, then return to the frame it gives
 *
 * The trap vector saves a shard's registers straight into its context,
 * bm_shard.ctx (the frame it restored last: it keeps that frame's address
 * for the next trap), calls bm_trap(frame, kind), or bm_trap_sync(frame)
 * for a trap of kind ARCH_TRAP_SYNC, and restores the frame it returns,
 * which is the context of the shard that holds the CPU then.
 *
 * An MMIO call (run.c), under bm_lock:
 *   arch_kmmio(addr, log2, write, value, &read)
 *                             one device register access of 1 << log2
 *                             bytes; 0, or -1 if the device refused it with
 *                             a bus error, which the port's kernel-mode trap
 *                             turns into that return instead of a panic
 *
 * Every trap (bm_trap, called by the port's vector), under bm_lock, in
 * the space of the shard that trapped: every space maps the kernel's
 * window for the kernel; what else the kernel touches it reaches between
 * arch_load_begin() and arch_load_end() (another shard's memory, page
 * tables), or, for that shard's own pages, arch_user_begin() and
 * arch_user_end():
 *   arch_cpu() (i)            which CPU this is
 *   arch_trap(f, s, cpu, kind) what the trap asks: bm_syscall(),
 *                             arch_irq_poll(), bm_fp_claim() (s touched
 *                             FP/SIMD while off; false: s may not have it,
 *                             a fault), or a report and bm_fault()
 *   arch_fp_save(fp, ctx)     into fp, the FP/SIMD registers of the shard
 *                             whose saved frame is ctx (the port may skip it
 *                             if that shard never changed them)
 *   arch_fp_load(fp)          the FP/SIMD registers from fp
 *   arch_fp_disown(ctx) (i)   the shard whose saved frame is ctx no longer
 *                             owns the CPU's FP/SIMD registers (another
 *                             shard took them)
 *   arch_fp_allow(f) (i)      FP/SIMD on for the shard of frame f, which
 *                             owns them now
 *   arch_irq_poll(cpu)        acknowledge every pending interrupt; a device
 *                             one is masked and goes to vn_irq_deliver()
 *   arch_ticks(), arch_tick_hz() (i)  the clock
 *   arch_ticks_ns(t) (i)      t ticks of it in ns (vn_ticks_to_ns)
 *   arch_timer_set(ns)        this CPU's one deadline (VN_NEVER: none); the
 *                             port keeps the one armed in the CPU's
 *                             core's timer_at (VN_NEVER: none) and may
 *                             keep an earlier one armed instead of a later
 *                             (both ports do; the YIELD path then sets
 *                             none later): the kernel takes an early
 *                             interrupt as nothing due, and sets it again
 *   arch_wait() (i)           sleep until an interrupt is pending (lock
 *                             dropped around it)
 *   arch_frame_ret(f, v) (i)  the result of the shard's last call
 *   arch_trap_call(f, kind) (i) the system call number this trap makes,
 *                             UINT64_MAX if it is none, as it is for every
 *                             kind but ARCH_TRAP_SYNC (bm_trap's YIELD
 *                             path looks before arch_trap)
 *   arch_call_done(f) (i)     the frame returns past its system call
 *   arch_switch(token) (i)    another shard now holds this CPU: its space
 *                             goes in (the kernel runs on in it)
 *   arch_fp_switch(f, owner) (i) FP/SIMD on for the shard of frame f if
 *                             it is the CPU's owner of them, else off (a
 *                             port whose frames keep that setting, with
 *                             arch_fp_disown, has nothing to do)
 * and, while the shards share an ASID (bm_asid_reuse), every trap takes
 * the common path (bm_trap_reuse), which calls these in place of
 * arch_switch: as the trap begins, when a shard gets the CPU, and as the
 * trap ends. The port puts spaces in at whichever of them it chooses
 * (riscv64: its own as the trap begins, the shard's as it ends), and
 * where it gives its MMU a space under the shared ASID, it drops this
 * CPU's non-global TLB entries under it when bm_asid_stale(cpu, token)
 * says they may be another space's, after the space went in:
 *   arch_trap_enter_reuse(cpu), arch_switch_reuse(cpu, token),
 *   arch_trap_leave_reuse(cpu, token)
 *
 * At any time, under the lock:
 *   arch_relax() (i)          spinning for the lock
 *   arch_kick(cpu)            make cpu trap into its loop (an IPI)
 *   arch_irq_unmask(irq)      the owner acknowledged irq
 *   arch_exit(status)         end the system (QEMU exits with status)
 *   arch_semihost(op, arg)    one semihosting call: QEMU runs every board
 *                             with semihosting on (the trace dump, obs.c;
 *                             crash dumps, crashdump.c)
 *   arch_crash_regs(f, fp, c) a dead shard's frame f and FP registers fp as
 *                             an ELF core's pr_reg and NT_FPREGSET (its
 *                             machine, regs, pc, sp, fp) for its crash dump
 *   port_console_tx_full()    kconsole.h
 *   port_console_tx(c)        kconsole.h
 */
#ifndef VN_BM_HOOKS_H
#define VN_BM_HOOKS_H

#include <stdint.h>

#include "arch.h"

struct vn_shard;
struct bm_shard;

void arch_boot(uint64_t arg0, uint64_t arg1);
void arch_irq_init(void);
void arch_cpu_init(uint32_t cpu);
const char *arch_cpu_start(uint32_t cpu);
_Noreturn void arch_run(uint64_t stack_top);


uint32_t arch_asid_bits(void);
void arch_asid_reuse_entry(void);
void arch_trap_enter_reuse(uint32_t cpu);
void arch_switch_reuse(uint32_t cpu, uint64_t token);
void arch_trap_leave_reuse(uint32_t cpu, uint64_t token);

void arch_trap(struct arch_frame *f, struct vn_shard *s, uint32_t cpu, uint32_t kind);
void arch_fp_save(struct arch_fp *fp, const struct arch_frame *ctx);
void arch_fp_load(const struct arch_fp *fp);
void arch_irq_poll(uint32_t cpu);
void arch_timer_set(uint64_t deadline_ns);
void arch_kick(uint32_t cpu);
void arch_irq_unmask(uint32_t irq);
int arch_kmmio(uint64_t addr, unsigned log2_bytes, bool write, uint64_t value, uint64_t *read);
_Noreturn void arch_exit(int status);
uint64_t arch_semihost(uint64_t op, uint64_t arg);
struct vn_crash_cpu;
void arch_crash_regs(const struct arch_frame *f, const struct arch_fp *fp,
		     struct vn_crash_cpu *c);

#endif /* VN_BM_HOOKS_H */
