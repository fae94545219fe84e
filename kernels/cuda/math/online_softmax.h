// online_softmax: the running (max, sum) state of a softmax over keys seen one at a time, and
// the merge of two such states — the arithmetic of paged attention, on host and device.
//
// For scores s_1..s_n and values v_i, attention is sum_i exp(s_i - M) v_i / sum_i exp(s_i - M)
// for any M; the state keeps M = max so far and L = sum exp(s_i - M). push() folds one score
// and returns the factors the caller applies to its accumulator: acc = acc * alpha + p * v.
// merge() combines states over disjoint key sets: acc = acc_a * fa + acc_b * fb. An empty
// state has max = -inf and sum = 0, and merging it in changes nothing.
//
// The paged attention kernel gives each of k_attn_warps warps the logical pages
// p = w, w + k_attn_warps, ... of a token's context, pushes their keys in order, then merges the
// warps' states in warp order 0, 1, 2, ...: a fixed order per token, so results do not depend
// on the batch. The host test replays exactly that order against kernels/ref.
#pragma once

#include <math.h>

#include "kernels/cuda/math/hd.h"

namespace tts::kernels::cuda::math {

constexpr int k_attn_warps = 4;   // warps per (token, query head) in paged_attention

struct softmax_state {
    float max = -INFINITY;   // largest score seen
    float sum = 0.0f;        // sum of exp(score - max)
};

// Folds score s in. The caller then sets acc = acc * alpha + p * v. REQUIRES s finite.
TTS_HD void softmax_push(softmax_state & st, float s, float & alpha, float & p) {
    const float m = fmaxf(st.max, s);
    alpha = expf(st.max - m);   // 0 for the first key (max was -inf)
    p = expf(s - m);
    st.sum = st.sum * alpha + p;
    st.max = m;
}

// into := the state over both key sets; the caller sets acc_into = acc_into * fa + acc_from * fb.
TTS_HD void softmax_merge(softmax_state & into, const softmax_state & from, float & fa, float & fb) {
    const float m = fmaxf(into.max, from.max);
    if (m == -INFINITY) {   // both empty
        fa = 1.0f;
        fb = 0.0f;
        return;
    }
    fa = expf(into.max - m);
    fb = expf(from.max - m);
    into.sum = into.sum * fa + from.sum * fb;
    into.max = m;
}

// Factor that turns the accumulator into the output (0 when no key was seen).
TTS_HD float softmax_finish_scale(const softmax_state & st) { return st.sum > 0.0f ? 1.0f / st.sum : 0.0f; }

}  // namespace tts::kernels::cuda::math
