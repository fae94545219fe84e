// tiny_model: writes the tiny llama with gguf_writer and loads it.
#include "tests/support/tiny_model.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "tests/support/gguf_writer.h"

namespace tts::testing {
namespace {

constexpr int32_t k_layers = 2, k_embd = 32, k_ff = 64, k_heads = 4, k_kv_heads = 2;
constexpr int32_t k_head_dim = k_embd / k_heads;

std::vector<std::string> vocab_tokens() {
    std::vector<std::string> t = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
    for (char c = 'a'; c <= 'z'; ++c) t.emplace_back(1, c);
    for (char c = 'A'; c <= 'Z'; ++c) t.emplace_back(1, c);
    for (char c = '0'; c <= '9'; ++c) t.emplace_back(1, c);
    for (char c : std::string(".,!?:'-()=+*")) t.emplace_back(1, c);
    t.push_back("\xC4\xA0");   // 'Ġ', byte-level space
    t.push_back("\xC4\x8A");   // 'Ċ', byte-level newline
    t.push_back("\xC4\xA0t");  // merge "Ġ t"
    t.push_back("he");         // merge "h e"
    return t;
}

}  // namespace

std::vector<uint8_t> tiny_model_bytes(const tiny_model_options & o) {
    const std::vector<std::string> tokens = vocab_tokens();
    const int64_t n_vocab = int64_t(tokens.size());
    gguf_writer w;
    w.add_string("general.architecture", "llama");
    w.add_string("general.name", "tiny-random-llama");
    w.add_u32("llama.block_count", k_layers);
    w.add_u32("llama.embedding_length", k_embd);
    w.add_u32("llama.feed_forward_length", k_ff);
    w.add_u32("llama.attention.head_count", k_heads);
    w.add_u32("llama.attention.head_count_kv", k_kv_heads);
    w.add_u32("llama.context_length", uint32_t(o.n_ctx));
    w.add_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    w.add_string("tokenizer.ggml.model", "gpt2");
    w.add_string("tokenizer.ggml.pre", "gpt2");
    w.add_strings("tokenizer.ggml.tokens", tokens);
    std::vector<int32_t> types(tokens.size(), 1);
    types[0] = types[1] = types[2] = 3;  // control
    w.add_i32s("tokenizer.ggml.token_type", types);
    w.add_strings("tokenizer.ggml.merges", {"\xC4\xA0 t", "h e"});
    w.add_u32("tokenizer.ggml.bos_token_id", 0);
    w.add_u32("tokenizer.ggml.eos_token_id", 0);

    std::mt19937_64 rng(o.seed);
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    auto random = [&](std::vector<int64_t> shape) {
        size_t n = 1;
        for (int64_t d : shape) n *= size_t(d);
        std::vector<float> v(n);
        for (float & x : v) x = u(rng);
        return v;
    };
    auto tensor = [&](const std::string & name, std::vector<int64_t> shape) {
        w.add_f32_tensor(name, shape, random(shape));
    };
    auto ones = [&](const std::string & name, int64_t n) {
        w.add_f32_tensor(name, {n}, std::vector<float>(size_t(n), 1.0f));
    };
    tensor("token_embd.weight", {k_embd, n_vocab});
    ones("output_norm.weight", k_embd);
    tensor("output.weight", {k_embd, n_vocab});
    for (int32_t i = 0; i < k_layers; ++i) {
        const std::string b = "blk." + std::to_string(i) + ".";
        ones(b + "attn_norm.weight", k_embd);
        tensor(b + "attn_q.weight", {k_embd, k_heads * k_head_dim});
        tensor(b + "attn_k.weight", {k_embd, k_kv_heads * k_head_dim});
        tensor(b + "attn_v.weight", {k_embd, k_kv_heads * k_head_dim});
        tensor(b + "attn_output.weight", {k_heads * k_head_dim, k_embd});
        ones(b + "ffn_norm.weight", k_embd);
        tensor(b + "ffn_gate.weight", {k_embd, k_ff});
        tensor(b + "ffn_up.weight", {k_embd, k_ff});
        tensor(b + "ffn_down.weight", {k_ff, k_embd});
    }
    return w.bytes();
}

std::unique_ptr<model::decoder> make_tiny_decoder(const tiny_model_options & o) {
    static std::atomic<int> n_made{0};
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("tts_tiny_" + std::to_string(getpid()) + "_" + std::to_string(n_made++) + ".gguf"))
                                 .string();
    const std::vector<uint8_t> bytes = tiny_model_bytes(o);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
    auto d = model::decoder::load(path, 1);
    std::filesystem::remove(path);
    if (!d) {
        std::fprintf(stderr, "tiny_model: %s\n", d.error().message().c_str());
        std::abort();
    }
    return std::move(d).value();
}

}  // namespace tts::testing
