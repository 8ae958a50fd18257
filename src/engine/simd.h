/* Engine-private: the few vector primitives the kernels are written in, for
 * one instruction-set tier at a time (ggml's approach). A kernels_<tier>.c
 * file defines exactly one SIMD_<TIER> macro, switches the compiler to that
 * tier's instructions, includes this header, then the kernel bodies
 * (kernels_body.inc), which are written once in terms of:
 *   vf / vint      VL floats / VL int32 (GCC/Clang vector extensions: + - * > &
 *                  work lane-wise, v[i] reads lane i)
 *   vload vstore   unaligned full loads/stores; vmask_range(lo, hi) + vload_m /
 *                  vstore_m touch only lanes lo..hi-1 (never memory outside them)
 *   vset1 vfma     broadcast; a*b+c (fused where the tier has FMA)
 *   vsum           the sum of the lanes in a fixed order
 * Only masks, FMA and the lane sum need the tier's intrinsics; the rest is
 * plain vector-extension C, the same text for every tier.
 */
#ifndef CONVLAB_SIMD_H
#define CONVLAB_SIMD_H

#include <stdint.h>

#if defined(SIMD_AVX512)
#define VL 16
#elif defined(SIMD_AVX2)
#define VL 8
#elif defined(SIMD_SSE2) || defined(SIMD_NEON)
#define VL 4
#else
#error "define one SIMD_<TIER> before including engine/simd.h"
#endif

typedef float vf __attribute__((vector_size(VL * 4)));
typedef int32_t vint __attribute__((vector_size(VL * 4)));

#define SIMD_INLINE static inline __attribute__((always_inline))

SIMD_INLINE vf vzero(void) { return (vf){0}; }
// Lane by lane, so the compiler emits one broadcast ((vf){0} + x would be an
// addition: 0 + x is not x for x = -0, so it cannot be folded away).
SIMD_INLINE vf vset1(float x) {
    vf v;
    for (int i = 0; i < VL; i++) v[i] = x;
    return v;
}
SIMD_INLINE vint viota(void) {
    vint v;
    for (int i = 0; i < VL; i++) v[i] = i;
    return v;
}
SIMD_INLINE vf vload(const float *p) {
    vf v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}
SIMD_INLINE void vstore(float *p, vf v) { __builtin_memcpy(p, &v, sizeof v); }
// Lanes where m is all ones take a, the others b (m from a comparison).
SIMD_INLINE vf vselect(vint m, vf a, vf b) { return (vf)(((vint)a & m) | ((vint)b & ~m)); }
SIMD_INLINE vint vselect_i(vint m, vint a, vint b) { return (a & m) | (b & ~m); }

#if defined(SIMD_AVX512)

typedef __mmask16 vmask;
SIMD_INLINE vmask vmask_range(int lo, int hi) {
    lo = lo < 0 ? 0 : lo > 16 ? 16 : lo;
    hi = hi < 0 ? 0 : hi > 16 ? 16 : hi;
    return (vmask)(((1u << hi) - 1) & ~((1u << lo) - 1));
}
SIMD_INLINE vf vload_m(vmask m, const float *p) { return (vf)_mm512_maskz_loadu_ps(m, p); }
SIMD_INLINE void vstore_m(vmask m, float *p, vf v) { _mm512_mask_storeu_ps(p, m, (__m512)v); }
SIMD_INLINE void vstore_mi(vmask m, int32_t *p, vint v) { _mm512_mask_storeu_epi32(p, m, (__m512i)v); }
SIMD_INLINE vf vfma(vf a, vf b, vf c) { return (vf)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c); }
SIMD_INLINE float vsum(vf v) { return _mm512_reduce_add_ps((__m512)v); }

#elif defined(SIMD_AVX2)

// Lanes [lo, hi), clamped; a full vector takes the plain load (AMD's
// vmaskmovps is slower than vmovups), a partial one vmaskmovps.
typedef struct { int lo, hi; } vmask;
SIMD_INLINE vmask vmask_range(int lo, int hi) {
    vmask m = {lo < 0 ? 0 : lo > VL ? VL : lo, hi < 0 ? 0 : hi > VL ? VL : hi};
    return m;
}
SIMD_INLINE __m256i avx2_lanes(vmask m) { return (__m256i)((viota() >= m.lo) & (viota() < m.hi)); }
SIMD_INLINE vf vload_m(vmask m, const float *p) {
    if (m.lo == 0 && m.hi == VL) return vload(p);
    return (vf)_mm256_maskload_ps(p, avx2_lanes(m));
}
SIMD_INLINE void vstore_m(vmask m, float *p, vf v) {
    if (m.lo == 0 && m.hi == VL) { vstore(p, v); return; }
    _mm256_maskstore_ps(p, avx2_lanes(m), (__m256)v);
}
SIMD_INLINE void vstore_mi(vmask m, int32_t *p, vint v) { _mm256_maskstore_epi32((int *)p, avx2_lanes(m), (__m256i)v); }
SIMD_INLINE vf vfma(vf a, vf b, vf c) { return (vf)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c); }
SIMD_INLINE float vsum(vf v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128((__m256)v), _mm256_extractf128_ps((__m256)v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
}

#else  // SSE2, NEON: no masked loads; a partial vector goes lane by lane

typedef struct { int lo, hi; } vmask;   // lanes [lo, hi), clamped to [0, VL]
SIMD_INLINE vmask vmask_range(int lo, int hi) {
    vmask m = {lo < 0 ? 0 : lo > VL ? VL : lo, hi < 0 ? 0 : hi > VL ? VL : hi};
    return m;
}
SIMD_INLINE vf vload_m(vmask m, const float *p) {
    if (m.lo == 0 && m.hi == VL) return vload(p);
    vf v = vzero();
    for (int i = m.lo; i < m.hi; i++) v[i] = p[i];
    return v;
}
SIMD_INLINE void vstore_m(vmask m, float *p, vf v) {
    if (m.lo == 0 && m.hi == VL) { vstore(p, v); return; }
    for (int i = m.lo; i < m.hi; i++) p[i] = v[i];
}
SIMD_INLINE void vstore_mi(vmask m, int32_t *p, vint v) {
    for (int i = m.lo; i < m.hi; i++) p[i] = v[i];
}
#if defined(SIMD_NEON)
SIMD_INLINE vf vfma(vf a, vf b, vf c) { return (vf)vfmaq_f32((float32x4_t)c, (float32x4_t)a, (float32x4_t)b); }
SIMD_INLINE float vsum(vf v) { return vaddvq_f32((float32x4_t)v); }
#else
SIMD_INLINE vf vfma(vf a, vf b, vf c) { return a * b + c; }   // SSE2 has no FMA: two roundings
SIMD_INLINE float vsum(vf v) { return (v[0] + v[2]) + (v[1] + v[3]); }
#endif

#endif

#endif
