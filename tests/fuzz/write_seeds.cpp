// write_seeds: writes the fuzz seed corpora under tests/fuzz/corpus/ (a tool, not a test).
//
//   build/tests/fuzz/write_seeds tests/fuzz/corpus [MODEL.gguf ...]
//
// gguf/: small files from gguf_writer (every metadata type, a vocab, the tiny llama);
// tokenizer/: texts (ASCII, UTF-8, emoji, invalid bytes, digits, specials) under several
// tokenizer selectors; chat_template/: the template of each MODEL given, plus the families'
// markers, with messages; sweep_config/ and dataset/ are copied from configs/ and evals/
// by hand (see README.md). Deterministic: rerunning rewrites the same bytes.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/model/gguf_file.h"
#include "tests/support/gguf_writer.h"
#include "tests/support/tiny_model.h"

namespace fs = std::filesystem;

namespace {

void write(const fs::path & p, const std::string & bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}
void write(const fs::path & p, const std::vector<uint8_t> & bytes) {
    write(p, std::string(bytes.begin(), bytes.end()));
}

std::string nul_join(const std::vector<std::string> & fields) {
    std::string out;
    for (size_t i = 0; i < fields.size(); ++i) out += (i ? std::string(1, '\0') : std::string()) + fields[i];
    return out;
}

}  // namespace

int main(int argc, char ** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: write_seeds CORPUS_DIR [MODEL.gguf ...]\n");
        return 2;
    }
    const fs::path out = argv[1];
    using tts::testing::gguf_writer;

    gguf_writer small;
    small.add_string("general.architecture", "llama");
    small.add_u32("llama.block_count", 2);
    small.add_i32("llama.context_length", 64);
    small.add_f32("llama.rope.freq_base", 10000.0f);
    small.add_bool("tokenizer.ggml.add_bos_token", true);
    small.add_strings("tokenizer.ggml.tokens", {"a", "b", "ab"});
    small.add_f32s("tokenizer.ggml.scores", {0.5f, -1.0f, 2.0f});
    small.add_i32s("tokenizer.ggml.token_type", {1, 1, 3});
    small.add_f32_tensor("norm.weight", {4}, {1, 2, 3, 4});
    small.add_f32_tensor("mat.weight", {4, 3}, std::vector<float>(12, 0.25f));
    write(out / "gguf" / "small.gguf", small.bytes());

    gguf_writer vocab;
    vocab.add_string("general.architecture", "qwen2");
    vocab.add_string("tokenizer.ggml.model", "gpt2");
    vocab.add_string("tokenizer.ggml.pre", "qwen2");
    vocab.add_strings("tokenizer.ggml.tokens", {"<|im_start|>", "<|im_end|>", "a", "b", "ab", "\xC4\xA0",
                                                "\xC4\xA0"
                                                "a"});
    vocab.add_i32s("tokenizer.ggml.token_type", {3, 3, 1, 1, 1, 1, 1});
    vocab.add_strings("tokenizer.ggml.merges", {"a b", "\xC4\xA0 a"});
    vocab.add_u32("tokenizer.ggml.eos_token_id", 1);
    vocab.add_string("tokenizer.chat_template",
                     "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}");
    write(out / "gguf" / "vocab_qwen2.gguf", vocab.bytes());
    write(out / "gguf" / "tiny_llama.gguf", tts::testing::tiny_model_bytes({.n_ctx = 64}));

    const std::vector<std::pair<uint8_t, std::string>> texts = {
        {1, "Hello, world! The answer is 42."},
        {0x81, "<|im_start|>user\nWhat is 6*7?<|im_end|>\n<|im_start|>assistant\n"},
        {3, "  leading spaces,\ttabs\nand\r\nnewlines   "},
        {5, "caf\xC3\xA9 na\xC3\xAFve \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x98\x80\xF0\x9F\x91\x8D"},
        {7, "12345678901234567890 3.14159 1,200"},
        {9, "invalid \xFF\xFE bytes \xC3 and \xE2\x82 cut"},
        {16, "\xE2\x96\x81spm \xE2\x96\x81style"},
        {0x90, "<s>special</s><unk>"},
        {2, "I'm you're we'll they've DON'T"},
        {11, "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7 family"},
    };
    for (size_t i = 0; i < texts.size(); ++i)
        write(out / "tokenizer" / ("text" + std::to_string(i)), std::string(1, char(texts[i].first)) + texts[i].second);

    std::vector<std::string> templates = {
        "",
        "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>\n\n{{ m.content "
        "}}<|eot_id|>{% endfor %}"
        "Cutting Knowledge Date: December 2023",
        "{% for m in messages %}{% if m.role == 'user' %}<\xEF\xBD\x9CUser\xEF\xBD\x9C>{{ m.content }}{% endif %}{% "
        "endfor %}"
        "<\xEF\xBD\x9C"
        "Assistant\xEF\xBD\x9C><think>\n{{ content.split('</think>')[-1] }}",
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM<|im_end|>\n<think></think>",
        "{{ unknown template }}",
    };
    for (int i = 2; i < argc; ++i) {
        auto f = tts::model::gguf_file::open(argv[i]);
        if (!f) {
            std::fprintf(stderr, "%s\n", f.error().message().c_str());
            return 1;
        }
        if (auto t = f.value()->get_string("tokenizer.chat_template"); t && t.value()) templates.push_back(*t.value());
    }
    const std::vector<std::string> conversation = {
        "system", "Be brief.", "user", "What is 6*7?", "assistant", "<think>6*7</think>42", "user", "And 7*8?"};
    for (size_t i = 0; i < templates.size(); ++i) {
        std::vector<std::string> fields = {templates[i]};
        fields.insert(fields.end(), conversation.begin(), conversation.end());
        write(out / "chat_template" / ("template" + std::to_string(i)), std::string(1, char(i & 7)) + nul_join(fields));
    }
    return 0;
}
