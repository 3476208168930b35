// Design: Winograd F(2×2×2, 3×3×3) for stride-1, padding-1, 3³ convolutions (Lavin & Gray 2016, "Fast
// Algorithms for Convolutional Neural Networks", nested per axis). Each 2×2×2 output tile comes from a 4×4×4
// input tile: V = Bᵀ d B and U = G g Gᵀ per axis give 64 transformed values per (channel, tile) and per
// (output, input) channel pair; the 64 products M[e] = U[e] · V[e] are matrix products over the input channels
// (done by the caller with SGEMM), and Y = Aᵀ M A gives the 8 outputs. Multiplies per output voxel and channel
// pair: 64 / 8 = 8 instead of 27 (3.4 × fewer), at the cost of the transforms (adds only) and of V and M being
// 8 × the size of the input and output they stand for, which is why the caller works on blocks of tile rows.
// Tiles are numbered t = (tz · nty + ty) · ntx + tx over the output (ntx = ⌈w / 2⌉, …); a "tile row" is one
// (tz, ty). Transforms run a whole tile row at once, so every inner loop runs over tx with unit-stride or
// stride-2 access that the compiler vectorises; `target_clones` as in direct_conv.c.
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],  Aᵀ = [1 1 1 0; 0 1 −1 −1].
// Index e = 16 · a + 4 · b + k with a, b, k the transformed z, y, x positions, in V, U and M alike.
// Rounding: float32 throughout; F(2, 3)'s transforms have coefficients 0, ±½, ±1, so the error stays within a
// few ulps of a direct sum (parity bound in docs/design/0002-network-runtime.md).
#include "nn_kernels.h"

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define ORGANA_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ORGANA_CLONES
#endif

#include <stdlib.h>
#include <string.h>

void organa_winograd_filter_transform(const float *weight, ptrdiff_t cout, ptrdiff_t cin, float *u) {
    static const double g[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    for (ptrdiff_t o = 0; o < cout; o++) {
        for (ptrdiff_t c = 0; c < cin; c++) {
            const float *w = weight + (o * cin + c) * 27;
            double x1[3][3][4], x2[3][4][4];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    for (int k = 0; k < 4; k++)
                        x1[i][j][k] = g[k][0] * w[i * 9 + j * 3] + g[k][1] * w[i * 9 + j * 3 + 1]
                                      + g[k][2] * w[i * 9 + j * 3 + 2];
            for (int i = 0; i < 3; i++)
                for (int b = 0; b < 4; b++)
                    for (int k = 0; k < 4; k++)
                        x2[i][b][k] = g[b][0] * x1[i][0][k] + g[b][1] * x1[i][1][k] + g[b][2] * x1[i][2][k];
            for (int a = 0; a < 4; a++)
                for (int b = 0; b < 4; b++)
                    for (int k = 0; k < 4; k++)
                        u[((a * 16 + b * 4 + k) * cout + o) * cin + c] =
                            (float)(g[a][0] * x2[0][b][k] + g[a][1] * x2[1][b][k] + g[a][2] * x2[2][b][k]);
        }
    }
}

/// r[0..3][tx] = Bᵀ (s[0], s[1], s[2], s[3]) element-wise over tx.
static inline void input_combine(const float *s0, const float *s1, const float *s2, const float *s3, float *r0,
                                 float *r1, float *r2, float *r3, ptrdiff_t n) {
    for (ptrdiff_t t = 0; t < n; t++) {
        const float a = s0[t], b = s1[t], c = s2[t], d = s3[t];
        r0[t] = a - c;
        r1[t] = b + c;
        r2[t] = c - b;
        r3[t] = b - d;
    }
}

ORGANA_CLONES
int organa_winograd_input_transform(const float *x, ptrdiff_t cin, ptrdiff_t d, ptrdiff_t h, ptrdiff_t w,
                                    ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t item_begin,
                                    ptrdiff_t item_end, float *v) {
    const ptrdiff_t ntx = (w + 1) / 2, nty = (h + 1) / 2;
    const ptrdiff_t rows = row_end - row_begin, columns = rows * ntx;
    // line: one input row with a zero on each side and zeros up to 2·ntx + 2; xt[i][j][k]: the x-transformed
    // rows of the 4 × 4 input rows of a tile row; yt[i][b][k]: after the y-transform.
    float *line = calloc((size_t)(2 * ntx + 2), sizeof(float));
    float *xt = malloc((size_t)(2 * 64 * ntx) * sizeof(float));
    if (line == NULL || xt == NULL) {
        free(line);
        free(xt);
        return -1;
    }
    float *yt = xt + 64 * ntx;
    for (ptrdiff_t item = item_begin; item < item_end; item++) {
        const ptrdiff_t c = item / rows, r = row_begin + item % rows;
        const ptrdiff_t tz = r / nty, ty = r % nty;
        for (int i = 0; i < 4; i++) {
            const ptrdiff_t z = 2 * tz - 1 + i;
            for (int j = 0; j < 4; j++) {
                const ptrdiff_t y = 2 * ty - 1 + j;
                float *out = xt + (i * 16 + j * 4) * ntx;
                if (z < 0 || z >= d || y < 0 || y >= h) {
                    memset(out, 0, (size_t)(4 * ntx) * sizeof(float));
                    continue;
                }
                memcpy(line + 1, x + ((c * d + z) * h + y) * w, (size_t)w * sizeof(float));
                for (ptrdiff_t t = 0; t < ntx; t++) {
                    const float a = line[2 * t], b = line[2 * t + 1], cc = line[2 * t + 2], dd = line[2 * t + 3];
                    out[t] = a - cc;
                    out[ntx + t] = b + cc;
                    out[2 * ntx + t] = cc - b;
                    out[3 * ntx + t] = b - dd;
                }
            }
        }
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 4; k++) {
                const float *s = xt + (i * 16 + k) * ntx;
                float *o = yt + (i * 16 + k) * ntx;
                input_combine(s, s + 4 * ntx, s + 8 * ntx, s + 12 * ntx, o, o + 4 * ntx, o + 8 * ntx,
                              o + 12 * ntx, ntx);
            }
        const ptrdiff_t column = (r - row_begin) * ntx;
        for (int b = 0; b < 4; b++)
            for (int k = 0; k < 4; k++) {
                const float *s = yt + (b * 4 + k) * ntx;
                float *o = v + ((b * 4 + k) * cin + c) * columns + column;
                const ptrdiff_t plane = 16 * cin * columns;
                input_combine(s, s + 16 * ntx, s + 32 * ntx, s + 48 * ntx, o, o + plane, o + 2 * plane,
                              o + 3 * plane, ntx);
            }
    }
    free(line);
    free(xt);
    return 0;
}

