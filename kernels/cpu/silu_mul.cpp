// silu_mul: the SwiGLU gate, out = gate * sigmoid(gate) * up (vec_ops: polynomial exp).
#include "kernels/cpu/ops.h"
#include "kernels/cpu/vec.h"

namespace tts::kernels::cpu {

void silu_mul(const float * gate, const float * up, float * out, int64_t n) {
    vec_ops_for(simd_level_active()).silu_mul(gate, up, out, n);
}

}  // namespace tts::kernels::cpu
