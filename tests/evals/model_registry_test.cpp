#include "evals/model_registry.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "evals/sweep_config.h"

using namespace tts::eval;
namespace fs = std::filesystem;

namespace {

// A scratch repository root (configs/models/ + models/) that the test makes the working directory,
// since registry and model paths are relative to it. Restores the old directory on exit.
struct scratch_root {
    fs::path old = fs::current_path();
    fs::path dir = fs::temp_directory_path() / ("model_registry_test-" + std::to_string(::getpid()));
    scratch_root() {
        fs::create_directories(dir / "configs/models");
        fs::create_directories(dir / "models");
        fs::current_path(dir);
    }
    ~scratch_root() {
        fs::current_path(old);
        fs::remove_all(dir);
    }
    void entry(const std::string & name, const std::string & body) { std::ofstream(dir / "configs/models" / (name + ".yaml")) << body; }
    void model_file(const std::string & file) { std::ofstream(dir / "models" / file) << "GGUF"; }
};

}  // namespace

TEST_CASE("model_registry: names versus paths") {
    CHECK(is_model_name("qwen2.5-coder-0.5b"));
    CHECK(is_model_name("smollm2-135m"));
    CHECK_FALSE(is_model_name("models/SmolLM2-135M-Instruct.Q4_1.gguf"));
    CHECK_FALSE(is_model_name("local.gguf"));
    CHECK_FALSE(is_model_name(""));
}

TEST_CASE("model_registry: the shipped registry maps each name to its file under models/") {
    // Runs in the repository root (CTest's working directory), so this reads configs/models/.
    CHECK(try_registry_model_path("smollm2-135m").value() == "models/SmolLM2-135M-Instruct.Q4_1.gguf");
    CHECK(try_registry_model_path("qwen2.5-coder-0.5b").value() == "models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf");
    CHECK(try_registry_model_path("qwen2.5-coder-1.5b").value() == "models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf");
    tts::result<std::string> bad = try_registry_model_path("qwen9");
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.error().code() == tts::status_code::not_found);
    CHECK(bad.error().message().find("unknown model \"qwen9\"") != std::string::npos);
    CHECK(bad.error().message().find("qwen2.5-coder-0.5b") != std::string::npos);  // lists the known names
}

TEST_CASE("model_registry: resolving a missing registry model says how to fetch it") {
    scratch_root root;
    root.entry("tiny", "name: tiny\nfile: tiny-q4.gguf\nsize: 4\n");
    // Not downloaded: by name and by its models/ path, the message names the make command.
    tts::result<std::string> by_name = try_resolve_model("tiny");
    REQUIRE_FALSE(by_name.is_ok());
    CHECK(by_name.error().message() == "model \"tiny\" is not downloaded (no models/tiny-q4.gguf): run `make model NAME=tiny`");
    tts::result<std::string> by_path = try_resolve_model("models/tiny-q4.gguf");
    REQUIRE_FALSE(by_path.is_ok());
    CHECK(by_path.error().message() == "model file models/tiny-q4.gguf is missing: run `make model NAME=tiny`");
    // Any other missing path: named, no hint.
    CHECK(try_resolve_model("elsewhere/x.gguf").error().message() == "model file elsewhere/x.gguf does not exist");
    // Once there, both resolve to the file.
    root.model_file("tiny-q4.gguf");
    CHECK(try_resolve_model("tiny").value() == "models/tiny-q4.gguf");
    CHECK(try_resolve_model("models/tiny-q4.gguf").value() == "models/tiny-q4.gguf");
}

TEST_CASE("model_registry: a malformed entry is an error naming its file and key") {
    scratch_root root;
    root.entry("a", "name: b\nfile: a.gguf\n");
    root.entry("c", "name: c\nfile: ../c.gguf\n");
    root.entry("d", "name: d\n");
    CHECK(try_registry_model_path("a").error().message().find("configs/models/a.yaml: name: must equal") != std::string::npos);
    CHECK(try_registry_model_path("c").error().message().find("configs/models/c.yaml: file: expected a plain *.gguf") != std::string::npos);
    CHECK(try_registry_model_path("d").error().message() == "configs/models/d.yaml: missing required key file");
}

TEST_CASE("model_registry: a sweep's model may be a registry name") {
    const std::string rest = "strategies: [single]\ndatasets:\n  - path: evals/datasets/multiarith/test.jsonl\n";
    tts::result<sweep_config> c = try_parse_sweep_config("model: qwen2.5-coder-0.5b\n" + rest, "s.yaml");
    REQUIRE_MESSAGE(c.is_ok(), (c.is_ok() ? std::string() : c.error().message()));
    CHECK(c->models[0].path == "models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf");
    CHECK(c->models[0].name == "qwen2.5-coder-0.5b");
    c = try_parse_sweep_config("models:\n  - smollm2-135m\n  - {path: qwen2.5-coder-1.5b, name: big}\n" + rest, "s.yaml");
    REQUIRE_MESSAGE(c.is_ok(), (c.is_ok() ? std::string() : c.error().message()));
    CHECK(c->models[0].path == "models/SmolLM2-135M-Instruct.Q4_1.gguf");
    CHECK(c->models[1].path == "models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf");
    CHECK(c->models[1].name == "big");
    tts::result<sweep_config> bad = try_parse_sweep_config("model: qwen9\n" + rest, "s.yaml");
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.error().message().starts_with("s.yaml:1:8: model: unknown model \"qwen9\""));
    bad = try_parse_sweep_config("models:\n  - {path: qwen9}\n" + rest, "s.yaml");
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.error().message().starts_with("s.yaml:2:12: models[0].path: unknown model"));
}
