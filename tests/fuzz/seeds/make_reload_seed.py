"""Writes tests/fuzz/seeds/reload/minimal-image: the placement byte, then
the smallest executable hosted's reload check (elf_check.c) accepts for
tests/fuzz/fuzz_reload.c's slot: an x86-64 ELF header, a PT_LOAD segment at
the slot's base and a PT_NOTE holding the "Vanity" interface note. Run
again only if that check's rules change: /usr/bin/python3 THIS."""

import struct
from pathlib import Path

LO = 0x40000000          # fuzz_reload.c: LO
EM_X86_64, ET_EXEC, PT_LOAD, PT_NOTE = 62, 2, 1, 4
NOTE_TYPE = 0x564e0001   # vanity/reload.h: VN_IFACE_NOTE

note = struct.pack("<III", 7, 8, NOTE_TYPE) + b"Vanity\0\0" + struct.pack("<Q", 0x1234abcd)
phoff, phnum = 64, 2
note_off = phoff + 56 * phnum
ehdr = (b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) +
        struct.pack("<HHIQQQIHHHHHH", ET_EXEC, EM_X86_64, 1, LO, phoff, 0, 0, 64, 56, phnum,
                    0, 0, 0))
load = struct.pack("<IIQQQQQQ", PT_LOAD, 5, 0, LO, LO, note_off + len(note),
                   note_off + len(note), 0x1000)
pnote = struct.pack("<IIQQQQQQ", PT_NOTE, 4, note_off, LO + note_off, LO + note_off,
                    len(note), len(note), 4)
image = ehdr + load + pnote + note
out = Path(__file__).resolve().parent / "reload" / "minimal-image"
out.write_bytes(b"\0" + image)
print(f"{out}: {len(image)} bytes of image")
