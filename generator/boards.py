"""The boards Vanity knows. A new port adds its entry here and nowhere else.

A bare-metal board says where its RAM is and which part of it the kernel
image may use (its window); the model places shards and channels after it.
Each bare-metal kernel's MMU code (runtime/arch/<port>/mmu.c) assumes the
same RAM and kernel window as its board entry below.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Board:
    name: str
    cores: int
    has_port: bool
    port: str = None          # runtime/arch/<port>
    ram: tuple = None         # bare metal: (base, size)
    kernel: tuple = None      # bare metal: the kernel image's window (start, end)
    qemu: tuple = ()          # bare metal: the QEMU command, without -smp and -kernel
    page_tables: int = None   # bare metal: the kernel's pool of page tables
                              # (POOL_PAGES in runtime/arch/<port>/mmu.c)


BOARDS = {
    b.name: b
    for b in (
        Board("hosted", cores=8, has_port=True, port="hosted"),
        # QEMU puts the DTB at the start of RAM when the ELF starts at
        # 0x40100000 or above; the kernel does not need it (the board is fixed).
        # On both QEMU boards, -nographic with -monitor none connects the
        # UART to plain stdio, not multiplexed with a monitor: every byte
        # (Ctrl-A too) reaches the guest, and Ctrl-C on a terminal stops QEMU.
        Board("qemu-virt-aarch64", cores=4, has_port=True, port="aarch64",
              ram=(0x40000000, 0x10000000), kernel=(0x40100000, 0x41000000), page_tables=160,
              qemu=("qemu-system-aarch64", "-M", "virt,gic-version=2", "-cpu", "cortex-a53",
                    "-m", "256M", "-nographic", "-monitor", "none", "-nic", "none",
                    "-semihosting")),
        # OpenSBI (-bios default) owns the first 2 MiB of RAM and enters the
        # kernel in S-mode at 0x80200000.
        Board("qemu-virt-riscv64", cores=4, has_port=True, port="riscv64",
              ram=(0x80000000, 0x10000000), kernel=(0x80200000, 0x81000000), page_tables=160,
              qemu=("qemu-system-riscv64", "-M", "virt", "-bios", "default",
                    "-m", "256M", "-nographic", "-monitor", "none", "-nic", "none")),
    )
}

DEFAULT_BOARD = "hosted"


def ported():
    return [b.name for b in BOARDS.values() if b.has_port]
