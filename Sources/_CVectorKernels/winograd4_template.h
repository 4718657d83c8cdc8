// Winograd F(4×4, 3×3) transforms (Lavin & Gray 2016, interpolation points 0, ±1, ±2, ∞), written
// once over an abstract vector type and included by winograd4_kernels.c once per instruction set.
// The includer defines:
//   SD_SUFFIX               name suffix (avx512, avx2, portable)
//   SD_TARGET               the function attribute selecting the instruction set (or nothing)
//   SD_V, SD_LANES          the vector type and its lane count
//   SD_LOAD(p), SD_STORE(p, v)                 full-width unaligned load / store
//   SD_LOAD_PART(p, n), SD_STORE_PART(p, v, n) the first n ≤ SD_LANES lanes only (no access beyond)
//   SD_GATHER9(p, n)        lane l = p[9·l] for l < n
//   SD_ADD, SD_SUB, SD_MUL, SD_SET1
// and this file undefines them all at its end, so the next variant can define them afresh.
// Every variant does the same float operations in the same order (no contraction into FMA: see
// FP_CONTRACT in the includer), so all of them give bit-identical results.

#define SD_CAT2(a, b) a##b
#define SD_CAT(a, b) SD_CAT2(a, b)
#define SD_NAME(name) SD_CAT(name, SD_SUFFIX)

// h = G g for one column g of a filter,
// G = [[1/4, 0, 0], [-1/6, -1/6, -1/6], [-1/6, 1/6, -1/6], [1/24, 1/12, 1/6], [1/24, -1/12, 1/6], [0, 0, 1]].
SD_TARGET static inline void SD_NAME(sd_w4_g_)(SD_V g0, SD_V g1, SD_V g2, SD_V *h) {
    SD_V outer = SD_ADD(g0, g2);
    h[0] = SD_MUL(SD_SET1(0.25f), g0);
    h[1] = SD_MUL(SD_SET1(-1.0f / 6.0f), SD_ADD(outer, g1));
    h[2] = SD_MUL(SD_SET1(-1.0f / 6.0f), SD_SUB(outer, g1));
    SD_V even = SD_ADD(SD_MUL(SD_SET1(1.0f / 24.0f), g0), SD_MUL(SD_SET1(1.0f / 6.0f), g2));
    SD_V odd = SD_MUL(SD_SET1(1.0f / 12.0f), g1);
    h[3] = SD_ADD(even, odd);
    h[4] = SD_SUB(even, odd);
    h[5] = g2;
}

// r = Bᵀ d for one column d of an input patch,
// Bᵀ = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
//       [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]].
SD_TARGET static inline void SD_NAME(sd_w4_bt_)(SD_V d0, SD_V d1, SD_V d2, SD_V d3, SD_V d4, SD_V d5, SD_V *r) {
    SD_V four = SD_SET1(4.0f), five = SD_SET1(5.0f), two = SD_SET1(2.0f);
    SD_V a = SD_SUB(d4, SD_MUL(four, d2));     // d4 − 4 d2
    SD_V b = SD_SUB(d3, SD_MUL(four, d1));     // d3 − 4 d1
    SD_V c = SD_SUB(d4, d2);
    SD_V e = SD_MUL(two, SD_SUB(d3, d1));
    r[0] = SD_ADD(SD_SUB(SD_MUL(four, d0), SD_MUL(five, d2)), d4);
    r[1] = SD_ADD(a, b);
    r[2] = SD_SUB(a, b);
    r[3] = SD_ADD(c, e);
    r[4] = SD_SUB(c, e);
    r[5] = SD_ADD(SD_SUB(SD_MUL(four, d1), SD_MUL(five, d3)), d5);
}

// y = Aᵀ m for one column m of a product tile, Aᵀ = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0],
// [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]].
SD_TARGET static inline void SD_NAME(sd_w4_at_)(SD_V m0, SD_V m1, SD_V m2, SD_V m3, SD_V m4, SD_V m5, SD_V *y) {
    SD_V a = SD_ADD(m1, m2), b = SD_SUB(m1, m2), c = SD_ADD(m3, m4), d = SD_SUB(m3, m4);
    y[0] = SD_ADD(SD_ADD(m0, a), c);
    y[1] = SD_ADD(b, SD_MUL(SD_SET1(2.0f), d));
    y[2] = SD_ADD(a, SD_MUL(SD_SET1(4.0f), c));
    y[3] = SD_ADD(SD_ADD(b, SD_MUL(SD_SET1(8.0f), d)), m5);
}

