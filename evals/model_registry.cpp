// model_registry: reads `name` and `file` of configs/models/<name>.yaml.
#include "evals/model_registry.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <vector>

namespace tts::eval {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_models_dir = "models/";

// The `file` of one registry entry, checked to be a plain *.gguf name and `name` to match the stem.
result<std::string> try_read_entry_file(const fs::path & yaml_path) {
    const std::string where = yaml_path.string();
    YAML::Node n;
    try {
        n = YAML::LoadFile(where);
    } catch (const YAML::Exception & e) {
        return status::invalid_argument(where + ": " + e.what());
    }
    if (!n.IsMap()) return status::invalid_argument(where + ": expected a mapping");
    const std::string stem = yaml_path.stem().string();
    if (!n["name"] || !n["name"].IsScalar() || n["name"].Scalar() != stem)
        return status::invalid_argument(where + ": name: must equal the file name without .yaml (\"" + stem + "\")");
    if (!n["file"] || !n["file"].IsScalar()) return status::invalid_argument(where + ": missing required key file");
    const std::string file = n["file"].Scalar();
    if (file.find('/') != std::string::npos || file.starts_with(".") || !file.ends_with(".gguf"))
        return status::invalid_argument(where + ": file: expected a plain *.gguf file name, got \"" + file + "\"");
    return file;
}

std::vector<fs::path> entries(std::string_view registry_dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto & e : fs::directory_iterator(fs::path(registry_dir), ec))
        if (e.path().extension() == ".yaml") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::string make_hint(std::string_view name) {
    return "run `make model NAME=" + std::string(name) + "`";
}

}  // namespace

bool is_model_name(std::string_view s) {
    return !s.empty() && s.find('/') == std::string_view::npos && !s.ends_with(".gguf");
}

result<std::string> try_registry_model_path(std::string_view name, std::string_view registry_dir) {
    const fs::path yaml_path = fs::path(registry_dir) / (std::string(name) + ".yaml");
    if (!is_model_name(name) || !fs::is_regular_file(yaml_path)) {
        std::string known;
        for (const fs::path & p : entries(registry_dir)) known += (known.empty() ? "" : ", ") + p.stem().string();
        return status::not_found("unknown model \"" + std::string(name) + "\": no " + yaml_path.string() +
                                 " (registry names: " + (known.empty() ? "none; run from the repository root" : known) +
                                 "; or give a path to a .gguf file)");
    }
    result<std::string> file = try_read_entry_file(yaml_path);
    if (!file) return file.error();
    return std::string(k_models_dir) + file.value();
}

result<std::string> try_resolve_model(std::string_view name_or_path, std::string_view registry_dir) {
    if (is_model_name(name_or_path)) {
        result<std::string> path = try_registry_model_path(name_or_path, registry_dir);
        if (!path) return path;
        if (!fs::exists(path.value()))
            return status::not_found("model \"" + std::string(name_or_path) + "\" is not downloaded (no " +
                                     path.value() + "): " + make_hint(name_or_path));
        return path;
    }
    const std::string path(name_or_path);
    if (fs::exists(path)) return path;
    // A registry model given by its path: say how to fetch it.
    const std::string base = fs::path(path).filename().string();
    for (const fs::path & p : entries(registry_dir)) {
        result<std::string> file = try_read_entry_file(p);
        if (file && file.value() == base)
            return status::not_found("model file " + path + " is missing: " + make_hint(p.stem().string()));
    }
    return status::not_found("model file " + path + " does not exist");
}

}  // namespace tts::eval
