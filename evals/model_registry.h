// model_registry: model names (configs/models/<name>.yaml) to model files under models/.
//
// The registry is the checked-in list of models that `make model NAME=<name>`
// (evals/scripts/fetch_model.py) fetches, verifies and places at models/<file>; configs/README.md
// describes an entry. Only the name -> file mapping is read here (`name`, `file`); the fetch
// script validates the rest (parts, sizes, checksums). Like every path in a config, the registry
// and models/ are relative to the working directory, i.e. the repository root. Every place that
// takes a model (sweep `model:`, `--model` of generate/run/bench, the eval loader) accepts a
// registry name or a path and goes through this one file. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "runtime/base/status.h"

namespace tts::eval {

inline constexpr std::string_view k_model_registry_dir = "configs/models";

// True when `s` reads as a registry name rather than a path: no '/' and no ".gguf" suffix.
bool is_model_name(std::string_view s);

// "models/<file>" for a registry name, whether or not the file is there yet. An unknown name is
// a not_found error listing the known names; a malformed entry names its file and key.
result<std::string> try_registry_model_path(std::string_view name,
                                            std::string_view registry_dir = k_model_registry_dir);

// The file a `--model` / `model:` value points at: a registry name -> models/<file>, a path ->
// itself. The file must exist: a registry model that is not there (named, or given by its
// models/ path) is a not_found error that says to run `make model NAME=<name>`; any other missing
// path is a not_found error naming it.
result<std::string> try_resolve_model(std::string_view name_or_path,
                                      std::string_view registry_dir = k_model_registry_dir);

}  // namespace tts::eval
