/* The AVX2 tier (x86-64 with AVX2 and FMA, as most laptops since 2013; 8 lanes): the
 * kernels of kernels_body.inc compiled for these instructions only, so the
 * rest of the binary stays baseline x86-64. kernels.c calls it only on a CPU
 * that has them.
 */
#if defined(__x86_64__)
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC target("avx2,fma")
#endif

#define SIMD_AVX2
#define KERNEL_TIER_NAME "avx2"
#define KERNEL_TABLE kernels_avx2
#include "engine/simd.h"
#include "engine/kernels_body.inc"

#if defined(__clang__)
#pragma clang attribute pop
#endif
#endif
