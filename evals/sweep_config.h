// sweep_config: the typed form of a sweep YAML file (configs/README.md lists every key).
//
// A sweep is models x datasets (each a subset of a JSONL file) x strategy configs (each a point
// of a strategy's parameter grid) x seeds, under one engine setup, one sampling setup, one prompt
// template and one budget. Parsing is strict and happens once, here (STYLE R12): each section
// struct has in-class defaults and a from_yaml that names file:line:col and the key path of any
// unknown key or bad value. Strategy parameter *names* are checked by the strategy registry when
// the runner is built; here only their shape (scalar or list of scalars = grid axis) and the
// counts every strategy shares (k, m, n, ... integers >= 1) are checked.
// Plain values; not tied to any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "evals/dataset.h"
#include "evals/yaml_reader.h"

namespace tts::eval {

struct model_spec {
    std::string name;  // label in results and reports (default: the registry name, else the file name without .gguf)
    std::string path;  // GGUF file (required); a registry name (`model: qwen2.5-coder-0.5b`) becomes models/<file>
    static result<model_spec> from_yaml(const YAML::Node & n, const yaml_where & w);
};

struct engine_spec {
    int32_t threads = 2;  // CPU worker threads (YAML threads)
    double kv_mib = 512;  // KV cache pool size in MiB (YAML kv_mib)
    static result<engine_spec> from_yaml(const YAML::Node & n, const yaml_where & w);
};

struct sampling_spec {
    double temperature = 0.7;
    double top_p = 0.95;
    int32_t top_k = 0;        // 0 = off
    double min_p = 0.0;       // 0 = off
    int32_t max_tokens = 256; // per reasoning thread
    static result<sampling_spec> from_yaml(const YAML::Node & n, const yaml_where & w);
};

struct dataset_spec {
    std::string name;      // label (default: the known-dataset name, or the file's folder name)
    std::string path;      // JSONL file (required)
    dataset_fields fields; // from `fields:` (a known dataset name or {question, answer, kind, grading});
                           // `grading:` (exact | percent_lenient) on the entry overrides fields.grading
    subset_spec subset;    // from `subset:` (all | {first: N} | {random: N, seed: S})
    static result<dataset_spec> from_yaml(const YAML::Node & n, const yaml_where & w);
};

// The text around a problem. `{question}` and `{answer_format}` are substituted in `user`.
struct prompt_spec {
    std::string system;  // empty -> no system message
    std::string user = "{question}\n\n{answer_format}";
    std::string answer_format = "Solve it step by step, then end with: The answer is <number>.";
    static result<prompt_spec> from_yaml(const YAML::Node & n, const yaml_where & w);
    std::string render_user(const problem & p) const;
};

// Per-cell limits passed to the strategy (0 = unlimited).
struct budget_spec {
    int64_t max_tokens_total = 0;  // generated tokens over all threads of one problem
    double max_wall_seconds = 0;   // wall time of one problem
    static result<budget_spec> from_yaml(const YAML::Node & n, const yaml_where & w);
};

struct strategy_param {
    std::string key;
    param_value value;
};

// One strategy config: a strategy name with one value per parameter (one grid point).
struct strategy_spec {
    std::string label;                   // unique within the sweep: "short_m_at_k(m=3,k=8)" or the YAML name
    std::string strategy;                // registry name
    std::vector<strategy_param> params;  // in YAML order
    std::string where;                   // "file:line:col: strategies[i]" for error messages (not hashed)
    // Expands one `strategies:` entry into its grid points (list values are axes, in YAML order).
    static result<std::vector<strategy_spec>> grid_from_yaml(const YAML::Node & n, const yaml_where & w);
    std::string params_json() const;     // {"m":3,"k":8}
};

struct sweep_config {
    std::string name = "sweep";
    std::vector<model_spec> models;          // required, >= 1 (`model:` or `models:`)
    engine_spec engine;
    sampling_spec sampling;
    std::vector<dataset_spec> datasets;      // required, >= 1
    prompt_spec prompt;
    std::vector<strategy_spec> strategies;   // required, >= 1 after grid expansion; labels unique
    std::vector<uint64_t> seeds{0};
    budget_spec budget;
    bool keep_text = false;                  // store each thread's completion text (YAML store_text)
    std::string db = "";                     // default results file ("" -> results/<name>.db)
    std::string source_text;                 // the YAML as read (stored beside the hash; not hashed)

    static result<sweep_config> from_yaml(const YAML::Node & n, const yaml_where & w);
    // Everything that determines the cells and their results, as canonical JSON (no db path).
    std::string canonical_json() const;
    // 16 hex digits of XXH3 over canonical_json(); shards merge only when it matches.
    std::string hash() const;
    std::string default_db_path() const;
};

// The budgets a sweep's strategy configs run under (0: unlimited).
struct strategy_budgets {
    int32_t max_tokens = 0;        // sampling.max_tokens, per thread
    int64_t max_tokens_total = 0;  // budget.max_tokens_total, per cell
};
// Checks one strategy config (its registry name and parameters) against the budgets; the real
// one is strategy::validate_strategy (runtime/cli/eval.cpp), injected so evals/ stays free of
// the runtime.
using strategy_checker = std::function<status(const strategy_spec &, const strategy_budgets &)>;
// Checks every strategy config of the sweep before anything runs. The first error is returned
// prefixed with the entry's location and label:
//   configs/x.yaml:24:5: strategies[4] "deepconf(k=8,n_init=4)": deepconf.window: a group window of ...
status check_strategies(const sweep_config & c, const strategy_checker & check);

// Reads and validates a sweep file. Errors name the file, line, column and key path.
result<sweep_config> try_read_sweep_config(const std::string & path);
result<sweep_config> try_parse_sweep_config(std::string_view text, std::string_view name);

}  // namespace tts::eval
