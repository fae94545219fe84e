// device_weights: plan offsets in one arena (deduplicating tied tensors), allocate, copy.
#include "runtime/model/cuda/device_weights.h"

#include <fmt/format.h>

#include <unordered_map>

namespace tts::model {

namespace {

namespace kc = kernels::cuda;

// Byte offsets of every distinct host tensor inside the arena, 256-byte aligned.
struct arena_plan {
    std::vector<std::pair<const void *, size_t>> items;   // (host data, bytes) in arena order
    std::unordered_map<const void *, size_t> offset;
    size_t total = 0;

    void add(const void * host, size_t bytes) {
        if (!host || offset.contains(host)) return;
        total = (total + 255) / 256 * 256;
        offset[host] = total;
        items.emplace_back(host, bytes);
        total += bytes;
    }
};

}  // namespace

result<device_weights> device_weights::upload(const std::string & path, const model_config & cfg, const weights & w) {
    arena_plan plan;
    auto matrix = [&](const kernels::cpu::weight_view & m, const std::string & name) -> status {
        if (!kc::is_supported(m.type))
            return status::invalid_argument(fmt::format("{}: tensor '{}' has type {}, which the CUDA kernels do not support",
                                                        path, name, kernels::dtype_name(uint32_t(m.type))));
        if (m.n_in % 32 != 0)
            return status::invalid_argument(fmt::format(
                "{}: tensor '{}' has rows of {} values; the CUDA kernels need a multiple of 32", path, name, m.n_in));
        plan.add(m.data, kernels::row_bytes(uint32_t(m.type), m.n_in) * size_t(m.n_out));
        return status::ok();
    };
    auto vec = [&](const float * v, int64_t n) { plan.add(v, size_t(n) * sizeof(float)); };

    const int64_t q_dim = int64_t(cfg.n_heads) * cfg.head_dim, kv_dim = int64_t(cfg.n_kv_heads) * cfg.head_dim;
    if (status s = matrix(w.token_embd, "token_embd.weight"); !s.is_ok()) return s;
    if (status s = matrix(w.output, "output.weight"); !s.is_ok()) return s;
    vec(w.output_norm, cfg.n_embd);
    for (int32_t i = 0; i < cfg.n_layers; ++i) {
        const layer_weights & l = w.layers[size_t(i)];
        auto n = [i](const char * s) { return fmt::format("blk.{}.{}", i, s); };
        for (auto [m, name] : {std::pair{&l.wq, "attn_q.weight"}, {&l.wk, "attn_k.weight"}, {&l.wv, "attn_v.weight"},
                               {&l.wo, "attn_output.weight"}, {&l.w_gate, "ffn_gate.weight"},
                               {&l.w_up, "ffn_up.weight"}, {&l.w_down, "ffn_down.weight"}}) {
            if (status s = matrix(*m, n(name)); !s.is_ok()) return s;
        }
        vec(l.attn_norm, cfg.n_embd);
        vec(l.ffn_norm, cfg.n_embd);
        vec(l.bq, q_dim);
        vec(l.bk, kv_dim);
        vec(l.bv, kv_dim);
        vec(l.q_norm, cfg.head_dim);
        vec(l.k_norm, cfg.head_dim);
    }

    device_weights d;
    if (!d.arena_.try_reserve(plan.total))
        return status::resource_exhausted(fmt::format("{}: --device cuda: {:.1f} MiB of weights do not fit in device memory",
                                                      path, double(plan.total) / (1 << 20)));
    d.n_bytes_ = plan.total;
    uint8_t * base = d.arena_.data();
    for (const auto & [host, bytes] : plan.items)
        TTS_CUDA_CHECK(cudaMemcpy(base + plan.offset.at(host), host, bytes, cudaMemcpyHostToDevice));

    auto dev = [&](const float * host) -> const float * {
        return host ? reinterpret_cast<const float *>(base + plan.offset.at(host)) : nullptr;
    };
    auto dmat = [&](const kernels::cpu::weight_view & m) {
        return kc::device_weight{base + plan.offset.at(m.data), m.type, m.n_out, m.n_in};
    };
    d.token_embd = dmat(w.token_embd);
    d.output = dmat(w.output);
    d.output_norm = dev(w.output_norm);
    d.layers.resize(size_t(cfg.n_layers));
    for (size_t i = 0; i < d.layers.size(); ++i) {
        const layer_weights & l = w.layers[i];
        device_layer & g = d.layers[i];
        g.attn_norm = dev(l.attn_norm);
        g.wq = dmat(l.wq), g.wk = dmat(l.wk), g.wv = dmat(l.wv), g.wo = dmat(l.wo);
        g.bq = dev(l.bq), g.bk = dev(l.bk), g.bv = dev(l.bv);
        g.q_norm = dev(l.q_norm), g.k_norm = dev(l.k_norm);
        g.ffn_norm = dev(l.ffn_norm);
        g.w_gate = dmat(l.w_gate), g.w_up = dmat(l.w_up), g.w_down = dmat(l.w_down);
    }
    return d;
}

}  // namespace tts::model
