// silu_mul: the SwiGLU gate, out = gate * sigmoid(gate) * up.
#include <cmath>

#include "kernels/cpu/ops.h"

namespace tts::kernels::cpu {

void silu_mul(const float * gate, const float * up, float * out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        out[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
}

}  // namespace tts::kernels::cpu
