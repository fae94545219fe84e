// `ttscale generate`: one prompt, K completions sharing its KV pages, through the engine.
// With K = 1 the completion streams to stdout as it decodes.
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "evals/model_registry.h"
#include "runtime/cli/commands.h"
#include "runtime/engine/engine.h"
#include "runtime/model/decoder.h"
#include "runtime/model/utf8_stream.h"

namespace tts::cli {
namespace {

struct generate_options {
    std::string model = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
    std::string prompt;
    std::string system;
    bool raw = false;
    int32_t n_samples = 1;
    int32_t max_tokens = 256;
    float temperature = 0.0f;
    float top_p = 1.0f;
    int32_t top_k = 0;
    float min_p = 0.0f;
    uint64_t seed = 0;
    int32_t threads = 2;
    std::string device = "cpu";   // --device cpu|cuda
    double kv_mib = 512;
    bool json = false;
};

using clock_type = std::chrono::steady_clock;

struct thread_output {
    std::vector<int32_t> tokens;
    std::vector<float> logprobs;
    std::string text;
    model::utf8_stream stream;
    engine::finish_reason finish = engine::finish_reason::none;
};

int run_generate(const generate_options & o) {
    result<std::string> path = eval::try_resolve_model(o.model);  // a registry name or a path
    if (!path) {
        fmt::print(stderr, "ttscale generate: {}\n", path.error().message());
        return 1;
    }
    auto device = model::parse_device(o.device);
    if (!device) {
        fmt::print(stderr, "ttscale generate: {}\n", device.error().message());
        return 2;
    }
    auto dec = model::decoder::load(path.value(), o.threads, device.value());
    if (!dec) {
        fmt::print(stderr, "ttscale generate: {}\n", dec.error().message());
        return 1;
    }
    model::decoder & d = *dec.value();
    if (d.device() != model::device_kind::cpu) fmt::print(stderr, "[{}]\n", d.device_description());
    std::string text = o.prompt;
    if (!o.raw) {
        std::vector<model::chat_message> msgs;
        if (!o.system.empty()) msgs.push_back({"system", o.system});
        msgs.push_back({"user", o.prompt});
        text = d.chat().render(msgs, true);
    }
    engine::request_spec req;
    req.prompt = d.vocab().encode(text, /*parse_special=*/true, /*add_special=*/o.raw);
    if (req.prompt.empty()) {
        fmt::print(stderr, "ttscale generate: the prompt is empty\n");
        return 1;
    }
    req.params.sampling = {o.temperature, o.top_k, o.top_p, o.min_p, 0};
    req.params.max_tokens = o.max_tokens;
    req.n_threads = o.n_samples;
    req.seed = o.seed;

    engine::engine_options eo;
    eo.kv_bytes = size_t(o.kv_mib * 1024 * 1024);
    engine::engine eng(d, eo);
    std::map<engine::seq_id, thread_output> out;
    const bool stream = o.n_samples == 1 && !o.json;
    clock_type::time_point t_first{};
    const auto t0 = clock_type::now();
    req.sink = [&](const engine::token_event & e) {
        if (t_first == clock_type::time_point{}) t_first = clock_type::now();
        thread_output & t = out[e.seq];
        if (e.token >= 0 && !(e.finish == engine::finish_reason::eos)) {
            t.tokens.push_back(e.token);
            t.logprobs.push_back(e.signals.logprob);
            std::string piece = t.stream.push(d.vocab().piece(e.token));
            t.text += piece;
            if (stream) {
                std::fputs(piece.c_str(), stdout);
                std::fflush(stdout);
            }
        } else if (e.token >= 0) {
            t.tokens.push_back(e.token);
            t.logprobs.push_back(e.signals.logprob);
        }
        if (e.finish != engine::finish_reason::none) {
            t.finish = e.finish;
            t.text += t.stream.flush();
        }
    };
    const size_t n_prompt = req.prompt.size();
    std::vector<engine::seq_id> ids = eng.submit(std::move(req));
    if (ids.empty()) {
        fmt::print(stderr, "ttscale generate: request refused (a sampling setting is out of range)\n");
        return 1;
    }
    eng.run_until_idle();
    if (status h = eng.health(); !h.is_ok()) {
        fmt::print(stderr, "\nttscale generate: {}\n", h.message());
        return 1;
    }
    const auto t_end = clock_type::now();
    const double t_prefill = std::chrono::duration<double>(t_first - t0).count();
    const double t_decode = std::chrono::duration<double>(t_end - t_first).count();
    const engine::engine_stats st = eng.stats();

    size_t n_gen = 0;
    for (auto & [id, t] : out) n_gen += t.tokens.size();
    // Every token after the first of each thread took a decode forward.
    const double decode_tok_s = double(n_gen - ids.size()) / std::max(t_decode, 1e-9);
    const double prefill_tok_s = double(n_prompt) / std::max(t_prefill, 1e-9);
    const auto & c = d.config();
    const size_t bytes_per_token = size_t(2) * c.n_layers * c.n_kv_heads * c.head_dim * 2;
    size_t unshared = 0;
    for (auto & [id, t] : out) unshared += (n_prompt + t.tokens.size()) * bytes_per_token;

    if (o.json) {
        boost::json::object j;
        j["model"] = o.model;
        j["prompt_tokens"] = n_prompt;
        boost::json::array threads;
        for (engine::seq_id id : ids) {
            const thread_output & t = out[id];
            boost::json::object tj;
            tj["tokens"] = boost::json::value_from(t.tokens);
            tj["logprobs"] = boost::json::value_from(t.logprobs);
            tj["text"] = t.text;
            tj["finish_reason"] = engine::finish_reason_name(t.finish);
            threads.push_back(std::move(tj));
        }
        j["threads"] = std::move(threads);
        j["prefill_tok_s"] = prefill_tok_s;
        j["decode_tok_s"] = decode_tok_s;
        j["kv_bytes_peak"] = st.kv_bytes_peak;
        j["kv_bytes_unshared"] = unshared;
        fmt::print("{}\n", boost::json::serialize(j));
        return 0;
    }
    if (stream) {
        fmt::print("\n");
        std::fflush(stdout);
    } else {
        for (size_t i = 0; i < ids.size(); ++i) {
            const thread_output & t = out[ids[i]];
            fmt::print("--- thread {} ({} tokens, {})\n{}\n", i, t.tokens.size(), engine::finish_reason_name(t.finish), t.text);
        }
    }
    fmt::print(stderr, "[{} prompt tokens at {:.1f} tok/s; {} threads, {} tokens at {:.1f} tok/s aggregate decode]\n",
               n_prompt, prefill_tok_s, ids.size(), n_gen, decode_tok_s);
    fmt::print(stderr, "[KV peak {:.2f} MiB; {} unshared copies would take {:.2f} MiB]\n", st.kv_bytes_peak / 1048576.0,
               ids.size(), unshared / 1048576.0);
    return 0;
}

}  // namespace

void add_generate(CLI::App & app, int & exit_code) {
    auto o = std::make_shared<generate_options>();
    CLI::App * c = app.add_subcommand("generate", "Decode K completions of one prompt sharing its KV cache");
    c->add_option("--model,-m", o->model, "GGUF model file, or a registry name (configs/models/)")->capture_default_str();
    c->add_option("--prompt,-p", o->prompt, "Prompt text (a user message unless --raw)")->required();
    c->add_option("--system", o->system, "System message for the chat template");
    c->add_flag("--raw", o->raw, "Use the prompt as is, without the chat template");
    c->add_option("-n,--samples", o->n_samples, "Threads sampled from the prompt (K)")->capture_default_str()->check(CLI::Range(1, 4096));
    c->add_option("--max-tokens", o->max_tokens, "Tokens to generate per thread at most")->capture_default_str()->check(CLI::Range(1, 1 << 20));
    c->add_option("--temperature,-t", o->temperature, "0 = greedy")->capture_default_str()->check(CLI::Range(0.0, 100.0));
    c->add_option("--top-p", o->top_p)->capture_default_str()->check(CLI::Range(0.0, 1.0));
    c->add_option("--top-k", o->top_k)->capture_default_str()->check(CLI::NonNegativeNumber);
    c->add_option("--min-p", o->min_p)->capture_default_str()->check(CLI::Range(0.0, 1.0));
    c->add_option("--seed,-s", o->seed)->capture_default_str();
    c->add_option("--threads", o->threads, "CPU worker threads")->capture_default_str()->check(CLI::Range(1, 256));
    c->add_option("--device", o->device, "Where the forward pass runs: cpu, or cuda (a build with -DTTS_CUDA=ON and a GPU)")->capture_default_str();
    c->add_option("--kv-mib", o->kv_mib, "KV cache pool size in MiB")->capture_default_str()->check(CLI::Range(1.0, 1e6));
    c->add_flag("--json", o->json, "Print one JSON object: token ids, log-probs, timing, KV bytes");
    c->callback([o, &exit_code] { exit_code = run_generate(*o); });
}

}  // namespace tts::cli
