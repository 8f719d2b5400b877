"""The boards Vanity knows. A new port adds its entry here and nowhere else."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Board:
    name: str
    cores: int
    has_port: bool


BOARDS = {
    b.name: b
    for b in (
        Board("hosted", cores=8, has_port=True),
        Board("qemu-virt-aarch64", cores=4, has_port=False),
        Board("qemu-virt-riscv64", cores=4, has_port=False),
    )
}

DEFAULT_BOARD = "hosted"


def ported():
    return [b.name for b in BOARDS.values() if b.has_port]
