// reference: naive scalar ops; see reference.h. Correctness over speed, every time.
#include "kernels/ref/reference.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "runtime/base/check.h"

namespace tts::kernels::ref {

namespace {

uint16_t rd16(const uint8_t * p) { return uint16_t(p[0] | (p[1] << 8)); }
float rdf16(const uint8_t * p) { return f16_to_f32(rd16(p)); }

// q4_k: 6-bit scale and min of sub-block j, unpacked from the 12 packed bytes.
void q4_k_sm(const uint8_t * s, int j, int & sc, int & m) {
    if (j < 4) {
        sc = s[j] & 63;
        m = s[j + 4] & 63;
    } else {
        sc = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
        m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

void dequant_block(dtype t, const uint8_t * b, float * y) {
    switch (t) {
    case dtype::q4_0:
        for (int j = 0; j < 16; ++j) {
            y[j] = rdf16(b) * float((b[2 + j] & 15) - 8);
            y[j + 16] = rdf16(b) * float((b[2 + j] >> 4) - 8);
        }
        break;
    case dtype::q4_1:
        for (int j = 0; j < 16; ++j) {
            y[j] = rdf16(b) * float(b[4 + j] & 15) + rdf16(b + 2);
            y[j + 16] = rdf16(b) * float(b[4 + j] >> 4) + rdf16(b + 2);
        }
        break;
    case dtype::q5_0:
    case dtype::q5_1: {
        const bool has_min = t == dtype::q5_1;
        const uint8_t * qh = b + (has_min ? 4 : 2);
        const uint8_t * qs = qh + 4;
        const uint32_t h = uint32_t(qh[0]) | uint32_t(qh[1]) << 8 | uint32_t(qh[2]) << 16 | uint32_t(qh[3]) << 24;
        for (int j = 0; j < 32; ++j) {
            int q = (j < 16 ? qs[j] & 15 : qs[j - 16] >> 4) | int((h >> j) & 1) << 4;
            y[j] = has_min ? rdf16(b) * float(q) + rdf16(b + 2) : rdf16(b) * float(q - 16);
        }
        break;
    }
    case dtype::q8_0:
        for (int j = 0; j < 32; ++j) y[j] = rdf16(b) * float(int8_t(b[2 + j]));
        break;
    case dtype::q4_k:
    case dtype::q5_k: {
        // q5_k: d, dmin, scales[12], qh[32], qs[128]; bit `sub` of qh[l] is bit 4 of value l.
        const bool five = t == dtype::q5_k;
        const float d = rdf16(b), dmin = rdf16(b + 2);
        const uint8_t * sc = b + 4;
        const uint8_t * qh = b + 16;
        const uint8_t * qs = b + (five ? 48 : 16);
        for (int sub = 0; sub < 8; ++sub) {
            int s, m;
            q4_k_sm(sc, sub, s, m);
            for (int l = 0; l < 32; ++l) {
                const uint8_t byte = qs[(sub / 2) * 32 + l];
                int q = sub % 2 == 0 ? byte & 15 : byte >> 4;
                if (five) q += 16 * ((qh[l] >> sub) & 1);
                y[sub * 32 + l] = d * float(s) * float(q) - dmin * float(m);
            }
        }
        break;
    }
    case dtype::q6_k: {
        const uint8_t * ql = b;
        const uint8_t * qh = b + 128;
        const int8_t * sc = reinterpret_cast<const int8_t *>(b + 192);
        const float d = rdf16(b + 208);
        for (int i = 0; i < 256; ++i) {
            const int half = i / 128, r = i % 128, quarter = r / 32, l = r % 32;
            const uint8_t lbyte = ql[half * 64 + (quarter % 2) * 32 + l];
            const int lo = quarter < 2 ? lbyte & 15 : lbyte >> 4;
            const int hi = (qh[half * 32 + l] >> (2 * quarter)) & 3;
            y[i] = d * float(sc[half * 8 + quarter * 2 + l / 16]) * float((lo | hi << 4) - 32);
        }
        break;
    }
    default:
        TTS_CHECK(false, "ref: unsupported weight type %s", dtype_name(uint32_t(t)));
    }
}

}  // namespace

float f16_to_f32(uint16_t h) {
    const int sign = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v;
    if (e == 31) v = m ? NAN : INFINITY;
    else if (e == 0) v = std::ldexp(double(m), -24);
    else v = std::ldexp(double(1024 + m), e - 25);
    return float(sign ? -v : v);
}

uint16_t f32_to_f16(float f) {
    const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
    if (std::isnan(f)) return sign | 0x7e00;
    const double a = std::fabs(double(f));
    if (a >= 65520.0) return sign | 0x7c00;
    if (a < std::ldexp(1.0, -14)) return uint16_t(sign | int(std::nearbyint(std::ldexp(a, 24))));
    int e;
    std::frexp(a, &e);
    int exp = e - 1;
    double q = std::nearbyint(std::ldexp(a, 10 - exp));   // in [1024, 2048]
    if (q == 2048) {
        q = 1024;
        ++exp;
    }
    return uint16_t(sign | (exp + 15) << 10 | (int(q) - 1024));
}

void dequantize_row(dtype t, const void * row, float * out, int64_t n) {
    const uint8_t * p = static_cast<const uint8_t *>(row);
    if (t == dtype::f32) {
        std::memcpy(out, p, size_t(n) * 4);
        return;
    }
    if (t == dtype::f16 || t == dtype::bf16) {
        for (int64_t i = 0; i < n; ++i) {
            const uint16_t h = rd16(p + 2 * i);
            if (t == dtype::f16) {
                out[i] = f16_to_f32(h);
            } else {
                const uint32_t u = uint32_t(h) << 16;
                std::memcpy(&out[i], &u, 4);
            }
        }
        return;
    }
    const int64_t be = block_elems(uint32_t(t));
    TTS_CHECK(be > 0 && n % be == 0, "ref: bad row length %lld", (long long)n);
    for (int64_t b = 0; b < n / be; ++b) dequant_block(t, p + b * block_bytes(uint32_t(t)), out + b * be);
}

void matmul(const cpu::weight_view & w, const float * x, int64_t n_tok, float * y) {
    std::vector<float> row(size_t(w.n_in));
    const size_t rb = row_bytes(uint32_t(w.type), w.n_in);
    for (int64_t o = 0; o < w.n_out; ++o) {
        dequantize_row(w.type, static_cast<const uint8_t *>(w.data) + o * rb, row.data(), w.n_in);
        for (int64_t t = 0; t < n_tok; ++t) {
            double s = 0;
            for (int64_t i = 0; i < w.n_in; ++i) s += double(row[i]) * double(x[t * w.n_in + i]);
            y[t * w.n_out + o] = float(s);
        }
    }
}

void embed_rows(const cpu::weight_view & w, const int32_t * ids, int64_t n, float * out) {
    const size_t rb = row_bytes(uint32_t(w.type), w.n_in);
    for (int64_t i = 0; i < n; ++i) {
        dequantize_row(w.type, static_cast<const uint8_t *>(w.data) + ids[i] * rb, out + i * w.n_in, w.n_in);
    }
}

void rmsnorm(const float * x, const float * w, float * y, int64_t n_rows, int64_t n_cols, float eps) {
    for (int64_t r = 0; r < n_rows; ++r) {
        double ss = 0;
        for (int64_t i = 0; i < n_cols; ++i) ss += double(x[r * n_cols + i]) * x[r * n_cols + i];
        const double inv = 1.0 / std::sqrt(ss / double(n_cols) + eps);
        for (int64_t i = 0; i < n_cols; ++i) y[r * n_cols + i] = float(x[r * n_cols + i] * inv * w[i]);
    }
}

void rope(float * x, int64_t n_tok, int64_t n_heads, int64_t head_dim, const int32_t * pos, float freq_base,
          cpu::rope_mode mode) {
    const int64_t half = head_dim / 2;
    for (int64_t t = 0; t < n_tok; ++t) {
        for (int64_t h = 0; h < n_heads; ++h) {
            float * v = x + (t * n_heads + h) * head_dim;
            for (int64_t i = 0; i < half; ++i) {
                const double theta = pos[t] * std::pow(double(freq_base), -2.0 * double(i) / double(head_dim));
                const int64_t a = mode == cpu::rope_mode::normal ? 2 * i : i;
                const int64_t b = mode == cpu::rope_mode::normal ? 2 * i + 1 : i + half;
                const double x0 = v[a], x1 = v[b];
                v[a] = float(x0 * std::cos(theta) - x1 * std::sin(theta));
                v[b] = float(x0 * std::sin(theta) + x1 * std::cos(theta));
            }
        }
    }
}

void silu_mul(const float * gate, const float * up, float * out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const double g = gate[i];
        out[i] = float(g / (1.0 + std::exp(-g)) * up[i]);
    }
}

void kv_append(const kv::kv_view & kv, int32_t layer, const float * k, const float * v, const int32_t * tok_seq,
               const int32_t * tok_pos, int64_t n_tok) {
    for (int64_t t = 0; t < n_tok; ++t) {
        const int32_t page = kv.page_of(tok_seq[t], tok_pos[t]);
        for (int32_t h = 0; h < kv.n_kv_heads; ++h) {
            const size_t off = kv.offset(layer, page, h, tok_pos[t] % kv.block_size);
            for (int32_t i = 0; i < kv.head_dim; ++i) {
                const int64_t src = (t * kv.n_kv_heads + h) * kv.head_dim + i;
                kv.k[off + i] = f32_to_f16(k[src]);
                kv.v[off + i] = f32_to_f16(v[src]);
            }
        }
    }
}

void paged_attention(const float * q, const kv::kv_view & kv, int32_t layer, int64_t n_heads,
                     const int32_t * tok_seq, const int32_t * tok_pos, int64_t n_tok, float scale, float * out) {
    const int64_t d = kv.head_dim, group = n_heads / kv.n_kv_heads;
    for (int64_t t = 0; t < n_tok; ++t) {
        const int32_t n_ctx = tok_pos[t] + 1;
        for (int64_t h = 0; h < n_heads; ++h) {
            const int32_t kvh = int32_t(h / group);
            const float * qv = q + (t * n_heads + h) * d;
            std::vector<double> s(size_t(n_ctx), 0.0);
            double mx = -INFINITY;
            for (int32_t p = 0; p < n_ctx; ++p) {
                const size_t off = kv.offset(layer, kv.page_of(tok_seq[t], p), kvh, p % kv.block_size);
                for (int64_t i = 0; i < d; ++i) s[p] += double(qv[i]) * f16_to_f32(kv.k[off + i]);
                s[p] *= scale;
                mx = std::fmax(mx, s[p]);
            }
            double sum = 0;
            for (double & e : s) sum += (e = std::exp(e - mx));
            for (int64_t i = 0; i < d; ++i) {
                double acc = 0;
                for (int32_t p = 0; p < n_ctx; ++p) {
                    const size_t off = kv.offset(layer, kv.page_of(tok_seq[t], p), kvh, p % kv.block_size);
                    acc += s[p] * f16_to_f32(kv.v[off + i]);
                }
                out[(t * n_heads + h) * d + i] = float(acc / sum);
            }
        }
    }
}

}  // namespace tts::kernels::ref
