#include "runtime/model/weights.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/gguf_writer.h"

using namespace tts;

namespace {

std::shared_ptr<const model::gguf_file> open_written(const testing::gguf_writer & w, const std::string & name) {
    const std::string path = (std::filesystem::temp_directory_path() / name).string();
    const std::vector<uint8_t> bytes = w.bytes();
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
    auto f = model::gguf_file::open(path);
    REQUIRE_MESSAGE(f.is_ok(), (f.is_ok() ? "" : f.error().message()));
    return f.value();
}

model::model_config tiny_config() {
    model::model_config c;
    c.n_layers = 1;
    c.n_embd = 32;
    c.n_ff = 64;
    c.n_heads = 2;
    c.n_kv_heads = 1;
    c.head_dim = 16;
    c.n_vocab = 4;
    return c;
}

}  // namespace

TEST_CASE("weights: a missing tensor and a wrong shape are errors naming the file and tensor") {
    testing::gguf_writer w;
    w.add_string("general.architecture", "llama");
    w.add_f32_tensor("token_embd.weight", {32, 4}, std::vector<float>(128, 0.5f));
    w.add_f32_tensor("output_norm.weight", {31}, std::vector<float>(31, 1.0f));
    auto f = open_written(w, "tts_weights_shape.gguf");
    auto r = model::weights::load(f, tiny_config());
    REQUIRE(!r.is_ok());
    CHECK(r.error().message().find("tts_weights_shape.gguf") != std::string::npos);
    CHECK(r.error().message().find("output_norm.weight") != std::string::npos);
    CHECK(r.error().message().find("shape") != std::string::npos);

    testing::gguf_writer m;
    m.add_string("general.architecture", "llama");
    m.add_f32_tensor("token_embd.weight", {32, 4}, std::vector<float>(128, 0.5f));
    auto missing = model::weights::load(open_written(m, "tts_weights_missing.gguf"), tiny_config());
    REQUIRE(!missing.is_ok());
    CHECK(missing.error().message().find("tts_weights_missing.gguf") != std::string::npos);
    CHECK(missing.error().message().find("'output_norm.weight' is missing") != std::string::npos);
}

TEST_CASE("weights: Llama 3.1 rope_freqs (not applied yet) is refused, not silently ignored") {
    testing::gguf_writer w;
    w.add_string("general.architecture", "llama");
    w.add_f32_tensor("rope_freqs.weight", {8}, std::vector<float>(8, 1.0f));
    auto r = model::weights::load(open_written(w, "tts_weights_rope_freqs.gguf"), tiny_config());
    REQUIRE(!r.is_ok());
    CHECK(r.error().message().find("rope_freqs.weight") != std::string::npos);
    CHECK(r.error().message().find("not supported") != std::string::npos);
}
