#include "evals/sweep_config.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "strategies/registry.h"

using namespace tts::eval;

namespace {

const char * k_base =
    "name: t\n"
    "model: models/SmolLM2-135M-Instruct.Q4_1.gguf\n"
    "datasets:\n"
    "  - path: evals/datasets/multiarith/test.jsonl\n"
    "    subset: {first: 5}\n";

// The registry's check, as `ttscale eval` injects it (runtime/cli/eval.cpp).
tts::status registry_check(const strategy_spec & st, const strategy_budgets & b) {
    tts::strategy::param_map m;
    for (const strategy_param & p : st.params) m[p.key] = to_string(p.value);
    return tts::strategy::validate_strategy(st.strategy, m,
                                            {.max_tokens = b.max_tokens, .max_total_tokens = b.max_tokens_total});
}

std::string error_of(const std::string & yaml) {
    tts::result<sweep_config> c = try_parse_sweep_config(yaml, "configs/demo.yaml");
    REQUIRE_FALSE(c.is_ok());
    return c.error().message();
}

}  // namespace

TEST_CASE("sweep_config: defaults, grid expansion and labels") {
    tts::result<sweep_config> c = try_parse_sweep_config(std::string(k_base) +
        "strategies:\n"
        "  - single\n"
        "  - {strategy: short_m_at_k, params: {m: [1, 3], k: 8}}\n"
        "  - {strategy: self_consistency, name: sc8, params: {k: 8, weighted: false}}\n", "mem.yaml");
    REQUIRE_MESSAGE(c.is_ok(), (c.is_ok() ? std::string() : c.error().message()));
    CHECK(c->models.size() == 1);
    CHECK(c->models[0].name == "SmolLM2-135M-Instruct.Q4_1");
    CHECK(c->datasets[0].name == "multiarith");
    CHECK(c->datasets[0].fields.question_field == "input");
    CHECK(c->datasets[0].subset.how == subset_spec::mode::first);
    CHECK(c->datasets[0].subset.n == 5);
    REQUIRE(c->strategies.size() == 4);
    CHECK(c->strategies[0].label == "single");
    CHECK(c->strategies[1].label == "short_m_at_k(m=1,k=8)");
    CHECK(c->strategies[2].label == "short_m_at_k(m=3,k=8)");
    CHECK(c->strategies[3].label == "sc8");
    CHECK(c->strategies[3].params_json() == "{\"k\":8,\"weighted\":false}");
    CHECK(c->seeds == std::vector<uint64_t>{0});
    CHECK(c->sampling.max_tokens == 256);
    CHECK(c->engine.threads == 2);
    CHECK(c->hash().size() == 16);
    CHECK(c->default_db_path() == "results/t.db");
}

TEST_CASE("sweep_config: errors carry file, line, column and key path") {
    const std::string bad_m = std::string(k_base) +
        "strategies:\n"
        "  - single\n"
        "  - self_consistency\n"
        "  - strategy: short_m_at_k\n"
        "    params:\n"
        "      m: three\n";
    CHECK(error_of(bad_m) == "configs/demo.yaml:11:10: strategies[2].params.m: expected integer >= 1, got \"three\"");

    CHECK(error_of(std::string(k_base) + "strategies: [single]\nsampling: {temprature: 0.5}\n") ==
          "configs/demo.yaml:7:12: sampling.temprature: unknown key (allowed: temperature, top_p, top_k, min_p, max_tokens)");
    CHECK(error_of(std::string(k_base) + "strategies: [single]\nengine:\n  threads: \"2\"\n") ==
          "configs/demo.yaml:8:12: engine.threads: expected integer in [1, 1024], got \"2\"");
    CHECK(error_of(std::string(k_base) + "strategies: [single]\nseeds: [1, 1]\n") ==
          "configs/demo.yaml:7:12: seeds[1]: duplicate seed");
    CHECK(error_of(std::string(k_base) + "strategies: [single, single]\n").find("duplicate strategy config \"single\"") != std::string::npos);
    CHECK(error_of(std::string(k_base) + "strategies: [single]\nsampling: {top_p: 2}\n") ==
          "configs/demo.yaml:7:19: sampling.top_p: expected number in [0, 1], got \"2\"");
    CHECK(error_of(std::string(k_base)).find("missing required key strategies") != std::string::npos);
    CHECK(error_of("model: m.gguf\nstrategies: [single]\ndatasets:\n  - path: x/y.jsonl\n    fields: gsm8k\n    subset: {first: 0}\n") ==
          "configs/demo.yaml:6:21: datasets[0].subset.first: expected integer >= 1, got \"0\"");
    CHECK(error_of("model: m.gguf\nstrategies: [single]\ndatasets:\n  - path: x/y.jsonl\n").find("missing key fields") != std::string::npos);
    CHECK(error_of("model: [unclosed\n").starts_with("configs/demo.yaml:"));
    CHECK(error_of(std::string(k_base) + "strategies: [{strategy: x, params: {k: []}}]\n").find("an empty grid axis") != std::string::npos);
}

