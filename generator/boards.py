"""The boards Vanity knows: one record each, and the only place a board's
facts live. Build (toolchain, flags, QEMU), validate (cores, interrupt
numbers, page tables) and the model and render (memory map, image format)
read the record and nothing else; the kernel's C limits come from the
header rendered from it (kernel/board.h, templates/board.h.j2). A new board
adds its record here; a new ISA also adds one runtime/arch/<port> folder.

A bare-metal board says where its RAM is and which part of it the kernel
image may use (its window); the model places shards and channels after it.
RAM is at most 1 GiB (one top-level page-table entry, pt.c), and QEMU's -m
gives exactly the RAM the record says. The page tables come from a pool at
the top of RAM that the model sizes to what the system needs
(model._page_tables); shards and channels must end below it.
"""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Toolchain:
    cross: str                # prefix of gcc, objcopy and size ("" for the host's)
    package: str              # the Debian package that has it, for error messages
    flags: tuple = ()         # code generation for the ISA, kernel and shards alike
    integer_flags: tuple = () # integer-only code (no FP/SIMD state): the kernel,
                              # and shards with fp: false
    shard_flags: tuple = ()   # shards with FP/SIMD (switched by the kernel)
    cc: str = None            # the C compiler, when it is not <cross>gcc
    extensions: str = ""      # ISA extensions the code is compiled for beyond
                              # the -march of the flags above, which libgcc's
                              # multilibs lack: libgcc is the plain -march's

    def tool(self, name):
        """The command for gcc, objcopy, size, ..."""
        return self.cc if name == "gcc" and self.cc else self.cross + name


@dataclass(frozen=True)
class Irq:
    """The interrupt controller, and the interrupt numbers a spec may give."""
    controller: str           # "gic": GIC IDs; "plic": PLIC sources; "host": simulated
    first: int
    last: int
    base: int = None          # the distributor (GIC) or the PLIC
    cpu_base: int = None      # the GIC's CPU interface


@dataclass(frozen=True)
class BareImage:
    """What the shard images of a bare-metal board say: the first word of
    each (VN_BOARD_IMAGE_MAGIC in kernel/board.h, which boot.c checks)."""
    magic: int
    nx: str                   # how layout comments name "not executable"


@dataclass(frozen=True)
class Board:
    name: str
    cores: int
    has_port: bool
    port: str                 # runtime/arch/<port>
    toolchain: Toolchain
    irq: Irq
    console: tuple            # (compatible, base) of the kernel's console UART, or
                              # None (hosted: the kernel's stdout)
    image: BareImage = None   # bare metal: the kernel image holds the shards
    ram: tuple = None         # bare metal: (base, size)
    kernel: tuple = None      # bare metal: the kernel image's window (start, end)
    kernel_devices: tuple = () # bare metal: MMIO windows (start, end, what) the kernel
                              # keeps (its interrupt controller, timer, ...): no
                              # device's pages may touch one
    mmio_end: int = None      # bare metal: devices lie below this (ARCH_MMIO_END)
    qemu: tuple = ()          # bare metal: the QEMU command, without -smp and -kernel
    qemu_package: str = None
    models: tuple = ()        # hosted: the register maps its device models implement
                              # (runtime/arch/hosted/kernel/dev_*.c), rendered
                              # device-side as kernel/<map>_dev.h


# QEMU's semihosting, which the QEMU boards' kernels use (the board list
# below says what for): never from a shard. A semihosting call gives the
# guest the host's files and QEMU's exit, so userspace=off is written out,
# not left to QEMU's default: a shard's call (aarch64 `hlt #0xf000`, the
# riscv64 ebreak sequence) is then the undefined instruction or breakpoint
# it looks like, and the kernel stops that shard (tests/system/test_semihost.py).
SEMIHOSTING = "enable=on,target=native,userspace=off"

# The riscv64 board's harts: QEMU's rv64 with the bit-manipulation
# extensions the kernel and the shards are compiled for (-march ..._zba_zbb:
# scaled-index adds, count leading zeros for the histograms), named so that
# a QEMU without them refuses to start rather than running code its harts
# would trap on. QEMU 7.2's rv64 has them on by default; its device tree
# (boards/qemu-virt-riscv64.dts, riscv,isa) is the same either way.
RV64_CPU = "rv64,zba=on,zbb=on"


