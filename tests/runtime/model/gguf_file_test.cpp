#include "runtime/model/gguf_file.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "tests/support/gguf_writer.h"

using tts::model::gguf_file;
using tts::testing::gguf_writer;

namespace {

gguf_writer small_file() {
    gguf_writer w;
    w.add_string("general.architecture", "llama");
    w.add_u32("llama.block_count", 2);
    w.add_f32("llama.rope.freq_base", 10000.0f);
    w.add_bool("tokenizer.ggml.add_bos_token", true);
    w.add_strings("tokenizer.ggml.tokens", {"a", "b", "ccc"});
    w.add_f32s("tokenizer.ggml.scores", {0.5f, -1.0f, 2.0f});
    w.add_i32s("tokenizer.ggml.token_type", {1, 1, 3});
    w.add_f32_tensor("norm.weight", {4}, {1, 2, 3, 4});
    w.add_f32_tensor("mat.weight", {4, 3}, std::vector<float>(12, 0.25f));
    return w;
}

}  // namespace

TEST_CASE("a well-formed file parses: every value type we wrote reads back") {
    auto f = gguf_file::from_bytes(small_file().bytes(), "small.gguf");
    REQUIRE_MESSAGE(f.is_ok(), (f.is_ok() ? "" : f.error().message()));
    const gguf_file & g = *f.value();
    CHECK(g.version() == 3);
    CHECK(*g.get_string("general.architecture").value() == "llama");
    CHECK(*g.get_int("llama.block_count").value() == 2);
    CHECK(*g.get_float("llama.rope.freq_base").value() == doctest::Approx(10000.0));
    CHECK(*g.get_bool("tokenizer.ggml.add_bos_token").value());
    CHECK(g.get_string_array("tokenizer.ggml.tokens").value().at(2) == "ccc");
    CHECK(g.get_float_array("tokenizer.ggml.scores").value().at(2) == doctest::Approx(2.0));
    CHECK(g.get_int_array("tokenizer.ggml.token_type").value().at(2) == 3);
    CHECK_FALSE(g.get_int("missing.key").value().has_value());
    CHECK_FALSE(g.get_int("general.architecture").is_ok());   // wrong type is an error
    const auto * t = g.find_tensor("mat.weight");
    REQUIRE(t);
    CHECK(t->n_elems() == 12);
    CHECK(t->n_bytes == 48);
    CHECK(reinterpret_cast<const float *>(t->data)[11] == 0.25f);
    CHECK(reinterpret_cast<const float *>(g.find_tensor("norm.weight")->data)[3] == 4.0f);
}

TEST_CASE("every truncation of a file is an error naming the file, never a crash") {
    const auto bytes = small_file().bytes();
    for (size_t n = 0; n < bytes.size(); n += (n < 400 ? 1 : 7)) {
        std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
        auto f = gguf_file::from_bytes(cut, "cut.gguf");
        // A cut inside the trailing padding of the last tensor still holds every byte.
        if (f.is_ok()) continue;
        CHECK(f.error().message().find("cut.gguf") != std::string::npos);
    }
    auto f = gguf_file::from_bytes({bytes.begin(), bytes.begin() + bytes.size() / 2}, "half.gguf");
    REQUIRE_FALSE(f.is_ok());
    CHECK(f.error().message().find("truncated") != std::string::npos);
}

TEST_CASE("bit flips anywhere in the header are errors or harmless, never out-of-bounds reads") {
    const auto bytes = small_file().bytes();
    const size_t header_end = bytes.size() - 96;   // tensor data follows
    std::mt19937 rng(7);
    int n_errors = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        auto b = bytes;
        size_t at = rng() % header_end;
        b[at] ^= uint8_t(1u << (rng() % 8));
        auto f = gguf_file::from_bytes(std::move(b), "flip.gguf");
        if (!f.is_ok()) {
            ++n_errors;
            CHECK(f.error().message().rfind("flip.gguf: invalid GGUF: ", 0) == 0);
        }
    }
    CHECK(n_errors > 300);   // most flips in lengths, types and counts must be caught
}

TEST_CASE("specific corruptions give specific messages") {
    auto msg = [](std::vector<uint8_t> b) {
        auto f = gguf_file::from_bytes(std::move(b), "x.gguf");
        return f.is_ok() ? std::string("ok") : f.error().message();
    };
    auto bytes = small_file().bytes();
    auto b = bytes;
    b[0] = 'X';
    CHECK(msg(b).find("bad magic") != std::string::npos);
    b = bytes;
    b[4] = 9;
    CHECK(msg(b).find("unsupported version 9") != std::string::npos);

    gguf_writer w = small_file();
    w.add_tensor("bad.type", 99, {32}, std::vector<uint8_t>(128));
    CHECK(msg(w.bytes()).find("'bad.type': unknown type id 99") != std::string::npos);

    gguf_writer q;
    q.add_tensor("odd.q8", 8, {33}, std::vector<uint8_t>(64));   // Q8_0 rows are blocks of 32
    CHECK(msg(q.bytes()).find("not a whole number") != std::string::npos);

    gguf_writer big;
    big.add_tensor("too.big", 0, {1024, 1024}, std::vector<uint8_t>(64));   // claims 4 MiB
    CHECK(msg(big.bytes()).find("outside the file") != std::string::npos);
}

TEST_CASE("open() reports a missing file and a directory") {
    auto f = gguf_file::open("/nonexistent/model.gguf");
    REQUIRE_FALSE(f.is_ok());
    CHECK(f.error().message().find("/nonexistent/model.gguf") != std::string::npos);
    CHECK_FALSE(gguf_file::open("/tmp").is_ok());
}

TEST_CASE("the default model parses, when present") {
    const char * path = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
    if (!std::filesystem::exists(path)) {
        MESSAGE("default model absent; skipped");
        return;
    }
    auto f = gguf_file::open(path);
    REQUIRE_MESSAGE(f.is_ok(), (f.is_ok() ? "" : f.error().message()));
    CHECK(f.value()->tensors().size() == 272);
    CHECK(*f.value()->get_string("general.architecture").value() == "llama");
    CHECK(f.value()->get_string_array("tokenizer.ggml.tokens").value().size() == 49152);
}
