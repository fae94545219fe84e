// The CUDA forward pass: decoder.cpp's op sequence as kernels/cuda launches on one stream.
#include "runtime/model/cuda/cuda_forward.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "kernels/cuda/check.h"
#include "kernels/cuda/dequant.cuh"
#include "kernels/cuda/device.h"
#include "kernels/cuda/dispatch.h"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/kv_append.cuh"
#include "kernels/cuda/matmul.cuh"
#include "kernels/cuda/paged_attention.cuh"
#include "kernels/cuda/rmsnorm.cuh"
#include "kernels/cuda/rope.cuh"

namespace tts::model {

namespace kc = kernels::cuda;

result<std::unique_ptr<forward_backend>> make_cuda_backend(const std::string & path, const model_config & cfg,
                                                           const weights & w) {
    auto be = cuda_forward::create(path, cfg, w);
    if (!be) return be.error();
    return std::unique_ptr<forward_backend>(std::move(be).value());
}

result<std::unique_ptr<cuda_forward>> cuda_forward::create(const std::string & path, const model_config & cfg,
                                                           const weights & w) {
    if (std::string why = kc::why_no_device(); !why.empty())
        return status::unavailable(fmt::format("{}: --device cuda: no usable CUDA device ({})", path, why));
    if (std::find(std::begin(kc::k_head_dims), std::end(kc::k_head_dims), cfg.head_dim) == std::end(kc::k_head_dims))
        return status::invalid_argument(fmt::format("{}: --device cuda: head size {} (the CUDA attention kernel is "
                                                    "built for {}; kernels/cuda/dispatch.h)",
                                                    path, cfg.head_dim, fmt::join(kc::k_head_dims, ", ")));
    if (cfg.n_heads > 65535 || cfg.n_heads % cfg.n_kv_heads != 0)
        return status::invalid_argument(fmt::format("{}: --device cuda: {} heads over {} KV heads", path, cfg.n_heads,
                                                    cfg.n_kv_heads));
    const char * gemm = std::getenv("TTS_CUDA_GEMM");
    if (gemm && std::strcmp(gemm, "cublas") != 0 && std::strcmp(gemm, "tiled") != 0)
        return status::invalid_argument(fmt::format("TTS_CUDA_GEMM: expected tiled or cublas, got \"{}\"", gemm));
    auto dw = device_weights::upload(path, cfg, w);
    if (!dw) return dw.error();
    cudaStream_t s = nullptr;
    TTS_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    const bool use_cublas = gemm && std::strcmp(gemm, "cublas") == 0;
    return std::unique_ptr<cuda_forward>(new cuda_forward(cfg, s, std::move(dw).value(), use_cublas));
}

cuda_forward::cuda_forward(const model_config & cfg, cudaStream_t s, device_weights w, bool use_cublas)
    : cfg_(cfg), stream_(s), kv_(std::make_unique<device_kv_storage>(s)),
      cublas_(std::make_unique<kc::cublas_context>(s)), w_(std::move(w)), use_cublas_(use_cublas) {
    if (use_cublas_) {
        size_t n = kc::matmul_cublas_scratch(w_.output);
        for (const device_layer & l : w_.layers)
            for (const kc::device_weight * m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
                n = std::max(n, kc::matmul_cublas_scratch(*m));
        gemm_.reserve(n);
    }
}

cuda_forward::~cuda_forward() {
    cudaStreamSynchronize(stream_);
    cublas_.reset();
    kv_.reset();   // checks that no engine still holds a pool in it
    cudaStreamDestroy(stream_);
}

std::string cuda_forward::description() const {
    return fmt::format("cuda: {}, {:.1f} MiB of weights on the device, matmul {}", kc::describe_device(),
                       double(w_.n_bytes()) / (1 << 20), use_cublas_ ? "tiled + cuBLAS for prefill" : "tiled");
}

void cuda_forward::check_batch(const batch & b, const kv::kv_view & kv) const {
    const int32_t n = b.size();
    TTS_CHECK(n > 0 && b.pos.size() == size_t(n) && b.seq.size() == size_t(n), "malformed batch");
    TTS_CHECK(kv.n_layers == cfg_.n_layers && kv.n_kv_heads == cfg_.n_kv_heads && kv.head_dim == cfg_.head_dim,
              "kv_view geometry does not match the model");
    TTS_CHECK(kv_->owns(kv.k) && kv_->owns(kv.v), "--device cuda: the kv_view's pages are not in this backend's "
              "device storage (build the engine's kv_cache on decoder::kv_storage())");
    for (int32_t t = 0; t < n; ++t) {
        const int32_t s = b.seq[t], p = b.pos[t];
        TTS_CHECK(b.tokens[t] >= 0 && b.tokens[t] < cfg_.n_vocab, "token %d outside the vocabulary", b.tokens[t]);
        TTS_CHECK(s >= 0 && s < kv.n_seqs, "sequence %d of %d", s, kv.n_seqs);
        TTS_CHECK(p >= 0 && p < kv.seq_len[s] && p / kv.block_size < kv.page_indptr[s + 1] - kv.page_indptr[s],
                  "position %d outside sequence %d (len %d)", p, s, kv.seq_len[s]);
    }
    for (int32_t r : b.logits_rows) TTS_CHECK(r >= 0 && r < n, "logits row %d outside the batch", r);
}

void cuda_forward::upload_step(const batch & b, const kv::kv_view & kv) {
    const size_t n = size_t(b.size()), n_out = b.logits_rows.size(), n_seqs = size_t(kv.n_seqs);
    const size_t nnz = size_t(kv.page_indptr[kv.n_seqs]);
    ints_host_.clear();
    for (const std::vector<int32_t> * v : {&b.tokens, &b.pos, &b.seq, &b.logits_rows})
        ints_host_.insert(ints_host_.end(), v->begin(), v->end());
    ints_host_.insert(ints_host_.end(), kv.page_indptr, kv.page_indptr + n_seqs + 1);
    ints_host_.insert(ints_host_.end(), kv.page_indices, kv.page_indices + nnz);
    ints_host_.insert(ints_host_.end(), kv.seq_len, kv.seq_len + n_seqs);
    ints_.reserve(ints_host_.size());
    TTS_CUDA_CHECK(cudaMemcpyAsync(ints_.data(), ints_host_.data(), ints_host_.size() * sizeof(int32_t),
                                   cudaMemcpyHostToDevice, stream_));
    const int32_t * d = ints_.data();
    d_tokens_ = d;
    d_pos_ = d + n;
    d_seq_ = d + 2 * n;
    d_rows_ = d + 3 * n;
    dkv_ = kv;   // k and v already point into the device pool
    dkv_.page_indptr = d + 3 * n + n_out;
    dkv_.page_indices = dkv_.page_indptr + n_seqs + 1;
    dkv_.seq_len = dkv_.page_indices + nnz;
}

void cuda_forward::ensure_scratch(int32_t n, int32_t n_out) {
    const size_t q_dim = size_t(cfg_.n_heads) * cfg_.head_dim, kv_dim = size_t(cfg_.n_kv_heads) * cfg_.head_dim;
    const size_t e = size_t(cfg_.n_embd);
    for (auto [buf, dim] : {std::pair{&x_, e}, {&h_, e}, {&out_, e}, {&q_, q_dim}, {&att_, q_dim}, {&k_, kv_dim},
                            {&v_, kv_dim}, {&gate_, size_t(cfg_.n_ff)}, {&up_, size_t(cfg_.n_ff)}})
        buf->reserve(size_t(n) * dim);
    logits_.reserve(std::max<size_t>(size_t(n_out), 1) * size_t(cfg_.n_vocab));
}

void cuda_forward::matmul(const kc::device_weight & w, const float * x, int32_t n, float * y) {
    if (step_uses_cublas_) return kc::matmul_cublas(*cublas_, w, x, n, y, gemm_.data(), gemm_.size());
    kc::matmul(w, x, n, y, stream_);
}

void cuda_forward::attention_block(int32_t il, int32_t n) {
    const device_layer & l = w_.layers[size_t(il)];
    const int64_t hd = cfg_.head_dim, q_dim = int64_t(cfg_.n_heads) * hd, kv_dim = int64_t(cfg_.n_kv_heads) * hd;
    kc::rmsnorm(x_.data(), l.attn_norm, h_.data(), n, cfg_.n_embd, cfg_.rms_eps, stream_);
    matmul(l.wq, h_.data(), n, q_.data());
    matmul(l.wk, h_.data(), n, k_.data());
    matmul(l.wv, h_.data(), n, v_.data());
    if (l.bq) kc::add_bias(q_.data(), l.bq, n, q_dim, stream_);
    if (l.bk) kc::add_bias(k_.data(), l.bk, n, kv_dim, stream_);
    if (l.bv) kc::add_bias(v_.data(), l.bv, n, kv_dim, stream_);
    if (cfg_.has_qk_norm) {
        kc::rmsnorm(q_.data(), l.q_norm, q_.data(), int64_t(n) * cfg_.n_heads, hd, cfg_.rms_eps, stream_);
        kc::rmsnorm(k_.data(), l.k_norm, k_.data(), int64_t(n) * cfg_.n_kv_heads, hd, cfg_.rms_eps, stream_);
    }
    const bool neox = cfg_.rope == kernels::cpu::rope_mode::neox;
    kc::rope(q_.data(), n, cfg_.n_heads, hd, d_pos_, cfg_.rope_freq_base, neox, stream_);
    kc::rope(k_.data(), n, cfg_.n_kv_heads, hd, d_pos_, cfg_.rope_freq_base, neox, stream_);
    kc::kv_append(dkv_, il, k_.data(), v_.data(), d_seq_, d_pos_, n, stream_);
    kc::paged_attention(q_.data(), dkv_, il, cfg_.n_heads, d_seq_, d_pos_, n, 1.0f / std::sqrt(float(hd)), att_.data(),
                        stream_);
    matmul(l.wo, att_.data(), n, out_.data());
    kc::add_into(x_.data(), out_.data(), int64_t(n) * cfg_.n_embd, stream_);
}

void cuda_forward::ffn_block(int32_t il, int32_t n) {
    const device_layer & l = w_.layers[size_t(il)];
    kc::rmsnorm(x_.data(), l.ffn_norm, h_.data(), n, cfg_.n_embd, cfg_.rms_eps, stream_);
    matmul(l.w_gate, h_.data(), n, gate_.data());
    matmul(l.w_up, h_.data(), n, up_.data());
    kc::silu_mul(gate_.data(), up_.data(), gate_.data(), int64_t(n) * cfg_.n_ff, stream_);
    matmul(l.w_down, gate_.data(), n, out_.data());
    kc::add_into(x_.data(), out_.data(), int64_t(n) * cfg_.n_embd, stream_);
}

void cuda_forward::forward(const batch & b, const kv::kv_view & kv, float * logits) {
    check_batch(b, kv);
    const int32_t n = b.size(), n_out = int32_t(b.logits_rows.size());
    ensure_scratch(n, n_out);
    upload_step(b, kv);
    step_uses_cublas_ = use_cublas_ && n >= k_cublas_min_tokens;
    kc::dequantize_rows(w_.token_embd, d_tokens_, 0, n, x_.data(), stream_);
    for (int32_t il = 0; il < cfg_.n_layers; ++il) {
        attention_block(il, n);
        ffn_block(il, n);
    }
    if (n_out > 0) {
        step_uses_cublas_ = use_cublas_ && n_out >= k_cublas_min_tokens;
        kc::gather_rows(x_.data(), d_rows_, n_out, cfg_.n_embd, out_.data(), stream_);
        kc::rmsnorm(out_.data(), w_.output_norm, h_.data(), n_out, cfg_.n_embd, cfg_.rms_eps, stream_);
        matmul(w_.output, h_.data(), n_out, logits_.data());
        TTS_CUDA_CHECK(cudaMemcpyAsync(logits, logits_.data(), size_t(n_out) * size_t(cfg_.n_vocab) * sizeof(float),
                                       cudaMemcpyDeviceToHost, stream_));
    }
    TTS_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

}  // namespace tts::model