BOARDS = {
    b.name: b
    for b in (
        # One process per shard, on the host's compiler; the kernel is a
        # process too, and simulates the devices (runtime/arch/hosted).
        # -mgeneral-regs-only (x86-64 and aarch64 hosts): a shard with
        # fp: false is built integer-only, but a process cannot have its
        # FP/SIMD unit switched off, so an FP instruction in its assembly runs.
        Board("hosted", cores=8, has_port=True, port="hosted",
              toolchain=Toolchain("", "gcc", cc=os.environ.get("CC", "gcc"),
                                  integer_flags=("-mgeneral-regs-only",)),
              irq=Irq("host", 0, 1019), console=None, models=("virtio_mmio",)),
        # QEMU puts the DTB at the start of RAM when the ELF starts at
        # 0x40100000 or above; the kernel does not need it (the board is fixed).
        # Both QEMU boards run with semihosting on: aarch64 exits through it,
        # and a traced run's kernel writes its dump through it
        # (runtime/freestanding/kernel/obs.c).
        # On both QEMU boards, -nographic with -monitor none connects the
        # UART to plain stdio, not multiplexed with a monitor: every byte
        # (Ctrl-A too) reaches the guest, and Ctrl-C on a terminal stops QEMU.
        Board("qemu-virt-aarch64", cores=4, has_port=True, port="aarch64",
              toolchain=Toolchain(
                  os.environ.get("VANITY_CROSS_AARCH64", "aarch64-linux-gnu-"),
                  "gcc-aarch64-linux-gnu",
                  ("-mstrict-align", "-mno-outline-atomics"),
                  integer_flags=("-mgeneral-regs-only",)),
              irq=Irq("gic", 32, 287, base=0x08000000, cpu_base=0x08010000),  # 256 SPIs
              console=("arm,pl011", 0x09000000),
              image=BareImage(0x3436416e61765f5f, " + XN"),
              ram=(0x40000000, 0x40000000), kernel=(0x40100000, 0x41000000),
              kernel_devices=((0x08000000, 0x08020000, "the GIC"),),
              mmio_end=0x40000000,
              qemu=("qemu-system-aarch64", "-M", "virt,gic-version=2", "-cpu", "cortex-a53",
                    "-m", "1G", "-nographic", "-monitor", "none", "-nic", "none",
                    "-semihosting-config", SEMIHOSTING),
              qemu_package="qemu-system-arm"),
        # OpenSBI (-bios default) owns the first 2 MiB of RAM and enters the
        # kernel in S-mode at 0x80200000. -mcmodel=medany: the default medlow
        # cannot link there. Kernel and shards are built for the board's
        # harts, Zba and Zbb included (RV64_CPU).
        Board("qemu-virt-riscv64", cores=4, has_port=True, port="riscv64",
              toolchain=Toolchain(
                  os.environ.get("VANITY_CROSS_RISCV64", "riscv64-unknown-elf-"),
                  "gcc-riscv64-unknown-elf",
                  ("-misa-spec=2.2", "-mcmodel=medany", "-mstrict-align", "-msmall-data-limit=0"),
                  integer_flags=("-march=rv64imac", "-mabi=lp64"),
                  shard_flags=("-march=rv64imafdc", "-mabi=lp64d"), extensions="_zba_zbb"),
              irq=Irq("plic", 1, 95, base=0x0c000000), console=("ns16550a", 0x10000000),
              image=BareImage(0x3436526e61765f5f, ""),
              ram=(0x80000000, 0x40000000), kernel=(0x80200000, 0x81000000),
              kernel_devices=((0x00100000, 0x00101000, "sifive_test (exit)"),
                              (0x02000000, 0x02010000, "the ACLINT MSWI and MTIMER, OpenSBI's"),
                              (0x02f00000, 0x02f04000, "the ACLINT SSWI"),
                              (0x0c000000, 0x10000000, "the PLIC")),
              mmio_end=0x40000000,
              qemu=("qemu-system-riscv64", "-M", "virt,aclint=on", "-cpu", RV64_CPU,
                    "-bios", "default", "-m", "1G", "-nographic", "-monitor", "none", "-nic", "none",
                    "-semihosting-config", SEMIHOSTING),
              qemu_package="qemu-system-misc"),
    )
}

DEFAULT_BOARD = "hosted"


def ported():
    return [b.name for b in BOARDS.values() if b.has_port]
