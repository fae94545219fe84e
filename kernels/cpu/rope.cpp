// rope: rotary position embedding, in place, normal (adjacent pairs) or neox (split halves).
//
// Angles are computed in double (pos * base^(-2i/d)) so long positions keep full precision;
// cos/sin are evaluated once per token and shared by all its heads.
#include <cmath>
#include <vector>

#include "kernels/cpu/ops.h"
#include "runtime/base/check.h"

namespace tts::kernels::cpu {

void rope(float * x, int64_t n_tok, int64_t n_heads, int64_t head_dim, const int32_t * pos, float freq_base,
          rope_mode mode) {
    TTS_CHECK(head_dim > 0 && head_dim % 2 == 0, "rope: head_dim %lld must be even", (long long)head_dim);
    const int64_t half = head_dim / 2;
    std::vector<double> inv_freq(static_cast<size_t>(half));
    for (int64_t i = 0; i < half; ++i) inv_freq[i] = std::pow(double(freq_base), -2.0 * double(i) / double(head_dim));
    std::vector<float> cs(static_cast<size_t>(half)), sn(static_cast<size_t>(half));
    const int64_t stride_pair = mode == rope_mode::normal ? 2 : 1;   // element step between pairs
    const int64_t other = mode == rope_mode::normal ? 1 : half;      // offset of a pair's partner
    for (int64_t t = 0; t < n_tok; ++t) {
        for (int64_t i = 0; i < half; ++i) {
            const double theta = double(pos[t]) * inv_freq[i];
            cs[i] = float(std::cos(theta));
            sn[i] = float(std::sin(theta));
        }
        for (int64_t h = 0; h < n_heads; ++h) {
            float * v = x + (t * n_heads + h) * head_dim;
            for (int64_t i = 0; i < half; ++i) {
                float & a = v[i * stride_pair];
                float & b = v[i * stride_pair + other];
                const float x0 = a, x1 = b;
                a = x0 * cs[i] - x1 * sn[i];
                b = x0 * sn[i] + x1 * cs[i];
            }
        }
    }
}

}  // namespace tts::kernels::cpu
