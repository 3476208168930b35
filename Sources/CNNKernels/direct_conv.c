// Design: direct convolution for layers with few channels, where im2col + GEMM is memory-bound (a 27-fold
// expanded column matrix feeding a GEMM with M = 8 rows). Register-blocked: for each output row chunk of 16
// voxels and block of 8 output channels, 8 × 16 accumulators stay in registers while the kernel walks every
// input channel and tap; each tap loads one 16-wide input vector (zero outside the image) and issues 8 FMAs
// with broadcast weights. Output planes are split across threads by the caller. Inner loops are plain C with
// constant trip counts that the compiler unrolls and vectorises; `target_clones` builds AVX-512, AVX2 and
// baseline versions and picks one at load time (GNU ifunc), so the binary still runs on any x86-64.
// Summation order differs from PyTorch's (float32 rounding only). Conventions as in Convolution.swift.
#include "nn_kernels.h"

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define ORGANA_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ORGANA_CLONES
#endif

#include <string.h>

enum { LANES = 16, BLOCK = 8 };
/// 16 floats: one zmm register in the AVX-512 clone, two ymm / four xmm in the others.
typedef float lanes_t __attribute__((ext_vector_type(16)));

/// acc[o] += Σ over (c, kz, ky, kx) of w[..][o] · x[c, iz, iy, x0 + shift ..< x0 + shift + 16].
__attribute__((always_inline)) static inline void accumulate(
    const float *x, ptrdiff_t cin, ptrdiff_t d, ptrdiff_t h, ptrdiff_t w, const float *weight_t,
    ptrdiff_t cout_padded, ptrdiff_t ob, ptrdiff_t kd, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t z, ptrdiff_t y,
    ptrdiff_t x0, lanes_t acc[BLOCK]) {
    const ptrdiff_t pd = (kd - 1) / 2, ph = (kh - 1) / 2, pw = (kw - 1) / 2;
    const ptrdiff_t plane = h * w, volume = d * plane;
    for (ptrdiff_t c = 0; c < cin; c++) {
        for (ptrdiff_t a = 0; a < kd; a++) {
            const ptrdiff_t iz = z + a - pd;
            if (iz < 0 || iz >= d) continue;
            for (ptrdiff_t b = 0; b < kh; b++) {
                const ptrdiff_t iy = y + b - ph;
                if (iy < 0 || iy >= h) continue;
                const float *in = x + c * volume + iz * plane + iy * w;
                const float *wt = weight_t + ((c * kd + a) * kh + b) * kw * cout_padded + ob;
                for (ptrdiff_t e = 0; e < kw; e++, wt += cout_padded) {
                    const ptrdiff_t start = x0 + e - pw;
                    lanes_t src;
                    if (start >= 0 && start + LANES <= w) {
                        memcpy(&src, in + start, sizeof src);
                    } else {
                        float edge[LANES];
                        for (int i = 0; i < LANES; i++) {
                            const ptrdiff_t ix = start + i;
                            edge[i] = (ix >= 0 && ix < w) ? in[ix] : 0.0f;
                        }
                        memcpy(&src, edge, sizeof src);
                    }
                    for (int o = 0; o < BLOCK; o++) acc[o] += wt[o] * src;
                }
            }
        }
    }
}

ORGANA_CLONES
void organa_direct_conv3d_s1(const float *x, ptrdiff_t cin, ptrdiff_t d, ptrdiff_t h, ptrdiff_t w,
                             const float *weight_t, ptrdiff_t cout, ptrdiff_t kd, ptrdiff_t kh, ptrdiff_t kw,
                             float *out, ptrdiff_t z_begin, ptrdiff_t z_end) {
    const ptrdiff_t plane = h * w, volume = d * plane;
    const ptrdiff_t cout_padded = (cout + BLOCK - 1) / BLOCK * BLOCK;
    for (ptrdiff_t z = z_begin; z < z_end; z++) {
        for (ptrdiff_t y = 0; y < h; y++) {
            for (ptrdiff_t x0 = 0; x0 < w; x0 += LANES) {
                const ptrdiff_t lanes = w - x0 < LANES ? w - x0 : LANES;
                for (ptrdiff_t ob = 0; ob < cout_padded; ob += BLOCK) {
                    lanes_t acc[BLOCK];
                    for (int o = 0; o < BLOCK; o++) acc[o] = (lanes_t)0.0f;
                    accumulate(x, cin, d, h, w, weight_t, cout_padded, ob, kd, kh, kw, z, y, x0, acc);
                    for (ptrdiff_t o = 0; o < BLOCK && ob + o < cout; o++) {
                        float *row = out + (ob + o) * volume + z * plane + y * w + x0;
                        float sum[LANES];
                        memcpy(sum, &acc[o], sizeof sum);
                        for (ptrdiff_t i = 0; i < lanes; i++) row[i] += sum[i];
                    }
                }
            }
        }
    }
}
