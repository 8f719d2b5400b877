/*
 * elf_check.c - what the hosted kernel requires of a reload's new
 * executable before it stages it (reload.c: port_reload_check): a 64-bit
 * little-endian ELF executable for this host's machine, every loadable
 * segment inside the shard's image slot, and the interface hash in its
 * "Vanity" note (vanity/reload.h).
 *
 * The bytes are an updater shard's or a host tool's: every offset, count
 * and size in them is checked before it is followed, in 64-bit arithmetic,
 * and every header is read through a copy, wherever in the image it lies
 * (an ELF file may put its program headers at any offset, and the image
 * itself may lie at any address). tests/fuzz/fuzz_reload.c runs it on
 * random images under AddressSanitizer and UBSan.
 */
#include <elf.h>
#include <string.h>

#include <vanity/reload.h>

#include "hk.h"

/* The interface note among the notes in [at, end) of img: true, and its
 * hash in *iface, if there is one. A note that runs past end ends the
 * look. */
static bool iface_note(const uint8_t *img, uint64_t at, uint64_t end, uint64_t *iface)
{
	bool found = false;
	Elf64_Nhdr n;

	while (end - at >= sizeof(n)) {
		uint64_t name = at + sizeof(n), desc, next;

		memcpy(&n, img + at, sizeof(n));
		desc = name + ((n.n_namesz + UINT64_C(3)) & ~UINT64_C(3));
		next = desc + ((n.n_descsz + UINT64_C(3)) & ~UINT64_C(3));
		if (next > end)
			break;
		if (n.n_type == VN_IFACE_NOTE && n.n_namesz == sizeof(VN_IFACE_NOTE_NAME) &&
		    n.n_descsz == 8 &&
		    memcmp(img + name, VN_IFACE_NOTE_NAME, sizeof(VN_IFACE_NOTE_NAME)) == 0) {
			memcpy(iface, img + desc, 8);
			found = true;
		}
		at = next;
	}
	return found;
}

uint32_t hk_elf_check(const uint8_t *img, uint64_t len, uint64_t lo, uint64_t hi,
		      uint64_t *iface)
{
	Elf64_Ehdr e;
	bool found = false;

	if (len < sizeof(e))
		return VN_RELOAD_IMAGE;
	memcpy(&e, img, sizeof(e));
	if (memcmp(e.e_ident, ELFMAG, SELFMAG) != 0 || e.e_ident[EI_CLASS] != ELFCLASS64 ||
	    e.e_ident[EI_DATA] != ELFDATA2LSB)
		return VN_RELOAD_IMAGE;
	if (e.e_machine != HK_MACHINE)
		return VN_RELOAD_ISA;
	if (e.e_type != ET_EXEC || e.e_phentsize != sizeof(Elf64_Phdr) || e.e_phoff > len ||
	    (uint64_t)e.e_phnum * sizeof(Elf64_Phdr) > len - e.e_phoff)
		return VN_RELOAD_IMAGE;
	for (uint32_t i = 0; i < e.e_phnum; i++) {
		Elf64_Phdr p;

		memcpy(&p, img + e.e_phoff + (uint64_t)i * sizeof(p), sizeof(p));
		if (p.p_type == PT_LOAD &&
		    (p.p_vaddr < lo || p.p_memsz > hi - lo || p.p_vaddr - lo > hi - lo - p.p_memsz))
			return VN_RELOAD_SIZE;
		if (p.p_type == PT_NOTE && p.p_offset <= len && p.p_filesz <= len - p.p_offset)
			found |= iface_note(img, p.p_offset, p.p_offset + p.p_filesz, iface);
	}
	return found ? VN_RELOAD_OK : VN_RELOAD_IMAGE;
}
