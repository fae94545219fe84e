// `ttscale bench`: K threads sharing a prompt — prefill tok/s, aggregate decode tok/s, peak KV
// bytes — measured beside llama.cpp (evals/bench/llama_batched.py, same GGUF, same thread
// count), interleaved rep by rep, reporting the median ratio ours / llama.cpp per row.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "runtime/cli/commands.h"
#include "runtime/engine/engine.h"
#include "runtime/model/decoder.h"

namespace tts::cli {
namespace {

struct bench_options {
    std::string model = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
    std::vector<int32_t> ks{1, 2, 4, 8, 16, 32, 64};
    int32_t prompt_tokens = 256;
    int32_t gen_tokens = 128;
    int32_t threads = 2;
    int32_t reps = 3;
    std::string peer_python = ".venv-peer/bin/python";
    bool no_peer = false;
    bool json = false;
};

struct row {
    double pp_tok_s = 0, tg_tok_s = 0;
    double kv_bytes = 0;
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

std::optional<row> run_peer(const bench_options & o, int32_t k) {
    const std::string cmd = fmt::format("{} evals/bench/llama_batched.py --model '{}' --prompt-tokens {} --gen-tokens {} "
                                        "--parallel {} --threads {} --reps 1 --json 2>/dev/null",
                                        o.peer_python, o.model, o.prompt_tokens, o.gen_tokens, k, o.threads);
    FILE * p = popen(cmd.c_str(), "r");
    if (!p) return std::nullopt;
    std::string out;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (pclose(p) != 0) return std::nullopt;
    boost::system::error_code ec;
    auto j = boost::json::parse(out, ec);
    if (ec || !j.is_array() || j.as_array().empty()) return std::nullopt;
    const auto & r0 = j.as_array()[0].as_object();
    row r;
    r.pp_tok_s = r0.at("pp_tok_s").to_number<double>();
    r.tg_tok_s = r0.at("tg_tok_s").to_number<double>();
    r.kv_bytes = r0.at("kv_bytes").to_number<double>();
    return r;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int run_bench(const bench_options & o) {
    auto dec = model::decoder::load(o.model, o.threads);
    if (!dec) {
        fmt::print(stderr, "ttscale bench: {}\n", dec.error().message());
        return 1;
    }
    struct samples { std::vector<double> pp, tg, pp_ratio, tg_ratio; double kv = 0, kv_peer = 0; bool has_peer = false; };
    std::vector<samples> s(o.ks.size());
    for (int32_t rep = 0; rep < o.reps; ++rep) {
        for (size_t i = 0; i < o.ks.size(); ++i) {
            // Interleave: ours then the peer, per row and per repetition.
            row ours = run_ours(*dec.value(), o, o.ks[i]);
            s[i].pp.push_back(ours.pp_tok_s);
            s[i].tg.push_back(ours.tg_tok_s);
            s[i].kv = ours.kv_bytes;
            if (o.no_peer) continue;
            auto peer = run_peer(o, o.ks[i]);
            if (!peer) {
                fmt::print(stderr, "ttscale bench: llama.cpp run failed for K={} (is {} set up? `make peer`)\n", o.ks[i], o.peer_python);
                continue;
            }
            s[i].has_peer = true;
            s[i].kv_peer = peer->kv_bytes;
            s[i].pp_ratio.push_back(ours.pp_tok_s / peer->pp_tok_s);
            s[i].tg_ratio.push_back(ours.tg_tok_s / peer->tg_tok_s);
            fmt::print(stderr, "rep {} K={:>2}: ours pp {:7.1f} tg {:7.1f} | llama.cpp pp {:7.1f} tg {:7.1f}\n", rep + 1,
                       o.ks[i], ours.pp_tok_s, ours.tg_tok_s, peer->pp_tok_s, peer->tg_tok_s);
        }
    }
    boost::json::array rows;
    fmt::print("model: {}  prompt {} tokens, {} generated per thread, {} threads, {} reps (medians)\n", o.model,
               o.prompt_tokens, o.gen_tokens, o.threads, o.reps);
    fmt::print("{:>3} {:>10} {:>10} {:>11} {:>10} {:>10} {:>11} {:>12} {:>12}\n", "K", "pp tok/s", "pp ratio", "pp range",
               "tg tok/s", "tg ratio", "tg range", "KV MiB", "llama KV MiB");
    for (size_t i = 0; i < o.ks.size(); ++i) {
        auto & r = s[i];
        auto range = [](const std::vector<double> & v) {
            if (v.empty()) return std::string("-");
            return fmt::format("{:.2f}-{:.2f}", *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
        };
        fmt::print("{:>3} {:>10.1f} {:>10.2f} {:>11} {:>10.1f} {:>10.2f} {:>11} {:>12.2f} {:>12.2f}\n", o.ks[i],
                   median(r.pp), median(r.pp_ratio), range(r.pp_ratio), median(r.tg), median(r.tg_ratio),
                   range(r.tg_ratio), r.kv / 1048576.0, r.kv_peer / 1048576.0);
        boost::json::object j;
        j["k"] = o.ks[i];
        j["pp_tok_s"] = median(r.pp);
        j["tg_tok_s"] = median(r.tg);
        j["kv_bytes"] = r.kv;
        if (r.has_peer) {
            j["pp_ratio"] = median(r.pp_ratio);
            j["tg_ratio"] = median(r.tg_ratio);
            j["peer_kv_bytes"] = r.kv_peer;
        }
        rows.push_back(std::move(j));
    }
    if (o.json) fmt::print("{}\n", boost::json::serialize(rows));
    return 0;
}

}  // namespace

void add_bench(CLI::App & app, int & exit_code) {
    auto o = std::make_shared<bench_options>();
    CLI::App * c = app.add_subcommand("bench", "K threads sharing a prompt: throughput and KV beside llama.cpp");
    c->add_option("--model,-m", o->model, "GGUF model file")->capture_default_str();
    c->add_option("--k", o->ks, "Thread counts (rows)")->delimiter(',')->capture_default_str();
    c->add_option("--prompt-tokens", o->prompt_tokens)->capture_default_str()->check(CLI::Range(1, 8192));
    c->add_option("--gen-tokens", o->gen_tokens)->capture_default_str()->check(CLI::Range(2, 8192));
    c->add_option("--threads", o->threads, "CPU threads, ours and llama.cpp's")->capture_default_str()->check(CLI::Range(1, 256));
    c->add_option("--reps", o->reps, "Interleaved repetitions")->capture_default_str()->check(CLI::Range(1, 100));
    c->add_option("--peer-python", o->peer_python, "Python with llama-cpp-python")->capture_default_str();
    c->add_flag("--no-peer", o->no_peer, "Measure ttscale only");
    c->add_flag("--json", o->json, "Also print the rows as JSON");
    c->callback([o, &exit_code] { exit_code = run_bench(*o); });
}

}  // namespace tts::cli
