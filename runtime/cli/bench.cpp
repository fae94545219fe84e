// `ttscale bench`: K threads sharing a prompt — prefill tok/s, aggregate decode tok/s, peak KV
// bytes — measured beside llama.cpp (evals/bench/llama_batched.py, same GGUF, same thread
// count), interleaved rep by rep (ours, then every llama.cpp configuration, then ours again...).
// The peer of a row is llama.cpp's best configuration for that K, chosen per metric: the
// configuration (flash attention off/on x unified/split KV) with the highest median prefill
// tok/s is the prefill peer, the one with the highest median decode tok/s the decode peer; each
// is named in the row. A ratio is ours / that configuration in the same rep; the row reports
// the median of the per-rep ratios and their range.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "evals/model_registry.h"
#include "runtime/cli/commands.h"
#include "runtime/engine/engine.h"
#include "runtime/model/decoder.h"

namespace tts::cli {
namespace {

constexpr double k_missing = std::numeric_limits<double>::quiet_NaN();

struct bench_options {
    std::string model = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
    std::vector<int32_t> ks{1, 2, 4, 8, 16, 32, 64};
    int32_t prompt_tokens = 256;
    int32_t gen_tokens = 128;
    int32_t threads = 2;
    int32_t reps = 3;
    std::string peer_python = ".venv-peer/bin/python";
    std::string peer_configs = "fa=off:kv=unified,fa=on:kv=unified,fa=off:kv=split,fa=on:kv=split";
    bool no_peer = false;
    bool json = false;
};

struct row {
    double pp_tok_s = 0, tg_tok_s = 0;
    double kv_bytes = 0;
};

struct peer_row {
    std::string config;  // "fa=off, kv=unified"
    row r;
};

using clock_type = std::chrono::steady_clock;

std::vector<int32_t> bench_prompt(const model::decoder & d, int32_t n) {
    std::string text;
    std::vector<int32_t> toks;
    while (int32_t(toks.size()) < n) {
        text += "The history of mathematics is long and full of surprising turns. Early counting systems "
                "grew into arithmetic, geometry and algebra, and each generation built on the last. ";
        toks = d.vocab().encode(text, false, false);
    }
    toks.resize(n);
    return toks;
}

row run_ours(model::decoder & d, const bench_options & o, int32_t k) {
    engine::engine_options eo;
    eo.kv_bytes = size_t(1) << 30;
    engine::engine eng(d, eo);
    engine::request_spec req;
    req.prompt = bench_prompt(d, o.prompt_tokens);
    req.params.max_tokens = o.gen_tokens;
    req.params.ignore_eos = true;
    req.n_threads = k;
    clock_type::time_point t_first{};
    int64_t n_tokens = 0;
    req.sink = [&](const engine::token_event & e) {
        if (t_first == clock_type::time_point{}) t_first = clock_type::now();
        if (e.token >= 0) ++n_tokens;
    };
    const auto t0 = clock_type::now();
    eng.submit(std::move(req));
    eng.run_until_idle();
    const auto t1 = clock_type::now();
    row r;
    r.pp_tok_s = o.prompt_tokens / std::chrono::duration<double>(t_first - t0).count();
    r.tg_tok_s = double(n_tokens - k) / std::chrono::duration<double>(t1 - t_first).count();
    r.kv_bytes = double(eng.stats().kv_bytes_peak);
    return r;
}

// One rep of every llama.cpp configuration for this K (one process, so the model loads once).
std::optional<std::vector<peer_row>> run_peer(const bench_options & o, const std::string & model_path, int32_t k) {
    const std::string cmd = fmt::format("{} evals/bench/llama_batched.py --model '{}' --prompt-tokens {} --gen-tokens {} "
                                        "--parallel {} --threads {} --reps 1 --configs '{}' --json 2>/dev/null",
                                        o.peer_python, model_path, o.prompt_tokens, o.gen_tokens, k, o.threads, o.peer_configs);
    FILE * p = popen(cmd.c_str(), "r");
    if (!p) return std::nullopt;
    std::string out;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (pclose(p) != 0) return std::nullopt;
    boost::system::error_code ec;
    auto j = boost::json::parse(out, ec);
    if (ec || !j.is_array() || j.as_array().empty()) return std::nullopt;
    std::vector<peer_row> rows;
    for (const auto & v : j.as_array()) {
        const auto & r0 = v.as_object();
        peer_row pr;
        pr.config = boost::json::value_to<std::string>(r0.at("config"));
        pr.r.pp_tok_s = r0.at("pp_tok_s").to_number<double>();
        pr.r.tg_tok_s = r0.at("tg_tok_s").to_number<double>();
        pr.r.kv_bytes = r0.at("kv_bytes").to_number<double>();
        rows.push_back(std::move(pr));
    }
    return rows;
}

// Median of the values that are not NaN (0 when none).
double median(std::vector<double> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string range(const std::vector<double> & v) {
    if (v.empty()) return "-";
    return fmt::format("{:.2f}-{:.2f}", *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
}

// One llama.cpp configuration's samples for one K, indexed by rep (NaN where the run failed).
struct peer_samples {
    std::string config;
    std::vector<double> pp, tg;
    double kv = 0;
};

// Everything measured for one K.
struct samples {
    std::vector<double> pp, tg;  // ours, per rep
    double kv = 0;
    std::vector<peer_samples> peer;  // per configuration, in the order llama_batched.py reports them

    void add_peer(int32_t rep, const peer_row & pr) {
        auto it = std::find_if(peer.begin(), peer.end(), [&](const peer_samples & p) { return p.config == pr.config; });
        if (it == peer.end()) it = peer.insert(peer.end(), peer_samples{pr.config, {}, {}, 0});
        it->pp.resize(size_t(rep) + 1, k_missing);
        it->tg.resize(size_t(rep) + 1, k_missing);
        it->pp[size_t(rep)] = pr.r.pp_tok_s;
        it->tg[size_t(rep)] = pr.r.tg_tok_s;
        it->kv = pr.r.kv_bytes;
    }
    // The configuration with the highest median of `metric` (nullptr when no peer ran).
    const peer_samples * best(std::vector<double> peer_samples::*metric) const {
        const peer_samples * b = nullptr;
        for (const peer_samples & p : peer)
            if (!b || median(p.*metric) > median(b->*metric)) b = &p;
        return b;
    }
    // ours[r] / best[r] for every rep where both ran.
    static std::vector<double> ratios(const std::vector<double> & ours, const peer_samples * b,
                                      std::vector<double> peer_samples::*metric) {
        std::vector<double> out;
        if (!b) return out;
        const std::vector<double> & theirs = b->*metric;
        for (size_t r = 0; r < ours.size() && r < theirs.size(); ++r)
            if (!std::isnan(theirs[r]) && theirs[r] > 0) out.push_back(ours[r] / theirs[r]);
        return out;
    }
};

int run_bench(const bench_options & o) {
    result<std::string> path = eval::try_resolve_model(o.model);  // a registry name or a path
    if (!path) {
        fmt::print(stderr, "ttscale bench: {}\n", path.error().message());
        return 1;
    }
    auto dec = model::decoder::load(path.value(), o.threads);
    if (!dec) {
        fmt::print(stderr, "ttscale bench: {}\n", dec.error().message());
        return 1;
    }
    std::vector<samples> s(o.ks.size());
    for (int32_t rep = 0; rep < o.reps; ++rep) {
        for (size_t i = 0; i < o.ks.size(); ++i) {
            // Interleave: ours then the peer's configurations, per row and per repetition.
            row ours = run_ours(*dec.value(), o, o.ks[i]);
            s[i].pp.push_back(ours.pp_tok_s);
            s[i].tg.push_back(ours.tg_tok_s);
            s[i].kv = ours.kv_bytes;
            if (o.no_peer) continue;
            auto peer = run_peer(o, path.value(), o.ks[i]);
            if (!peer) {
                fmt::print(stderr, "ttscale bench: llama.cpp run failed for K={} (is {} set up? `make peer`)\n", o.ks[i], o.peer_python);
                continue;
            }
            std::string line = fmt::format("rep {} K={:>2}: ours pp {:7.1f} tg {:7.1f}", rep + 1, o.ks[i], ours.pp_tok_s, ours.tg_tok_s);
            for (const peer_row & pr : *peer) {
                s[i].add_peer(rep, pr);
                line += fmt::format(" | ({}) pp {:.1f} tg {:.1f}", pr.config, pr.r.pp_tok_s, pr.r.tg_tok_s);
            }
            fmt::print(stderr, "{}\n", line);
        }
    }
    boost::json::array rows;
    fmt::print("model: {}  prompt {} tokens, {} generated per thread, {} threads, {} reps (medians)\n", path.value(),
               o.prompt_tokens, o.gen_tokens, o.threads, o.reps);
    if (!o.no_peer)
        fmt::print("peer: llama.cpp's best configuration per K and per metric (highest median over the reps, of {}); "
                   "ratio = ours / that configuration in the same rep: median [range]\n", o.peer_configs);
    fmt::print("{:>3} {:>9} {:>9} {:>6} {:>11} {:>9} {:>9} {:>6} {:>11} {:>8} {:>8}  {}\n", "K", "pp tok/s", "peer pp",
               "ratio", "range", "tg tok/s", "peer tg", "ratio", "range", "KV MiB", "peer KV", "peer configuration (pp | tg)");
    for (size_t i = 0; i < o.ks.size(); ++i) {
        const samples & r = s[i];
        const peer_samples * bp = r.best(&peer_samples::pp);
        const peer_samples * bt = r.best(&peer_samples::tg);
        const auto pp_ratio = samples::ratios(r.pp, bp, &peer_samples::pp);
        const auto tg_ratio = samples::ratios(r.tg, bt, &peer_samples::tg);
        const std::string who = !bp ? "-"
                                : bp == bt ? fmt::format("llama.cpp ({})", bp->config)
                                           : fmt::format("llama.cpp ({}) | llama.cpp ({})", bp->config, bt->config);
        fmt::print("{:>3} {:>9.1f} {:>9.1f} {:>6.2f} {:>11} {:>9.1f} {:>9.1f} {:>6.2f} {:>11} {:>8.2f} {:>8.2f}  {}\n", o.ks[i],
                   median(r.pp), bp ? median(bp->pp) : 0.0, median(pp_ratio), range(pp_ratio), median(r.tg),
                   bt ? median(bt->tg) : 0.0, median(tg_ratio), range(tg_ratio), r.kv / 1048576.0,
                   bt ? bt->kv / 1048576.0 : 0.0, who);
        boost::json::object j;
        j["k"] = o.ks[i];
        j["pp_tok_s"] = median(r.pp);
        j["tg_tok_s"] = median(r.tg);
        j["kv_bytes"] = r.kv;
        if (bp && bt) {
            j["pp_ratio"] = median(pp_ratio);
            j["tg_ratio"] = median(tg_ratio);
            j["pp_ratio_range"] = {pp_ratio.empty() ? 0.0 : *std::min_element(pp_ratio.begin(), pp_ratio.end()),
                                   pp_ratio.empty() ? 0.0 : *std::max_element(pp_ratio.begin(), pp_ratio.end())};
            j["tg_ratio_range"] = {tg_ratio.empty() ? 0.0 : *std::min_element(tg_ratio.begin(), tg_ratio.end()),
                                   tg_ratio.empty() ? 0.0 : *std::max_element(tg_ratio.begin(), tg_ratio.end())};
            j["peer_pp_config"] = "llama.cpp (" + bp->config + ")";
            j["peer_tg_config"] = "llama.cpp (" + bt->config + ")";
            j["peer_pp_tok_s"] = median(bp->pp);
            j["peer_tg_tok_s"] = median(bt->tg);
            j["peer_kv_bytes"] = bt->kv;
            boost::json::object all;
            for (const peer_samples & p : r.peer) all[p.config] = {{"pp_tok_s", median(p.pp)}, {"tg_tok_s", median(p.tg)}};
            j["peer_configs"] = std::move(all);
        }
        rows.push_back(std::move(j));
    }
    if (!o.no_peer) {
        fmt::print("llama.cpp, every configuration (median tok/s, pp / tg):\n");
        for (size_t i = 0; i < o.ks.size(); ++i) {
            std::string line = fmt::format("{:>3}:", o.ks[i]);
            for (const peer_samples & p : s[i].peer) line += fmt::format("  ({}) {:.1f} / {:.1f}", p.config, median(p.pp), median(p.tg));
            fmt::print("{}\n", line);
        }
    }
    if (o.json) fmt::print("{}\n", boost::json::serialize(rows));
    return 0;
}

}  // namespace

void add_bench(CLI::App & app, int & exit_code) {
    auto o = std::make_shared<bench_options>();
    CLI::App * c = app.add_subcommand("bench", "K threads sharing a prompt: throughput and KV beside llama.cpp's best configuration");
    c->add_option("--model,-m", o->model, "GGUF model file, or a registry name (configs/models/)")->capture_default_str();
    c->add_option("--k", o->ks, "Thread counts (rows)")->delimiter(',')->capture_default_str();
    c->add_option("--prompt-tokens", o->prompt_tokens)->capture_default_str()->check(CLI::Range(1, 8192));
    c->add_option("--gen-tokens", o->gen_tokens)->capture_default_str()->check(CLI::Range(2, 8192));
    c->add_option("--threads", o->threads, "CPU threads, ours and llama.cpp's")->capture_default_str()->check(CLI::Range(1, 256));
    c->add_option("--reps", o->reps, "Interleaved repetitions")->capture_default_str()->check(CLI::Range(1, 100));
    c->add_option("--peer-python", o->peer_python, "Python with llama-cpp-python")->capture_default_str();
    c->add_option("--peer-configs", o->peer_configs, "llama.cpp configurations to try per K (fa=off|on:kv=unified|split, comma-separated)")
        ->capture_default_str();
    c->add_flag("--no-peer", o->no_peer, "Measure ttscale only");
    c->add_flag("--json", o->json, "Also print the rows as JSON");
    c->callback([o, &exit_code] { exit_code = run_bench(*o); });
}

}  // namespace tts::cli
