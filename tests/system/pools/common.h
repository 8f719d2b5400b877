/* What owner and reader agree on (pools.yaml). */
#define BUFFERS 40 /* handed over and back */
#define N_BAD 4    /* then this many handles no pool holds */
#define STOP_INDEX 0xfffffffeu /* a handle's index: no more */

/* The byte at offset j of buffer i, as owner writes it. */
static inline unsigned char pattern(unsigned i, unsigned j)
{
	return (unsigned char)(i * 7u + j * 13u + 1u);
}