SD_TARGET void SD_NAME(sd_winograd4_filters_)(const float *weight, size_t count, float *u, size_t plane) {
    for (size_t f = 0; f < count; f += SD_LANES) {
        size_t n = count - f < SD_LANES ? count - f : SD_LANES;
        const float *g = weight + f * 9;
        SD_V taps[9];
        for (int q = 0; q < 9; q++) taps[q] = SD_GATHER9(g + q, n);
        // t = G g, column by column (column x of g is taps x, 3 + x, 6 + x).
        SD_V t[3][6];
        for (int x = 0; x < 3; x++) SD_NAME(sd_w4_g_)(taps[x], taps[3 + x], taps[6 + x], t[x]);
        // Row y of t times Gᵀ is row y of U.
        for (int y = 0; y < 6; y++) {
            SD_V h[6];
            SD_NAME(sd_w4_g_)(t[0][y], t[1][y], t[2][y], h);
            for (int x = 0; x < 6; x++) SD_STORE_PART(u + (size_t)(y * 6 + x) * plane + f, h[x], n);
        }
    }
}

SD_TARGET void SD_NAME(sd_winograd4_input_)(const float *image, ptrdiff_t height, ptrdiff_t width, ptrdiff_t firstRow,
                                            ptrdiff_t padLeft, size_t columns, float *scratch, float *v, size_t plane) {
    size_t stride = sd_winograd4_phase_stride(columns);
    float *d = scratch, *w = scratch + 24 * stride;
    sd_w4_fill_phases(image, height, width, firstRow, padLeft, stride, d);
    // Bᵀ on the left: row i of Bᵀ d, for every column of the tile row (in its phase array).
    for (size_t s = 0; s < 4; s++) {
        for (size_t j = 0; j < stride; j += SD_LANES) {
            SD_V r[6];
            SD_NAME(sd_w4_bt_)(SD_LOAD(d + (0 * 4 + s) * stride + j), SD_LOAD(d + (1 * 4 + s) * stride + j),
                               SD_LOAD(d + (2 * 4 + s) * stride + j), SD_LOAD(d + (3 * 4 + s) * stride + j),
                               SD_LOAD(d + (4 * 4 + s) * stride + j), SD_LOAD(d + (5 * 4 + s) * stride + j), r);
            for (size_t i = 0; i < 6; i++) SD_STORE(w + (i * 4 + s) * stride + j, r[i]);
        }
    }
    // B on the right: tile j's six columns are phases 0–3 at j and phases 0–1 at j + 1.
    for (size_t i = 0; i < 6; i++) {
        const float *row = w + i * 4 * stride;
        for (size_t j = 0; j < columns; j += SD_LANES) {
            size_t n = columns - j < SD_LANES ? columns - j : SD_LANES;
            SD_V r[6];
            SD_NAME(sd_w4_bt_)(SD_LOAD(row + j), SD_LOAD(row + stride + j), SD_LOAD(row + 2 * stride + j),
                               SD_LOAD(row + 3 * stride + j), SD_LOAD(row + j + 1), SD_LOAD(row + stride + j + 1), r);
            for (size_t x = 0; x < 6; x++) SD_STORE_PART(v + (i * 6 + x) * plane + j, r[x], n);
        }
    }
}

SD_TARGET void SD_NAME(sd_winograd4_output_)(const float *m, size_t plane, size_t columns, float bias,
                                             float *out, size_t outWidth, size_t rows) {
    float staged[4][SD_LANES];
    for (size_t j = 0; j < columns; j += SD_LANES) {
        size_t n = columns - j < SD_LANES ? columns - j : SD_LANES;
        // Aᵀ on the left, column by column: s[x][r] is row r of column x.
        SD_V s[6][4];
        for (size_t x = 0; x < 6; x++) {
            const float *p = m + x * plane + j;
            SD_NAME(sd_w4_at_)(SD_LOAD_PART(p, n), SD_LOAD_PART(p + 6 * plane, n), SD_LOAD_PART(p + 12 * plane, n),
                               SD_LOAD_PART(p + 18 * plane, n), SD_LOAD_PART(p + 24 * plane, n),
                               SD_LOAD_PART(p + 30 * plane, n), s[x]);
        }
        // A on the right: output row r of the n tiles, interleaved (tile l's column q at 4·l + q).
        size_t width = outWidth - 4 * j < 4 * n ? outWidth - 4 * j : 4 * n;
        for (size_t r = 0; r < rows; r++) {
            SD_V y[4];
            SD_NAME(sd_w4_at_)(s[0][r], s[1][r], s[2][r], s[3][r], s[4][r], s[5][r], y);
            for (size_t q = 0; q < 4; q++) SD_STORE(staged[q], SD_ADD(y[q], SD_SET1(bias)));
            float *line = out + r * outWidth + 4 * j;
            for (size_t e = 0; e < width; e++) line[e] = staged[e & 3][e >> 2];
        }
    }
}

#undef SD_CAT2
#undef SD_CAT
#undef SD_NAME
#undef SD_SUFFIX
#undef SD_TARGET
#undef SD_V
#undef SD_LANES
#undef SD_LOAD
#undef SD_STORE
#undef SD_LOAD_PART
#undef SD_STORE_PART
#undef SD_GATHER9
#undef SD_ADD
#undef SD_SUB
#undef SD_MUL
#undef SD_SET1
