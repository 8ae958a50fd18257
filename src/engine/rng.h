/* Seeded random numbers for initialization and shuffling. The engine owns its
 * generator so that a seed gives the same run on every machine. (It is not
 * PyTorch's generator: parity tests load PyTorch's initial weights instead.)
 */
#ifndef CONVLAB_RNG_H
#define CONVLAB_RNG_H

#include <stdint.h>

typedef struct { uint64_t s[4]; } Rng; // xoshiro256**

void rng_seed(Rng *r, uint64_t seed);
uint64_t rng_next(Rng *r);
// Uniform in [0, 1).
double rng_uniform(Rng *r);
// Uniform integer in [0, n).
uint32_t rng_below(Rng *r, uint32_t n);
// Fisher-Yates shuffle of idx (n).
void rng_shuffle(Rng *r, int32_t *idx, int n);

#endif
