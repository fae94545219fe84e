#include "runtime/model/tokenizer.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/model/byte_level.h"
#include "runtime/model/gguf_file.h"
#include "runtime/model/pre_tokenizer.h"
#include "runtime/model/utf8_stream.h"
#include "tests/support/gguf_writer.h"

using namespace tts::model;
using ids = std::vector<token_id>;
using pieces = std::vector<std::string_view>;

namespace {

// A byte-level BPE vocab small enough to follow by hand. Merge ranks are list positions.
vocab tiny_bpe() {
    vocab v;
    v.kind = vocab_kind::bpe;
    v.pre = "gpt2";
    v.tokens = {"<|endoftext|>", "<|im_end|>", "h", "e", "l", "o", "Ġ", "w", "r", "d",
                "he", "ll", "lo", "hell", "hello", "Ġw", "or", "Ġwor", "Ġworl", "Ġworld",
                "<user>", "Ã", "©"};
    v.types.assign(v.tokens.size(), token_type::normal);
    v.types[0] = v.types[1] = token_type::control;
    v.types[20] = token_type::user_defined;
    v.merges = {"h e", "l l", "l o", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d"};
    v.bos = 0;
    v.eos = 1;
    return v;
}

// A SentencePiece vocab: higher score merges first; é has only byte tokens.
vocab tiny_spm() {
    vocab v;
    v.kind = vocab_kind::spm;
    v.tokens = {"<unk>", "<s>", "</s>", "<0xC3>", "<0xA9>", "▁", "h", "e", "l", "o",
                "▁h", "he", "▁he", "ll", "llo", "▁hello"};
    v.scores = {0, 0, 0, 0, 0, -10, -10, -10, -10, -10, -5, -1, -3, -2, -4, -6};
    v.types.assign(v.tokens.size(), token_type::normal);
    v.types[0] = token_type::unknown;
    v.types[1] = v.types[2] = token_type::control;
    v.types[3] = v.types[4] = token_type::byte;
    v.unk = 0;
    v.bos = 1;
    v.eos = 2;
    v.add_bos = true;
    v.add_space_prefix = true;
    return v;
}

tokenizer make(vocab v) {
    auto t = tokenizer::create(std::move(v), "test vocab");
    REQUIRE_MESSAGE(t.is_ok(), (t.is_ok() ? "" : t.error().message()));
    return std::move(t).value();
}

const std::string k_model = std::string(TTS_SOURCE_DIR) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf";

}  // namespace

TEST_CASE("byte-level map: printable bytes map to themselves, the rest to U+0100..") {
    CHECK(byte_level_encode(" ") == "Ġ");
    CHECK(byte_level_encode("\n") == "Ċ");
    CHECK(byte_level_encode("a!") == "a!");
    std::string all;
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
    CHECK(byte_level_decode(byte_level_encode(all)).value() == all);
    CHECK_FALSE(byte_level_decode("日").has_value());
}

TEST_CASE("pre-tokenizers split like llama.cpp") {
    auto smollm = pre_tokenizer::create("smollm").value();
    CHECK(smollm.split("a 12") == pieces{"a", " ", "1", "2"});
    CHECK(smollm.split("don't  stop") == pieces{"don", "'t", " ", " stop"});
    auto llama3 = pre_tokenizer::create("llama3").value();
    CHECK(llama3.split("12345 DON'T") == pieces{"123", "45", " DON", "'T"});
    auto qwen2 = pre_tokenizer::create("qwen2").value();
    CHECK(qwen2.split("x=123") == pieces{"x", "=", "1", "2", "3"});
    // Invalid UTF-8 bytes are isolated, never handed to PCRE2.
    CHECK(smollm.split("a\xFF" "b") == pieces{"a", "\xFF", "b"});
    for (const char * name : {"default", "gpt2", "llama-bpe", "deepseek-r1-qwen", "smaug-bpe", "tekken"}) {
        CHECK_MESSAGE(pre_tokenizer::create(name).is_ok(), name);
    }
    auto bad = pre_tokenizer::create("nonsense");
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.error().message().find("tokenizer.ggml.pre") != std::string::npos);
}

TEST_CASE("bpe: merges apply lowest rank first within each word") {
    tokenizer t = make(tiny_bpe());
    CHECK(t.encode("hello world", false) == ids{14, 19});
    CHECK(t.encode("llo", false) == ids{11, 5});   // "l l" (rank 1) beats "l o" (rank 2)
    CHECK(t.encode("é", false) == ids{21, 22});     // two byte-level characters
    CHECK(t.decode(ids{14, 19}) == "hello world");
    CHECK(t.decode(ids{21, 22}) == "é");
}

