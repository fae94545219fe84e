// sweep: a sweep_config expanded into its cells, and the deterministic shard slice of them.
//
// A cell is one (model, dataset problem, seed, strategy config) and the unit of work, storage,
// resume and sharding. Cells are ordered model -> dataset -> problem -> seed -> strategy config,
// so a partial run covers every strategy on the first problems (comparisons stay paired). A
// cell's key is stable text built from labels, not positions:
// "<model>|<dataset>|<problem id>|<seed>|<strategy label>". Plain values; not tied to a thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "evals/sweep_config.h"
#include "strategies/verdict.h"

namespace tts::eval {

struct cell {
    int64_t ordinal = 0;  // position in the full sweep's cell order
    std::string key;
    size_t model_index = 0, dataset_index = 0, problem_index = 0, strategy_index = 0;
    uint64_t seed = 0;
};

struct sweep_plan {
    sweep_config config;
    std::vector<dataset> datasets;  // the selected subset of each config.datasets[i]
    std::vector<cell> cells;

    const problem & problem_of(const cell & c) const { return datasets[c.dataset_index].problems[c.problem_index]; }
};

// Reads every dataset, takes its subset and lays out the cells.
result<sweep_plan> try_plan_sweep(const sweep_config & config);

// `--shard i/n`: cell ordinals with ordinal % n == i (round robin keeps shards balanced
// across problems and strategies).
struct shard_spec {
    int64_t index = 0;
    int64_t count = 1;
    // Parses "i/n" with 0 <= i < n.
    static result<shard_spec> try_parse(std::string_view text);
    bool contains(const cell & c) const { return c.ordinal % count == index; }
};

// What the runner hands to the strategy for one cell. References point into the plan.
struct cell_request {
    const sweep_config & config;
    const cell & where;
    const model_spec & model;
    const dataset_spec & dataset;
    const problem & prob;
    const strategy_spec & strategy;
    std::string system_prompt;  // config.prompt.system (may be empty)
    std::string user_prompt;    // config.prompt.render_user(prob)
};

// Runs one cell: returns the strategy's verdict, or a status when the cell could not run.
// Called from the runner's thread only, one cell at a time.
using cell_runner = std::function<result<strategy::verdict>(const cell_request &)>;

cell_request make_request(const sweep_plan & plan, const cell & c);

}  // namespace tts::eval