/// r0 = s0 + s1 + s2, r1 = s1 − s2 − s3 element-wise over tx (Aᵀ).
static inline void output_combine(const float *s0, const float *s1, const float *s2, const float *s3, float *r0,
                                  float *r1, ptrdiff_t n) {
    for (ptrdiff_t t = 0; t < n; t++) {
        r0[t] = s0[t] + s1[t] + s2[t];
        r1[t] = s1[t] - s2[t] - s3[t];
    }
}

ORGANA_CLONES
int organa_winograd_output_transform(const float *m, ptrdiff_t cout, ptrdiff_t d, ptrdiff_t h, ptrdiff_t w,
                                     ptrdiff_t row_begin, ptrdiff_t row_end, ptrdiff_t item_begin,
                                     ptrdiff_t item_end, float *out) {
    const ptrdiff_t ntx = (w + 1) / 2, nty = (h + 1) / 2;
    const ptrdiff_t rows = row_end - row_begin, columns = rows * ntx;
    // zt[i][b][k] after the z-transform (i < 2), yt[i][j][k] after the y-transform (j < 2), line: one output row
    // of 2 · ntx values.
    float *zt = malloc((size_t)(32 * ntx + 16 * ntx + 2 * ntx) * sizeof(float));
    if (zt == NULL) return -1;
    float *yt = zt + 32 * ntx, *line = yt + 16 * ntx;
    const ptrdiff_t plane = 16 * cout * columns;
    for (ptrdiff_t item = item_begin; item < item_end; item++) {
        const ptrdiff_t o = item / rows, r = row_begin + item % rows;
        const ptrdiff_t tz = r / nty, ty = r % nty;
        const float *source = m + o * columns + (r - row_begin) * ntx;
        for (int b = 0; b < 4; b++)
            for (int k = 0; k < 4; k++) {
                const float *s = source + (b * 4 + k) * cout * columns;
                output_combine(s, s + plane, s + 2 * plane, s + 3 * plane, zt + (b * 4 + k) * ntx,
                               zt + (16 + b * 4 + k) * ntx, ntx);
            }
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 4; k++) {
                const float *s = zt + (i * 16 + k) * ntx;
                output_combine(s, s + 4 * ntx, s + 8 * ntx, s + 12 * ntx, yt + (i * 8 + k) * ntx,
                               yt + (i * 8 + 4 + k) * ntx, ntx);
            }
        for (int i = 0; i < 2; i++) {
            const ptrdiff_t z = 2 * tz + i;
            if (z >= d) continue;
            for (int j = 0; j < 2; j++) {
                const ptrdiff_t y = 2 * ty + j;
                if (y >= h) continue;
                const float *s = yt + (i * 8 + j * 4) * ntx;
                for (ptrdiff_t t = 0; t < ntx; t++) {
                    line[2 * t] = s[t] + s[ntx + t] + s[2 * ntx + t];
                    line[2 * t + 1] = s[ntx + t] - s[2 * ntx + t] - s[3 * ntx + t];
                }
                float *target = out + ((o * d + z) * h + y) * w;
                for (ptrdiff_t xx = 0; xx < w; xx++) target[xx] += line[xx];
            }
        }
    }
    free(zt);
    return 0;
}
