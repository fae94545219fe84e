// `ttscale eval CONFIG.yaml`: run a sweep's cells into its SQLite results file (resumable,
// shardable). Everything but the per-cell runner lives in evals/; this file only builds the
// runner and reports.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "evals/model_registry.h"
#include "evals/runner.h"
#include "runtime/cli/commands.h"
#include "runtime/controller/engine_backend.h"
#include "runtime/controller/session.h"
#include "runtime/engine/engine.h"
#include "runtime/model/decoder.h"
#include "strategies/params.h"
#include "strategies/registry.h"

namespace tts::cli {
namespace {

struct eval_options {
    std::string config;
    std::string db;      // default: the config's db, else results/<name>.db
    std::string shard;   // "i/n"
    int64_t limit = -1;
    bool is_dry_run = false;
};

// The loaded model and its running engine; one at a time (cells are ordered by model first).
struct loaded_model {
    size_t model_index = SIZE_MAX;
    std::unique_ptr<model::decoder> dec;
    std::unique_ptr<engine::engine> eng;
    std::unique_ptr<controller::engine_backend> backend;
    ~loaded_model() {
        if (eng) eng->stop();
    }
};

// Strategy params plus the session keys (sampling, seed, budget) as strategy::param_map strings.
strategy::param_map params_of(const eval::cell_request & r) {
    strategy::param_map m;
    for (const eval::strategy_param & p : r.strategy.params) m[p.key] = eval::to_string(p.value);
    const eval::sampling_spec & s = r.config.sampling;
    m["temperature"] = fmt::format("{}", s.temperature);
    m["top_p"] = fmt::format("{}", s.top_p);
    m["top_k"] = std::to_string(s.top_k);
    m["min_p"] = fmt::format("{}", s.min_p);
    m["max_tokens"] = std::to_string(s.max_tokens);
    m["seed"] = std::to_string(r.where.seed);
    if (r.config.budget.max_tokens_total > 0) m["max_total_tokens"] = std::to_string(r.config.budget.max_tokens_total);
    if (r.config.budget.max_wall_seconds > 0) m["max_wall_seconds"] = fmt::format("{}", r.config.budget.max_wall_seconds);
    return m;
}

// A strategy config against the registry: names, ranges, and whether its parameters can take
// effect under the sweep's budgets.
status check_strategy(const eval::strategy_spec & st, const eval::strategy_budgets & b) {
    strategy::param_map m;
    for (const eval::strategy_param & p : st.params) m[p.key] = eval::to_string(p.value);
    return strategy::validate_strategy(st.strategy, m,
                                       {.max_tokens = b.max_tokens, .max_total_tokens = b.max_tokens_total});
}

// The per-cell runner over model + engine + controller + strategy registry.
result<eval::cell_runner> make_cell_runner(const eval::sweep_plan &) {
    auto state = std::make_shared<loaded_model>();
    return eval::cell_runner([state](const eval::cell_request & r) -> result<strategy::verdict> {
        if (state->model_index != r.where.model_index) {
            state->backend.reset();
            if (state->eng) state->eng->stop();
            state->eng.reset();
            result<std::string> path = eval::try_resolve_model(r.model.path);  // missing: says `make model NAME=...`
            if (!path) return path.error();
            auto dec = model::decoder::load(path.value(), r.config.engine.threads);
            if (!dec) return dec.error();
            state->dec = std::move(dec).value();
            engine::engine_options eo;
            eo.kv_bytes = size_t(r.config.engine.kv_mib * 1024 * 1024);
            state->eng = std::make_unique<engine::engine>(*state->dec, eo);
            state->eng->start();
            state->backend = std::make_unique<controller::engine_backend>(*state->eng, *state->dec);
            state->model_index = r.where.model_index;
        }
        strategy::param_map params = params_of(r);
        controller::session_options so;
        if (status s = strategy::take_session_params(params, so); !s.is_ok()) return s;
        strategy::problem pb;
        pb.text = r.user_prompt;
        pb.system = r.system_prompt;
        if (r.config.prompt.user.find("{answer_format}") != std::string::npos)
            pb.answer_format = r.config.prompt.answer_format;
        pb.prompt = state->backend->encode_chat(pb.system, pb.text);
        result<strategy::verdict> v = status::internal("not run");
        {
            controller::session session(*state->backend, so);
            v = strategy::run_strategy(r.strategy.strategy, params, session, pb);
        }
        // The engine failed under this cell (its threads were cancelled): an error cell, and a
        // fresh engine for the next one.
        if (status h = state->eng->health(); !h.is_ok()) {
            state->model_index = SIZE_MAX;
            return h;
        }
        return v;
    });
}

int run_eval(const eval_options & o) {
    result<eval::sweep_config> cfg = eval::try_read_sweep_config(o.config);
    if (!cfg) {
        fmt::print(stderr, "ttscale eval: {}\n", cfg.error().message());
        return 2;
    }
    if (status s = eval::check_strategies(cfg.value(), check_strategy); !s.is_ok()) {
        fmt::print(stderr, "ttscale eval: {}\n", s.message());
        return 2;
    }
    result<eval::sweep_plan> plan = eval::try_plan_sweep(cfg.value());
    if (!plan) {
        fmt::print(stderr, "ttscale eval: {}\n", plan.error().message());
        return 2;
    }
    eval::run_options ro;
    if (!o.shard.empty()) {
        result<eval::shard_spec> s = eval::shard_spec::try_parse(o.shard);
        if (!s) {
            fmt::print(stderr, "ttscale eval: {}\n", s.error().message());
            return 2;
        }
        ro.shard = s.value();
    }
    ro.limit = o.limit;
    const std::string db_path = o.db.empty() ? cfg->default_db_path() : o.db;
    int64_t n_in_shard = 0;
    for (const eval::cell & c : plan->cells) n_in_shard += ro.shard.contains(c) ? 1 : 0;
    fmt::print(stderr, "ttscale eval: sweep \"{}\" (hash {}): {} cells ({} in shard {}/{}) -> {}\n", cfg->name, cfg->hash(),
               plan->cells.size(), n_in_shard, ro.shard.index, ro.shard.count, db_path);
    if (o.is_dry_run) return 0;

    result<eval::cell_runner> runner = make_cell_runner(plan.value());
    if (!runner) {
        fmt::print(stderr, "ttscale eval: {}\n", runner.error().message());
        return 1;
    }
    result<std::unique_ptr<eval::store>> db = eval::store::try_open(db_path);
    if (!db) {
        fmt::print(stderr, "ttscale eval: {}\n", db.error().message());
        return 1;
    }
    result<eval::run_summary> sum = eval::run_sweep(plan.value(), *db.value(), runner.value(), ro);
    if (!sum) {
        fmt::print(stderr, "ttscale eval: {}\n", sum.error().message());
        return 1;
    }
    fmt::print(stderr, "ttscale eval: {} cells run ({} failed), {} were already done, {} left\n", sum->n_run, sum->n_errors,
               sum->n_done_before, sum->n_left);
    return sum->n_errors > 0 ? 3 : 0;
}

}  // namespace

void add_eval(CLI::App & app, int & exit_code) {
    auto o = std::make_shared<eval_options>();
    CLI::App * cmd = app.add_subcommand("eval", "Run a sweep (YAML) into a resumable SQLite results file");
    cmd->add_option("config", o->config, "Sweep config, e.g. configs/demo.yaml")->required();
    cmd->add_option("--db", o->db, "Results file (default: the config's db, else results/<name>.db)");
    cmd->add_option("--shard", o->shard, "Run the cells with ordinal % n == i (\"i/n\")");
    cmd->add_option("--limit", o->limit, "Run at most N cells now");
    cmd->add_flag("--dry-run", o->is_dry_run, "Check the config and datasets, print the cell count, run nothing");
    cmd->callback([o, &exit_code] { exit_code = run_eval(*o); });
}

}  // namespace tts::cli
