// tiny_model: metadata, vocabulary and random tensors of a one-layer llama, written with gguf_writer.
#include "tests/support/tiny_model.h"

#include <cmath>
#include <fstream>
#include <random>
#include <vector>

#include "runtime/model/byte_level.h"
#include "tests/support/gguf_writer.h"

namespace tts::testing {
namespace {

constexpr int64_t n_embd = 32, n_ff = 64, n_heads = 2, n_kv_heads = 1, head_dim = 16;

std::vector<float> draw(std::mt19937_64 & rng, size_t n, float scale, float mean = 0.0f) {
    std::normal_distribution<float> d(mean, scale);
    std::vector<float> v(n);
    for (float & x : v) x = d(rng);
    return v;
}

}  // namespace

std::string write_tiny_llama(const std::string & path, uint64_t seed) {
    std::vector<std::string> tokens;
    for (int b = 0; b < 256; ++b) tokens.push_back(model::byte_level_encode(std::string(1, char(b))));
    tokens.push_back("~~");
    for (const char * s : {"<|im_start|>", "<|im_end|>", "<|endoftext|>"}) tokens.push_back(s);
    std::vector<int32_t> types(tokens.size(), 1);                             // normal
    for (size_t i = tokens.size() - 3; i < tokens.size(); ++i) types[i] = 3;  // control
    const int64_t n_vocab = int64_t(tokens.size());

    gguf_writer w;
    w.add_string("general.architecture", "llama");
    w.add_string("general.name", "tiny-random-llama");
    w.add_u32("llama.block_count", 1);
    w.add_u32("llama.embedding_length", uint32_t(n_embd));
    w.add_u32("llama.feed_forward_length", uint32_t(n_ff));
    w.add_u32("llama.attention.head_count", uint32_t(n_heads));
    w.add_u32("llama.attention.head_count_kv", uint32_t(n_kv_heads));
    w.add_u32("llama.context_length", 1024);
    w.add_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    w.add_f32("llama.rope.freq_base", 10000.0f);
    w.add_string("tokenizer.ggml.model", "gpt2");
    w.add_string("tokenizer.ggml.pre", "gpt2");
    w.add_strings("tokenizer.ggml.tokens", tokens);
    w.add_i32s("tokenizer.ggml.token_type", types);
    w.add_strings("tokenizer.ggml.merges", {"~ ~"});
    w.add_u32("tokenizer.ggml.eos_token_id", uint32_t(n_vocab - 1));

    std::mt19937_64 rng(seed);
    const float s_in = 1.0f / std::sqrt(float(n_embd));
    w.add_f32_tensor("token_embd.weight", {n_embd, n_vocab}, draw(rng, size_t(n_embd * n_vocab), 1.0f));
    w.add_f32_tensor("blk.0.attn_norm.weight", {n_embd}, draw(rng, size_t(n_embd), 0.1f, 1.0f));
    w.add_f32_tensor("blk.0.attn_q.weight", {n_embd, n_heads * head_dim},
                     draw(rng, size_t(n_embd * n_heads * head_dim), s_in));
    w.add_f32_tensor("blk.0.attn_k.weight", {n_embd, n_kv_heads * head_dim},
                     draw(rng, size_t(n_embd * n_kv_heads * head_dim), s_in));
    w.add_f32_tensor("blk.0.attn_v.weight", {n_embd, n_kv_heads * head_dim},
                     draw(rng, size_t(n_embd * n_kv_heads * head_dim), s_in));
    w.add_f32_tensor("blk.0.attn_output.weight", {n_heads * head_dim, n_embd},
                     draw(rng, size_t(n_embd * n_heads * head_dim), s_in));
    w.add_f32_tensor("blk.0.ffn_norm.weight", {n_embd}, draw(rng, size_t(n_embd), 0.1f, 1.0f));
    w.add_f32_tensor("blk.0.ffn_gate.weight", {n_embd, n_ff}, draw(rng, size_t(n_embd * n_ff), s_in));
    w.add_f32_tensor("blk.0.ffn_up.weight", {n_embd, n_ff}, draw(rng, size_t(n_embd * n_ff), s_in));
    w.add_f32_tensor("blk.0.ffn_down.weight", {n_ff, n_embd},
                     draw(rng, size_t(n_embd * n_ff), 1.0f / std::sqrt(float(n_ff))));
    w.add_f32_tensor("output_norm.weight", {n_embd}, draw(rng, size_t(n_embd), 0.1f, 1.0f));
    // Small output weights: logits within about +-0.5, so sampling at temperature 1 is nearly uniform.
    w.add_f32_tensor("output.weight", {n_embd, n_vocab}, draw(rng, size_t(n_embd * n_vocab), 0.1f * s_in));

    const std::vector<uint8_t> bytes = w.bytes();
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
    return path;
}

}  // namespace tts::testing
