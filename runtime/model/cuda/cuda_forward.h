// cuda_forward: the forward pass on a CUDA device — the same sequence of ops as decoder.cpp's
// CPU pass (embed, per layer: RMSNorm, q/k/v, biases, q/k norms, RoPE, KV append, paged
// attention, output projection, residual, RMSNorm, gate/up, SiLU-mul, down, residual; then the
// final norm and the vocabulary projection of the rows that want logits), as launches of
// kernels/cuda on one stream.
//
// Owns the device copy of the weights, the device KV storage the engine's pool lives in, the
// cuBLAS context and device scratch. Each forward() uploads the step's token ids, positions,
// sequence indices, logits rows and the kv_view's CSR block tables (page_indptr,
// page_indices, seq_len), runs, copies the logits back to host memory and synchronises, so
// the host sampler reads them as from the CPU pass. Batch invariant by default (every kernel
// computes a token's values in a fixed order); TTS_CUDA_GEMM=cublas routes the matmuls of
// steps of >= k_cublas_min_tokens tokens through cuBLAS instead (faster prefill, not batch
// invariant). Engine thread only.
#pragma once

#include <cuda_runtime_api.h>

#include <memory>
#include <string>
#include <vector>

#include "kernels/cuda/cublas_context.h"
#include "kernels/cuda/device_buffer.h"
#include "runtime/model/cuda/device_kv_storage.h"
#include "runtime/model/cuda/device_weights.h"
#include "runtime/model/decoder.h"
#include "runtime/model/forward_backend.h"

namespace tts::model {

class cuda_forward final : public forward_backend {
public:
    static constexpr int k_cublas_min_tokens = 32;

    // Errors as make_cuda_backend documents.
    static result<std::unique_ptr<cuda_forward>> create(const std::string & path, const model_config & cfg,
                                                        const weights & w);
    ~cuda_forward() override;

    void forward(const batch & b, const kv::kv_view & kv, float * logits) override;
    kv::kv_storage & kv_storage() override { return *kv_; }
    std::string description() const override;

    device_kv_storage & device_storage_for_testing() { return *kv_; }
    bool uses_cublas() const { return use_cublas_; }

private:
    cuda_forward(const model_config & cfg, cudaStream_t s, device_weights w, bool use_cublas);
    void check_batch(const batch & b, const kv::kv_view & kv) const;
    void upload_step(const batch & b, const kv::kv_view & kv);
    void ensure_scratch(int32_t n_tok, int32_t n_out);
    void matmul(const kernels::cuda::device_weight & w, const float * x, int32_t n, float * y);
    void attention_block(int32_t layer, int32_t n);
    void ffn_block(int32_t layer, int32_t n);

    model_config cfg_;
    cudaStream_t stream_;
    std::unique_ptr<device_kv_storage> kv_;
    std::unique_ptr<kernels::cuda::cublas_context> cublas_;
    device_weights w_;
    bool use_cublas_ = false;
    bool step_uses_cublas_ = false;

    // The step's inputs: host staging and its device copy, laid out tokens | pos | seq |
    // logits_rows | page_indptr | page_indices | seq_len.
    std::vector<int32_t> ints_host_;
    kernels::cuda::device_buffer<int32_t> ints_;
    const int32_t * d_tokens_ = nullptr;   // [n_tok]
    const int32_t * d_pos_ = nullptr;      // [n_tok]
    const int32_t * d_seq_ = nullptr;      // [n_tok]
    const int32_t * d_rows_ = nullptr;     // [n_out]
    kv::kv_view dkv_;                      // the step's view with device CSR pointers

    kernels::cuda::device_buffer<float> x_;       // [n_tok, n_embd] residual stream
    kernels::cuda::device_buffer<float> h_;       // [n_tok, n_embd] normed input
    kernels::cuda::device_buffer<float> q_;       // [n_tok, n_heads * head_dim]
    kernels::cuda::device_buffer<float> k_;       // [n_tok, n_kv_heads * head_dim]
    kernels::cuda::device_buffer<float> v_;       // [n_tok, n_kv_heads * head_dim]
    kernels::cuda::device_buffer<float> att_;     // [n_tok, n_heads * head_dim]
    kernels::cuda::device_buffer<float> gate_;    // [n_tok, n_ff]
    kernels::cuda::device_buffer<float> up_;      // [n_tok, n_ff]
    kernels::cuda::device_buffer<float> out_;     // [n_tok, n_embd]
    kernels::cuda::device_buffer<float> logits_;  // [n_out, n_vocab]
    kernels::cuda::device_buffer<float> gemm_;    // cuBLAS path: one dequantised row tile
};

}  // namespace tts::model