TEST_CASE("bpe: special tokens are whole-string matches only when asked") {
    tokenizer t = make(tiny_bpe());
    CHECK(t.encode("hello<|im_end|>", true) == ids{14, 1});
    const ids plain = t.encode("hello<|im_end|>", false);
    CHECK(plain.front() == 14);
    CHECK(std::find(plain.begin(), plain.end(), 1) == plain.end());
    CHECK(t.encode("he<user>llo", false) == ids{10, 20, 11, 5});  // user-defined: always
    CHECK(t.encode("hello", false, /*add_special=*/true) == ids{14});  // add_bos off
    vocab v = tiny_bpe();
    v.add_bos = v.add_eos = true;
    CHECK(make(v).encode("hello", false, true) == ids{0, 14, 1});
}

TEST_CASE("decode: control tokens only when asked") {
    tokenizer t = make(tiny_bpe());
    CHECK(t.decode(ids{14, 1}) == "hello");
    CHECK(t.decode(ids{14, 1}, true) == "hello<|im_end|>");
    CHECK(t.piece(20) == "<user>");
    CHECK(t.is_control(1));
    CHECK_FALSE(t.is_control(20));
}

TEST_CASE("spm: score-ordered merges, space prefix, byte fallback") {
    tokenizer t = make(tiny_spm());
    CHECK(t.encode("hello", false) == ids{15});
    CHECK(t.encode("hello", false, true) == ids{1, 15});
    CHECK(t.encode("hé", false) == ids{10, 3, 4});
    CHECK(t.encode("z", false) == ids{5, 0});    // no token and no byte token: unk
    CHECK(t.encode("<s>hello", true) == ids{1, 15});  // text after a special gets the prefix too
    CHECK(t.decode(ids{1, 15}) == "hello");
    CHECK(t.decode(ids{10, 3, 4}) == "hé");
    vocab v = tiny_spm();
    v.tokens.pop_back();
    v.scores.pop_back();
    v.types.pop_back();
    CHECK(make(v).encode("hello", false) == ids{12, 14});
}

TEST_CASE("utf8_stream holds back a character split across tokens") {
    tokenizer t = make(tiny_spm());
    utf8_stream s;
    CHECK(s.push(t.piece(10)) == " h");
    CHECK(s.push(t.piece(3)) == "");      // 0xC3: first half of é
    CHECK(s.has_pending());
    CHECK(s.push(t.piece(4)) == "é");
    CHECK_FALSE(s.has_pending());
    CHECK(s.push("\xF0\x9F") == "");         // 🚀 in two halves
    CHECK(s.push("\x9A\x80!") == "🚀!");
    CHECK(s.push("\xFF" "a") == "\xFF" "a");  // invalid bytes pass straight through
    CHECK(s.push("\xE6") == "");
    CHECK(s.flush() == "\xE6");
    CHECK(utf8_incomplete_tail("ab\xE6\x97") == 2);
    CHECK(utf8_incomplete_tail("\xE6\x97\xA5") == 0);
}

TEST_CASE("vocab::from_gguf validates and names the file and key") {
    auto base = [] {
        tts::testing::gguf_writer w;
        w.add_string("tokenizer.ggml.model", "gpt2");
        w.add_string("tokenizer.ggml.pre", "smollm");
        w.add_strings("tokenizer.ggml.tokens", {"a", "b", "ab"});
        w.add_i32s("tokenizer.ggml.token_type", {1, 1, 1});
        w.add_strings("tokenizer.ggml.merges", {"a b"});
        return w;
    };
    auto load = [](const tts::testing::gguf_writer & w) {
        auto f = gguf_file::from_bytes(w.bytes(), "t.gguf");
        REQUIRE(f.is_ok());
        return tokenizer::from_gguf(*f.value());
    };
    auto ok = load(base());
    REQUIRE(ok.is_ok());
    CHECK(ok->encode("ab", false) == ids{2});

    tts::testing::gguf_writer m;
    m.add_string("tokenizer.ggml.model", "bert");
    m.add_strings("tokenizer.ggml.tokens", {"a"});
    auto r = load(m);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.error().message().find("t.gguf: tokenizer.ggml.model") != std::string::npos);

    auto scores = base();
    scores.add_f32s("tokenizer.ggml.scores", {0.0f, 1.0f});
    r = load(scores);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.error().message().find("tokenizer.ggml.scores") != std::string::npos);

    auto bos = base();
    bos.add_u32("tokenizer.ggml.bos_token_id", 7);
    r = load(bos);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.error().message().find("tokenizer.ggml.bos_token_id") != std::string::npos);

    tts::testing::gguf_writer pre;
    pre.add_string("tokenizer.ggml.model", "gpt2");
    pre.add_string("tokenizer.ggml.pre", "nonsense");
    pre.add_strings("tokenizer.ggml.tokens", {"a", "b", "ab"});
    pre.add_strings("tokenizer.ggml.merges", {"a b"});
    r = load(pre);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.error().message().find("t.gguf: tokenizer.ggml.pre") != std::string::npos);
}

