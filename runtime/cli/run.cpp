// `ttscale run`: one problem through one strategy on the real model; prints the answer, the
// vote table and the cost summary (or one JSON object with --json).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "evals/dataset.h"
#include "evals/model_registry.h"
#include "runtime/cli/commands.h"
#include "runtime/controller/engine_backend.h"
#include "runtime/controller/session.h"
#include "runtime/engine/engine.h"
#include "runtime/model/decoder.h"
#include "strategies/registry.h"

namespace tts::cli {
namespace {

struct run_options {
    std::string strategy;
    std::vector<std::string> params;   // key=value
    std::string config;
    std::string prompt;
    std::string problem_file;
    int32_t problem_index = 0;
    std::string model = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
    uint64_t seed = 0;
    int32_t threads = 2;
    std::string device = "cpu";   // --device cpu|cuda
    double kv_mib = 512;
    bool json = false;
};

int fail(const std::string & msg) {
    fmt::print(stderr, "ttscale run: {}\n", msg);
    return 1;
}

// YAML: either {strategy: NAME, params: {k: v, ...}} or a flat {k: v, ...} map of params.
status read_config(const std::string & path, std::string & strategy_name, strategy::param_map & params) try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsMap()) return status::invalid_argument(path + ": expected a map at the top level");
    YAML::Node p = root;
    if (root["strategy"]) {
        if (strategy_name.empty()) strategy_name = root["strategy"].as<std::string>();
        p = root["params"] ? root["params"] : YAML::Node(YAML::NodeType::Map);
    }
    for (auto it = p.begin(); it != p.end(); ++it) {
        const std::string key = it->first.as<std::string>();
        if (key == "strategy") continue;
        if (!it->second.IsScalar()) return status::invalid_argument(path + ": " + key + ": expected a scalar value");
        params.emplace(key, it->second.as<std::string>());
    }
    return status::ok();
} catch (const std::exception & e) {   // unreadable file, bad YAML, a key or name that is not a scalar
    return status::invalid_argument(path + ": " + e.what());
}

void print_verdict(const strategy::verdict & v, const std::string & name) {
    fmt::print("answer: {}\n", v.answer.value_or("(none)"));
    fmt::print("strategy: {}   status: {}\n", name, v.status);
    if (v.votes.has_winner()) {
        fmt::print("votes ({} voters, {} abstained):\n", v.votes.n_voters, v.votes.n_abstained);
        for (const auto & e : v.votes.table)
            fmt::print("  {:>16}  votes {:>3}  weight {:8.3f}  shortest {:>6}\n", e.answer, e.n_votes, e.total_weight, e.n_tokens_min);
    }
    fmt::print("threads:\n");
    for (const auto & t : v.threads)
        fmt::print("  #{:<3} {:<8} {:<10} {:<26} {:>6} tok  answer {}{}\n", t.thread_index, t.role, t.finish_class,
                   t.finish_reason, t.n_tokens, t.answer.value_or("-"), t.voted ? "  (voted)" : "");
    fmt::print(
        "cost: {} generated + {} prompt tokens ({} in helper calls), {} sequential, {} thinking, {:.2f} s wall, "
        "KV peak {:.2f} MiB\n",
        v.n_tokens_total, v.n_tokens_prompt, v.n_tokens_judge, v.n_tokens_sequential, v.n_tokens_thinking,
        v.wall_seconds, double(v.kv_bytes_peak) / 1048576.0);
}

boost::json::object to_json(const strategy::verdict & v, const std::string & name) {
    boost::json::object j;
    j["strategy"] = name;
    j["answer"] = v.answer ? boost::json::value(*v.answer) : boost::json::value(nullptr);
    j["status"] = v.status;
    boost::json::array votes;
    for (const auto & e : v.votes.table)
        votes.push_back({{"answer", e.answer}, {"key", e.key}, {"votes", e.n_votes}, {"weight", e.total_weight}});
    j["votes"] = std::move(votes);
    boost::json::array threads;
    for (const auto & t : v.threads)
        threads.push_back({{"thread", t.thread_index},
                           {"role", t.role},
                           {"finish_reason", t.finish_reason},
                           {"finish_class", t.finish_class},
                           {"think_end_at", t.think_end_at},
                           {"n_tokens", t.n_tokens},
                           {"answer", t.answer ? boost::json::value(*t.answer) : nullptr},
                           {"voted", t.voted},
                           {"text", t.text}});
    j["threads"] = std::move(threads);
    j["n_tokens_total"] = v.n_tokens_total;
    j["n_tokens_sequential"] = v.n_tokens_sequential;
    j["n_tokens_prompt"] = v.n_tokens_prompt;
    j["n_tokens_judge"] = v.n_tokens_judge;
    j["n_tokens_thinking"] = v.n_tokens_thinking;
    j["wall_seconds"] = v.wall_seconds;
    j["kv_bytes_peak"] = v.kv_bytes_peak;
    return j;
}

