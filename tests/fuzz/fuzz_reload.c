/*
 * fuzz_reload.c - libFuzzer target for the hosted kernel's check of a
 * reload's new executable (runtime/arch/hosted/kernel/elf_check.c:
 * hk_elf_check), the parser a hot reload runs, in the kernel process, on
 * bytes an updater shard or a host tool sent.
 *
 * The input: one byte that places the image (its low 3 bits: the image
 * starts that many bytes past an 8-byte boundary, as an image in a
 * shard's memory may), then the image. It is copied into a buffer of its
 * exact length, so AddressSanitizer stops a read past its end, and UBSan
 * a header read in place at a misaligned address.
 *
 * Checked (abort() on a violation): the verdict is one of the three the
 * check may give; in an image it accepts every PT_LOAD segment lies in
 * [LO, HI), and the interface hash it reported is there (found again by a
 * plain scan for the note); the same bytes at another alignment get the
 * same verdict and hash.
 *
 * tests/fuzz/seeds/reload/: a minimal image the check accepts (written by
 * tests/fuzz/seeds/make_reload_seed.py) and the inputs that once found a
 * bug.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vanity/reload.h>

#include "hk.h"

#define LO UINT64_C(0x40000000)
#define HI (LO + HK_IMAGE_SLOT)

static uint32_t check(const uint8_t *d, size_t n, unsigned shift, uint64_t *iface)
{
	uint8_t *buf = malloc(shift + n ? shift + n : 1), *img = buf + shift;
	uint32_t st;

	memcpy(img, d, n);
	*iface = 0;
	st = hk_elf_check(img, n, LO, HI, iface);
	free(buf);
	return st;
}

/* What an accepted image must be, found the slow way. */
static void accepted(const uint8_t *d, size_t n, uint64_t iface)
{
	Elf64_Ehdr e;
	bool note = false;

	memcpy(&e, d, sizeof(e));
	for (uint32_t i = 0; i < e.e_phnum; i++) {
		Elf64_Phdr p;

		memcpy(&p, d + e.e_phoff + (uint64_t)i * sizeof(p), sizeof(p));
		if (p.p_type == PT_LOAD && (p.p_vaddr < LO || p.p_vaddr + p.p_memsz < p.p_vaddr ||
					    p.p_vaddr + p.p_memsz > HI))
			abort();
	}
	/* a note header (12 bytes), "Vanity" and its NUL (8 with padding), the hash */
	for (size_t at = 0; at + 12 + 8 + 8 <= n && !note; at++)
		note = memcmp(d + at + 12, VN_IFACE_NOTE_NAME, sizeof(VN_IFACE_NOTE_NAME)) == 0 &&
		       memcmp(d + at + 12 + 8, &iface, 8) == 0;
	if (!note)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	uint64_t iface, again;
	uint32_t st;

	if (n < 1)
		return 0;
	st = check(d + 1, n - 1, d[0] & 7u, &iface);
	if (st != VN_RELOAD_OK && st != VN_RELOAD_IMAGE && st != VN_RELOAD_ISA &&
	    st != VN_RELOAD_SIZE)
		abort();
	if (check(d + 1, n - 1, (d[0] + 1u) & 7u, &again) != st ||
	    (st == VN_RELOAD_OK && again != iface))
		abort();
	if (st == VN_RELOAD_OK)
		accepted(d + 1, n - 1, iface);
	return 0;
}