TEST_CASE("SmolLM2: token ids match llama.cpp") {
    if (!std::filesystem::exists(k_model)) {
        MESSAGE("skipped: " << k_model << " not found");
        return;
    }
    auto file = gguf_file::open(k_model);
    REQUIRE(file.is_ok());
    auto tok = tokenizer::from_gguf(*file.value());
    REQUIRE_MESSAGE(tok.is_ok(), (tok.is_ok() ? "" : tok.error().message()));
    const tokenizer & t = tok.value();
    CHECK(t.n_tokens() == 49152);
    CHECK(t.get_vocab().merges.size() == 48900);
    CHECK_FALSE(t.get_vocab().add_bos);

    // Expected ids from llama.cpp (llama-cpp-python 0.3.36, vocab_only=True):
    //   Llama(model_path).tokenize(text.encode(), add_bos=False, special=True)
    struct sample { const char * text; ids expected; };
    const sample samples[] = {
        {"12345", {33, 34, 35, 36, 37}},
        {"3.14", {35, 30, 33, 36}},
        {"don't", {12420, 982}},
        {"I'm here, they'll go", {57, 5248, 1535, 28, 502, 3060, 685}},
        {"a  b   c", {81, 216, 278, 256, 265}},
        {"hello\n\nworld", {28120, 198, 198, 6693}},
        {"\tTab\there", {197, 30064, 197, 1531}},
        {"naïve café 日本語 🚀", {3546, 46494, 37366, 17097, 241, 115, 40993, 179, 120, 248, 15107, 244, 218}},
        {"<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
         {1, 4093, 198, 1780, 314, 216, 34, 27, 34, 47, 2, 198, 1, 520, 9531, 198}},
        {" leading space", {2899, 1898}},
        {"trailing   ", {4861, 4966, 333}},
        {"x = f(y)*3.5e-10;", {104, 446, 275, 24, 105, 14428, 35, 30, 37, 85, 29, 33, 32, 43}},
        {"Hello World!!! ...", {19556, 2260, 29646, 4563}},
        {"line1\r\nline2", {1311, 33, 201, 198, 1311, 34}},
        {"  \n  indented", {256, 3805, 641, 6574}},
        {"", {}},
        {"ÀÉÎõü ß ﬁ", {142, 218, 39614, 142, 232, 44511, 7170, 5549, 249, 40367}},
        {"1,234,567.89 and ³²", {33, 28, 34, 35, 36, 28, 37, 38, 39, 30, 40, 41, 284, 216, 39050, 19133}},
        {"emoji 👍🏽 family 👨‍👩‍👧",
         {391, 33777, 15107, 235, 231, 10813, 233, 138, 1564, 15107, 235, 118, 321, 231, 10813, 235, 119, 321, 231, 10813, 235, 117}},
    };
    for (const sample & s : samples) {
        CAPTURE(s.text);
        CHECK(t.encode(s.text, true) == s.expected);
        CHECK(t.decode(s.expected, true) == s.text);
    }
    // Without parse_special the marker is plain text.
    CHECK(t.encode("<|im_start|>", false) != ids{1});
    CHECK(t.decode(ids{1, 9690, 198}) == "system\n");

    // Streaming the emoji sample emits whole characters only.
    utf8_stream s;
    std::string streamed;
    for (token_id id : samples[18].expected) {
        const std::string out = s.push(t.piece(id));
        CHECK(utf8_incomplete_tail(out) == 0);
        streamed += out;
    }
    CHECK_FALSE(s.has_pending());
    CHECK(streamed == samples[18].text);
}
