/* The SSE2 tier (every x86-64 CPU; 4 lanes, no FMA): the kernels of
 * kernels_body.inc compiled for the baseline instructions.
 */
#if defined(__x86_64__)
#include <emmintrin.h>

#define SIMD_SSE2
#define KERNEL_TIER_NAME "sse2"
#define KERNEL_TABLE kernels_sse2
#include "engine/simd.h"
#include "engine/kernels_body.inc"
#endif
