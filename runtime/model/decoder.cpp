// The forward pass, written once for llama / qwen2 / qwen3: the architectures differ only in
// q/k/v biases, per-head q/k RMSNorm and the RoPE pairing, all read from model_config.
#include "runtime/model/decoder.h"

#include <algorithm>
#include <cmath>

namespace tts::model {

namespace cpu = kernels::cpu;

result<std::unique_ptr<decoder>> decoder::load(const std::string & path, int n_threads, device_kind device) {
    auto file = gguf_file::open(path);
    if (!file) return file.error();
    auto cfg = model_config::from_gguf(*file.value());
    if (!cfg) return cfg.error();
    auto w = weights::load(file.value(), cfg.value());
    if (!w) return w.error();
    auto tok = tokenizer::from_gguf(*file.value());
    if (!tok) return tok.error();
    if (tok.value().n_tokens() > cfg.value().n_vocab)
        return status::invalid_argument(path + ": tokenizer has more tokens than the output layer");
    auto chat = chat_template::from_gguf(*file.value(), tok.value());
    if (!chat) return chat.error();
    std::unique_ptr<decoder> d(new decoder(
        file.value(), std::move(cfg).value(), std::move(w).value(),
        std::make_unique<tokenizer>(std::move(tok).value()), std::make_unique<chat_template>(std::move(chat).value()),
        n_threads));
    if (device == device_kind::cuda) {
        auto be = make_cuda_backend(path, d->cfg_, d->w_);
        if (!be) return be.error();
        d->backend_ = std::move(be).value();
    }
    return d;
}

std::string decoder::device_description() const {
    return backend_ ? backend_->description() : "cpu (" + std::to_string(pool_.size()) + " threads)";
}

decoder::decoder(std::shared_ptr<gguf_file> file, model_config cfg, weights w, std::unique_ptr<tokenizer> tok,
                 std::unique_ptr<chat_template> chat, int n_threads)
    : file_(std::move(file)), cfg_(std::move(cfg)), w_(std::move(w)), tok_(std::move(tok)), chat_(std::move(chat)),
      pool_(n_threads) {
    const model::vocab & v = tok_->get_vocab();
    for (int32_t id : {v.eos, v.eot, v.eom})
        if (id != no_token) eog_.push_back(id);
    for (int32_t id : chat_->end_of_turn()) eog_.push_back(id);
    std::sort(eog_.begin(), eog_.end());
    eog_.erase(std::unique(eog_.begin(), eog_.end()), eog_.end());
}

bool decoder::is_end_of_generation(int32_t token) const {
    return std::binary_search(eog_.begin(), eog_.end(), token);
}

void decoder::ensure_scratch(int32_t n) {
    if (n <= n_scratch_) return;
    n_scratch_ = n;
    const size_t q_dim = size_t(cfg_.n_heads) * cfg_.head_dim, kv_dim = size_t(cfg_.n_kv_heads) * cfg_.head_dim;
    x_.resize(n * size_t(cfg_.n_embd));
    h_.resize(n * size_t(cfg_.n_embd));
    out_.resize(n * size_t(cfg_.n_embd));
    q_.resize(n * q_dim);
    att_.resize(n * q_dim);
    k_.resize(n * kv_dim);
    v_.resize(n * kv_dim);
    gate_.resize(n * size_t(cfg_.n_ff));
    up_.resize(n * size_t(cfg_.n_ff));
}

namespace {
// y[n, dim] += bias[dim]
void add_bias(float * y, const float * bias, int32_t n, int64_t dim) {
    if (!bias) return;
    for (int32_t t = 0; t < n; ++t)
        for (int64_t i = 0; i < dim; ++i) y[t * dim + i] += bias[i];
}
void add_into(float * x, const float * y, size_t n) {
    for (size_t i = 0; i < n; ++i) x[i] += y[i];
}
}  // namespace

void decoder::attention_block(int32_t il, const batch & b, const kv::kv_view & kv, int32_t n) {
    const layer_weights & l = w_.layers[il];
    const int64_t hd = cfg_.head_dim, q_dim = int64_t(cfg_.n_heads) * hd, kv_dim = int64_t(cfg_.n_kv_heads) * hd;
    cpu::rmsnorm(x_.data(), l.attn_norm, h_.data(), n, cfg_.n_embd, cfg_.rms_eps);
    cpu::matmul(pool_, l.wq, h_.data(), n, q_.data());
    cpu::matmul(pool_, l.wk, h_.data(), n, k_.data());
    cpu::matmul(pool_, l.wv, h_.data(), n, v_.data());
    add_bias(q_.data(), l.bq, n, q_dim);
    add_bias(k_.data(), l.bk, n, kv_dim);
    add_bias(v_.data(), l.bv, n, kv_dim);
    if (cfg_.has_qk_norm) {
        cpu::rmsnorm(q_.data(), l.q_norm, q_.data(), int64_t(n) * cfg_.n_heads, hd, cfg_.rms_eps);
        cpu::rmsnorm(k_.data(), l.k_norm, k_.data(), int64_t(n) * cfg_.n_kv_heads, hd, cfg_.rms_eps);
    }
    cpu::rope(q_.data(), n, cfg_.n_heads, hd, b.pos.data(), cfg_.rope_freq_base, cfg_.rope);
    cpu::rope(k_.data(), n, cfg_.n_kv_heads, hd, b.pos.data(), cfg_.rope_freq_base, cfg_.rope);
    cpu::kv_append(kv, il, k_.data(), v_.data(), b.seq.data(), b.pos.data(), n);
    cpu::paged_attention(pool_, q_.data(), kv, il, cfg_.n_heads, b.seq.data(), b.pos.data(), n,
                         1.0f / std::sqrt(float(hd)), att_.data());
    cpu::matmul(pool_, l.wo, att_.data(), n, out_.data());
    add_into(x_.data(), out_.data(), size_t(n) * cfg_.n_embd);
}

void decoder::ffn_block(int32_t il, int32_t n) {
    const layer_weights & l = w_.layers[il];
    cpu::rmsnorm(x_.data(), l.ffn_norm, h_.data(), n, cfg_.n_embd, cfg_.rms_eps);
    cpu::matmul(pool_, l.w_gate, h_.data(), n, gate_.data());
    cpu::matmul(pool_, l.w_up, h_.data(), n, up_.data());
    cpu::silu_mul(gate_.data(), up_.data(), gate_.data(), int64_t(n) * cfg_.n_ff);
    cpu::matmul(pool_, l.w_down, gate_.data(), n, out_.data());
    add_into(x_.data(), out_.data(), size_t(n) * cfg_.n_embd);
}

void decoder::forward(const batch & b, const kv::kv_view & kv, float * logits) {
    if (backend_) return backend_->forward(b, kv, logits);
    const int32_t n = b.size();
    TTS_CHECK(n > 0 && b.pos.size() == size_t(n) && b.seq.size() == size_t(n), "malformed batch");
    TTS_CHECK(kv.n_layers == cfg_.n_layers && kv.n_kv_heads == cfg_.n_kv_heads && kv.head_dim == cfg_.head_dim,
              "kv_view geometry does not match the model");
    ensure_scratch(n);
    cpu::embed_rows(w_.token_embd, b.tokens.data(), n, x_.data());
    for (int32_t il = 0; il < cfg_.n_layers; ++il) {
        attention_block(il, b, kv, n);
        ffn_block(il, n);
    }
    // Gather the rows that want logits, norm them, project to the vocabulary.
    const int32_t n_out = int32_t(b.logits_rows.size());
    if (n_out == 0) return;
    for (int32_t i = 0; i < n_out; ++i) {
        const int32_t r = b.logits_rows[i];
        TTS_CHECK(r >= 0 && r < n, "logits row %d outside the batch", r);
        std::copy_n(x_.data() + size_t(r) * cfg_.n_embd, cfg_.n_embd, out_.data() + size_t(i) * cfg_.n_embd);
    }
    cpu::rmsnorm(out_.data(), w_.output_norm, h_.data(), n_out, cfg_.n_embd, cfg_.rms_eps);
    cpu::matmul(pool_, w_.output, h_.data(), n_out, logits);
}

}  // namespace tts::model
