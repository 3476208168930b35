// Direct and Winograd convolution kernels (NNLayers) and half-precision accumulation
// (NNUNetRuntime), compiled with runtime CPU dispatch.
#ifndef ORGANA_NN_KERNELS_H
#define ORGANA_NN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Stride-1, "same"-padded 3-D convolution (2-D as depth 1) for output planes [z_begin, z_end).
/// x: [cin][d][h][w]; weight_t: weights as [cin][kd][kh][kw][cout rounded up to a multiple of 8] (zeros in the
/// padding); out: [cout][d][h][w], already
/// holding the bias (the kernel accumulates into it). Padding is (k - 1) / 2 per axis, kernel sizes odd.
/// Returns 0, or -1 when its padded copy of the input planes could not be allocated (out untouched).
int organa_direct_conv3d_s1(const float *x, ptrdiff_t cin, ptrdiff_t d, ptrdiff_t h, ptrdiff_t w,
                            const float *weight_t, ptrdiff_t cout, ptrdiff_t kd, ptrdiff_t kh, ptrdiff_t kw,
                            float *out, ptrdiff_t z_begin, ptrdiff_t z_end);

/// Winograd F(2×2×2, 3×3×3) (winograd.c). Filter: weight [cout][cin][3][3][3] → u [64][cout][cin].
void organa_winograd_filter_transform(const float *weight, ptrdiff_t cout, ptrdiff_t cin, float *u);

/// Input tiles of tile rows [row_begin, row_end) for work items [item_begin, item_end), item = c · rows + row
/// offset: x [cin][d][h][w] → v [64][cin][rows · ⌈w/2⌉]. Returns 0, or -1 when scratch could not be allocated.
int organa_winograd_input_transform(const float *x, ptrdiff_t cin, ptrdiff_t d, ptrdiff_t h, ptrdiff_t w,
                                    ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t item_begin,
                                    ptrdiff_t item_end, float *v);

/// Output tiles: m [64][cout][rows · ⌈w/2⌉] added into out [cout][d][h][w] (which holds the bias) for work
/// items [item_begin, item_end), item = o · rows + row offset. Returns 0, or -1 when scratch could not be
/// allocated.
int organa_winograd_output_transform(const float *m, ptrdiff_t cout, ptrdiff_t d, ptrdiff_t h, ptrdiff_t w,
                                     ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t item_begin,
                                     ptrdiff_t item_end, float *out);

/// acc[i] = fp16(fp32(acc[i]) + add[i]) for i < n, rounding to nearest even (acc holds IEEE binary16 bits).
void organa_half_accumulate(uint16_t *acc, const float *add, ptrdiff_t n);

#endif