int run_run(const run_options & o) {
    std::string name = o.strategy;
    strategy::param_map params;
    if (!o.config.empty())
        if (status s = read_config(o.config, name, params); !s.is_ok()) return fail(s.message());
    for (const auto & kv : o.params) {
        const size_t eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) return fail("--param " + kv + ": expected key=value");
        params[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (name.empty()) return fail("no strategy (use --strategy or `strategy:` in --config)");
    controller::session_options so;
    so.seed = o.seed;
    so.params.max_tokens = 512;
    // Parallel strategies need diverse threads: sample by default, as the sweeps do
    // (-P temperature=0 for greedy).
    so.params.sampling.temperature = 0.7f;
    so.params.sampling.top_p = 0.95f;
    if (status s = strategy::take_session_params(params, so); !s.is_ok()) return fail(s.message());
    if (status s = strategy::validate_strategy(name, params, strategy::strategy_limits::of(so)); !s.is_ok())
        return fail(s.message());

    std::string text = o.prompt;
    if (!o.problem_file.empty()) {
        // Field names as the sweeps infer them (multiarith/test.jsonl -> input/target), else
        // question/answer.
        const result<eval::dataset_fields> known = eval::try_known_fields(eval::dataset_name_of(o.problem_file));
        auto ds = eval::try_read_dataset(o.problem_file, known.is_ok() ? known.value() : eval::dataset_fields{});
        if (!ds) return fail(ds.error().message());
        if (o.problem_index < 0 || size_t(o.problem_index) >= ds->problems.size())
            return fail(fmt::format("{}: --problem-index {} out of range (0..{})", o.problem_file, o.problem_index,
                                    ds->problems.size() - 1));
        text = ds->problems[size_t(o.problem_index)].question;
    }
    if (text.empty()) return fail("no problem (use --prompt or --problem-file)");

    result<std::string> path = eval::try_resolve_model(o.model);  // a registry name or a path
    if (!path) return fail(path.error().message());
    auto device = model::parse_device(o.device);
    if (!device) {
        fmt::print(stderr, "ttscale run: {}\n", device.error().message());
        return 2;
    }
    auto dec = model::decoder::load(path.value(), o.threads, device.value());
    if (!dec) return fail(dec.error().message());
    engine::engine_options eo;
    eo.kv_bytes = size_t(o.kv_mib * 1048576.0);
    engine::engine eng(*dec.value(), eo);
    eng.start();
    controller::engine_backend be(eng, *dec.value());
    result<strategy::verdict> v = status::internal("not run");
    {
        controller::session s(be, so);
        strategy::problem pb;
        pb.text = text;
        v = strategy::run_strategy(name, params, s, pb);
    }
    eng.stop();
    if (status h = eng.health(); !h.is_ok()) return fail(h.message());
    if (!v) return fail(v.error().message());
    if (o.json) fmt::print("{}\n", boost::json::serialize(to_json(*v, name)));
    else print_verdict(*v, name);
    return v->status.rfind("error", 0) == 0 ? 1 : 0;
}

}  // namespace

void add_run(CLI::App & app, int & exit_code) {
    auto o = std::make_shared<run_options>();
    std::string names;
    for (auto & n : strategy::strategy_names()) names += (names.empty() ? "" : ", ") + n;
    CLI::App * c = app.add_subcommand("run", "Run one problem through a test-time-scaling strategy");
    c->add_option("--strategy,-S", o->strategy, "Strategy: " + names);
    c->add_option("--param,-P", o->params, "key=value: a strategy parameter, or a session one (temperature, top_p, top_k, "
                                           "min_p, max_tokens, n_top_logprobs, max_total_tokens, max_wall_seconds, "
                                           "max_kv_bytes, max_live_threads)");
    c->add_option("--config", o->config, "YAML: {strategy: NAME, params: {...}} or a flat params map");
    c->add_option("--prompt,-p", o->prompt, "The problem text (a user message)");
    c->add_option("--problem-file", o->problem_file, "JSONL dataset");
    c->add_option("--problem-index", o->problem_index, "0-based problem in --problem-file")->capture_default_str();
    c->add_option("--model,-m", o->model, "GGUF model file, or a registry name (configs/models/)")->capture_default_str();
    c->add_option("--seed,-s", o->seed)->capture_default_str();
    c->add_option("--threads", o->threads, "CPU worker threads")->capture_default_str()->check(CLI::Range(1, 256));
    c->add_option("--device", o->device, "Where the forward pass runs: cpu, or cuda (a build with -DTTS_CUDA=ON and a GPU)")->capture_default_str();
    c->add_option("--kv-mib", o->kv_mib, "KV cache pool size in MiB")->capture_default_str()->check(CLI::Range(1.0, 1e6));
    c->add_flag("--json", o->json, "Print one JSON object");
    c->callback([o, &exit_code] { exit_code = run_run(*o); });
}

}  // namespace tts::cli
