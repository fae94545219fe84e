// dispatch: the only template instances the CUDA kernels have — weight types and head sizes —
// and the dispatchers that map a run-time value onto them (STYLE R8: instantiate only what
// ships; anything else is a TTS_CHECK, never a silent fallback). Plain C++: the .cu launchers,
// the loaders' checks and the host tests all use the same lists.
#pragma once

#include <type_traits>

#include "kernels/dtype.h"
#include "runtime/base/check.h"

namespace tts::kernels::cuda {

template <dtype T>
using dtype_tag = std::integral_constant<dtype, T>;

// Every kernels::weight_dtype(): what the runtime loads.
constexpr dtype k_shipped_dtypes[] = {dtype::f32,  dtype::f16,  dtype::bf16, dtype::q4_0, dtype::q4_1,
                                      dtype::q5_0, dtype::q5_1, dtype::q8_0, dtype::q4_k, dtype::q6_k};

// Calls f(dtype_tag<T>{}) for a shipped weight type.
template <typename F>
void dispatch_dtype(dtype t, F && f) {
    switch (t) {
    case dtype::f32: return f(dtype_tag<dtype::f32>{});
    case dtype::f16: return f(dtype_tag<dtype::f16>{});
    case dtype::bf16: return f(dtype_tag<dtype::bf16>{});
    case dtype::q4_0: return f(dtype_tag<dtype::q4_0>{});
    case dtype::q4_1: return f(dtype_tag<dtype::q4_1>{});
    case dtype::q5_0: return f(dtype_tag<dtype::q5_0>{});
    case dtype::q5_1: return f(dtype_tag<dtype::q5_1>{});
    case dtype::q8_0: return f(dtype_tag<dtype::q8_0>{});
    case dtype::q4_k: return f(dtype_tag<dtype::q4_k>{});
    case dtype::q6_k: return f(dtype_tag<dtype::q6_k>{});
    default: TTS_CHECK(false, "CUDA kernels have no instance for weight type %s", dtype_name(uint32_t(t)));
    }
}

// The head sizes of the shipped models (SmolLM2, Qwen2.5-0.5B: 64; Qwen2.5-1.5B: 128).
constexpr int k_head_dims[] = {64, 128};

// Calls f(std::integral_constant<int, D>{}) for a shipped head size.
template <typename F>
void dispatch_head_dim(int head_dim, F && f) {
    switch (head_dim) {
    case 64: return f(std::integral_constant<int, 64>{});
    case 128: return f(std::integral_constant<int, 128>{});
    default: TTS_CHECK(false, "CUDA paged attention has no instance for head_dim %d", head_dim);
    }
}

}  // namespace tts::kernels::cuda