TEST_CASE("sweep_config: a dataset's grading mode (default exact) is part of the config and its hash") {
    const std::string strategies = "strategies:\n  - single\n";
    tts::result<sweep_config> exact = try_parse_sweep_config(std::string(k_base) + strategies, "mem.yaml");
    tts::result<sweep_config> lenient = try_parse_sweep_config(
        "name: t\nmodel: m.gguf\ndatasets:\n  - path: evals/datasets/multiarith/test.jsonl\n    grading: percent_lenient\n" + strategies,
        "mem.yaml");
    tts::result<sweep_config> in_fields = try_parse_sweep_config(
        "name: t\nmodel: m.gguf\ndatasets:\n  - path: d/x.jsonl\n    fields: {question: q, answer: a, grading: percent_lenient}\n" + strategies,
        "mem.yaml");
    REQUIRE(exact.is_ok());
    REQUIRE(lenient.is_ok());
    REQUIRE(in_fields.is_ok());
    CHECK(exact->datasets[0].fields.grading == grading_mode::exact);
    CHECK(lenient->datasets[0].fields.grading == grading_mode::percent_lenient);
    CHECK(lenient->datasets[0].fields.question_field == "input");  // the known mapping is kept
    CHECK(in_fields->datasets[0].fields.grading == grading_mode::percent_lenient);
    CHECK(exact->canonical_json().find("\"grading\":\"exact\"") != std::string::npos);
    CHECK(lenient->canonical_json().find("\"grading\":\"percent_lenient\"") != std::string::npos);
    CHECK(exact->hash() != try_parse_sweep_config(std::string(k_base) + "    grading: percent_lenient\n" + strategies, "mem.yaml")->hash());
    CHECK(error_of(std::string(k_base) + "    grading: loose\n" + strategies) ==
          "configs/demo.yaml:6:14: datasets[0].grading: expected exact or percent_lenient, got \"loose\"");
}

TEST_CASE("sweep_config: prompt rendering and random subsets") {
    tts::result<sweep_config> c = try_parse_sweep_config(
        "model: {path: m.gguf, name: tiny}\n"
        "datasets:\n"
        "  - {name: g, path: a.jsonl, fields: gsm8k, subset: {random: 3, seed: 7}}\n"
        "prompt: {system: be brief, user: \"Q: {question}\\n{answer_format}\", answer_format: \"Answer with ####.\"}\n"
        "strategies: [single]\n", "mem.yaml");
    REQUIRE_MESSAGE(c.is_ok(), (c.is_ok() ? std::string() : c.error().message()));
    CHECK(c->models[0].name == "tiny");
    CHECK(c->datasets[0].subset.how == subset_spec::mode::random);
    CHECK(c->datasets[0].subset.seed == 7);
    CHECK(c->prompt.render_user(problem{1, "1+{x}?", "2"}) == "Q: 1+{x}?\nAnswer with ####.");
}

TEST_CASE("sweep_config: every shipped config parses") {
    int n = 0;
    for (const auto & e : std::filesystem::recursive_directory_iterator("configs")) {
        if (e.path().extension() != ".yaml") continue;
        if (e.path().parent_path() == "configs/models") continue;  // the model registry, not sweeps
        const std::string p = e.path().string();
        tts::result<sweep_config> c = try_read_sweep_config(p);
        CHECK_MESSAGE(c.is_ok(), p, ": ", (c.is_ok() ? std::string() : c.error().message()));
        ++n;
    }
    CHECK(n >= 6);
}

// Breaking it: a shipped DeepConf row whose window exceeds max_tokens (or whose warm-up keeps
// one voter) would run as a plain weighted vote; this fails instead.
TEST_CASE("sweep_config: every shipped config's strategies can take effect under its budgets") {
    for (const auto & e : std::filesystem::recursive_directory_iterator("configs")) {
        if (e.path().extension() != ".yaml") continue;
        if (e.path().parent_path() == "configs/models") continue;  // the model registry, not sweeps
        const std::string p = e.path().string();
        tts::result<sweep_config> c = try_read_sweep_config(p);
        REQUIRE(c.is_ok());
        tts::status s = check_strategies(c.value(), registry_check);
        CHECK_MESSAGE(s.is_ok(), p, ": ", s.message());
    }
}

TEST_CASE("sweep_config: a strategy that cannot take effect is refused with its location, label, key and reason") {
    tts::result<sweep_config> c = try_parse_sweep_config(std::string(k_base) +
                                                             "sampling: {max_tokens: 192}\n"
                                                             "strategies:\n"
                                                             "  - single\n"
                                                             "  - {strategy: deepconf, params: {k: 8, n_init: 4}}\n",
                                                         "configs/x.yaml");
    REQUIRE(c.is_ok());
    tts::status s = check_strategies(c.value(), registry_check);
    CHECK(s.message().rfind(
              "configs/x.yaml:9:5: strategies[1] \"deepconf(k=8,n_init=4)\": deepconf.window: a group window of "
              "2048 tokens is longer than any thread (max_tokens = 192)",
              0) == 0);
    // A fake checker sees the budgets.
    int32_t seen = 0;
    CHECK(check_strategies(c.value(), [&](const strategy_spec &, const strategy_budgets & b) {
              seen = b.max_tokens;
              return tts::status::ok();
          }).is_ok());
    CHECK(seen == 192);
}
