/* A shard with fp: false: built integer-only, it executes one FP/SIMD
 * instruction by hand (the compiler would not emit one) after yielding to
 * its FP-using peer a few times. On bare metal that instruction is a fault
 * (SIGILL); a Linux process cannot switch its FPU off, so on hosted it runs.
 * Encoded as a word: an integer-only -march makes the assembler refuse the
 * mnemonic. */
#include <vanity_shard.h>

static void fp_instruction(void)
{
#if defined(__aarch64__)
	__asm__ volatile(".inst 0x9e6703e0" ::: "memory"); /* fmov d0, xzr */
#elif defined(__riscv)
	__asm__ volatile(".4byte 0xf2000053" ::: "memory"); /* fmv.d.x ft0, zero */
#elif defined(__x86_64__)
	__asm__ volatile(".byte 0x66, 0x0f, 0xef, 0xc0" ::: "memory"); /* pxor xmm0, xmm0 */
#else
#error "no FP instruction for this ISA"
#endif
}

/* A 128-bit division is a call into libgcc (__udivti3), which the build
 * must link as built for this shard's own integer-only ABI (on riscv64 its
 * -march names extensions libgcc has no multilib for). */
static volatile unsigned __int128 big = (unsigned __int128)1 << 100, seven = 7;

void vn_main(void)
{
	for (int i = 0; i < 3; i++)
		vn_yield();
	if (big / seven != ((unsigned __int128)1 << 100) / 7u)
		vn_log("a 128-bit division (libgcc) went wrong");
	vn_log("about to use FP/SIMD");
	fp_instruction();
	vn_log("ran an FP/SIMD instruction");
}
