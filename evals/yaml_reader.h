// yaml_reader: strict, located reads of YAML values for the typed config structs (STYLE R12).
//
// Every read takes a yaml_where (the file and the key path so far, e.g. "strategies[2].params")
// and reports a failure as an invalid_argument status "<file>:<line>:<col>: <path>: <reason>",
// quoting the offending value: `configs/demo.yaml:12:5: strategies[2].params.m: expected
// integer >= 1, got "three"`. A quoted scalar ("3") is a string, never a number. Unknown keys
// are errors (expect_keys). Pure functions over yaml-cpp nodes; callable from any thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

#include <yaml-cpp/yaml.h>

#include "runtime/base/status.h"

namespace tts::eval {

// Where a node sits: its file and its key path from the document root.
struct yaml_where {
    std::string file;  // as given by the caller (shown first in messages)
    std::string path;  // "" at the root, then "a.b[2].c"

    yaml_where key(std::string_view k) const;  // path + ".k"
    yaml_where index(size_t i) const;          // path + "[i]"
};

// The error for `node` (or, when it has no position, the nearest one the caller knows).
status yaml_error(const YAML::Node & node, const yaml_where & w, std::string_view reason);

// How a node reads in an error message: "\"three\"", "a mapping", "a sequence", "null".
std::string yaml_describe(const YAML::Node & node);

// REQUIRES nothing; errors when `node` is not a mapping or has a key outside `allowed`.
status expect_keys(const YAML::Node & node, const yaml_where & w, std::initializer_list<std::string_view> allowed);
status expect_sequence(const YAML::Node & node, const yaml_where & w);

result<int64_t> read_int(const YAML::Node & node, const yaml_where & w, int64_t min = INT64_MIN, int64_t max = INT64_MAX);
result<double> read_number(const YAML::Node & node, const yaml_where & w, double min, double max);
result<bool> read_bool(const YAML::Node & node, const yaml_where & w);
result<std::string> read_string(const YAML::Node & node, const yaml_where & w);

// A strategy parameter: its type is the YAML scalar's (plain 8 -> int, 0.5 -> double,
// true -> bool, "8" or abc -> string).
using param_value = std::variant<int64_t, double, bool, std::string>;
result<param_value> read_param_value(const YAML::Node & node, const yaml_where & w);
std::string to_string(const param_value & v);  // 8, 0.5, true, abc

}  // namespace tts::eval
