/* A seeded xorshift64*: the stress shards' only source of randomness, so
 * a run is reproduced by its seed. */
#ifndef STRESS_RNG_H
#define STRESS_RNG_H

#include <stdint.h>

static uint64_t rng_state;

static inline void rng_seed(uint64_t seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ull | 1;
}

static inline uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Uniform enough in [0, n) for n much smaller than 2^64. */
static inline uint64_t rng_below(uint64_t n)
{
	return rng_next() % n;
}

#endif /* STRESS_RNG_H */
