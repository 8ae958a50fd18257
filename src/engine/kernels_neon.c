/* The NEON tier (every aarch64 CPU: Apple Silicon, Chromebooks, Raspberry Pi 4+;
 * 4 lanes with FMA): the kernels of kernels_body.inc for the baseline
 * instructions of aarch64.
 */
#if defined(__aarch64__)
#include <arm_neon.h>

#define SIMD_NEON
#define KERNEL_TIER_NAME "neon"
#define KERNEL_TABLE kernels_neon
#include "engine/simd.h"
#include "engine/kernels_body.inc"
#endif
