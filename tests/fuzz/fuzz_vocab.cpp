// fuzz_vocab: the vocabularies, built once and kept for the process.
#include "tests/fuzz/fuzz_vocab.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "runtime/model/byte_level.h"

namespace tts::fuzz {
namespace {

const char * const k_markers[] = {
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|begin_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
    "<｜begin▁of▁sentence｜>",
    "<｜end▁of▁sentence｜>",
    "<｜User｜>",
    "<｜Assistant｜>",
    "<think>",
    "</think>",
};

model::tokenizer must(result<model::tokenizer> r) {
    if (!r) {
        std::fprintf(stderr, "fuzz_vocab: %s\n", r.error().message().c_str());
        std::abort();
    }
    return std::move(r).value();
}

model::tokenizer make_bpe(std::string_view pre) {
    model::vocab v;
    v.kind = model::vocab_kind::bpe;
    v.pre = std::string(pre);
    for (const char * m : k_markers) {
        v.tokens.emplace_back(m);
        v.types.push_back(model::token_type::control);
    }
    for (int b = 0; b < 256; ++b) {
        v.tokens.push_back(model::byte_level_encode(std::string(1, char(b))));
        v.types.push_back(model::token_type::normal);
    }
    const std::string sp = model::byte_level_encode(" ");
    for (const std::string & m : std::vector<std::string>{sp + " t", "h e", "e r", sp + "t he", "i n", "1 2"}) {
        v.merges.push_back(m);
        const size_t cut = m.find(' ');
        v.tokens.push_back(m.substr(0, cut) + m.substr(cut + 1));
        v.types.push_back(model::token_type::normal);
    }
    v.bos = 3;  // <|begin_of_text|>
    v.eos = 0;
    return must(model::tokenizer::create(std::move(v), "fuzz bpe"));
}

model::tokenizer make_spm() {
    model::vocab v;
    v.kind = model::vocab_kind::spm;
    v.tokens = {"<unk>", "<s>", "</s>"};
    v.types = {model::token_type::unknown, model::token_type::control, model::token_type::control};
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        v.tokens.emplace_back(name);
        v.types.push_back(model::token_type::byte);
    }
    for (const char * p : {"\xE2\x96\x81", "a", "b",
                           "\xE2\x96\x81"
                           "a",
                           "ab",
                           "\xE2\x96\x81"
                           "ab"}) {
        v.tokens.emplace_back(p);
        v.types.push_back(model::token_type::normal);
    }
    v.scores.assign(v.tokens.size(), 0.0f);
    for (size_t i = 0; i < v.scores.size(); ++i) v.scores[i] = float(i) * 0.01f;
    v.unk = 0;
    v.bos = 1;
    v.eos = 2;
    return must(model::tokenizer::create(std::move(v), "fuzz spm"));
}

}  // namespace

const std::vector<std::string_view> & pre_tokenizer_names() {
    static const std::vector<std::string_view> names = {
        "default",   "gpt2",   "llama3",    "llama-bpe", "qwen2", "deepseek-r1-qwen", "stablelm2", "smollm",
        "starcoder", "refact", "command-r", "smaug-bpe", "dbrx",  "tekken",           "gpt-2",     "llama-v3",
    };
    return names;
}

const model::tokenizer & byte_bpe(std::string_view pre) {
    static std::map<std::string, std::unique_ptr<model::tokenizer>, std::less<>> cache;
    auto it = cache.find(pre);
    if (it == cache.end())
        it = cache.emplace(std::string(pre), std::make_unique<model::tokenizer>(make_bpe(pre))).first;
    return *it->second;
}

const model::tokenizer & byte_spm() {
    static const model::tokenizer t = make_spm();
    return t;
}

}  // namespace tts::fuzz
