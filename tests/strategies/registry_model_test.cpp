// End-to-end on the real default model: every strategy runs, and online FFS / short-m@k agree
// exactly with the replay of traces recorded by self_consistency with the same seed.
#include "strategies/registry.h"

#include <doctest/doctest.h>

#include "runtime/controller/backend_pool.h"
#include "runtime/controller/engine_backend.h"
#include "runtime/model/decoder.h"
#include "strategies/replay.h"

using namespace tts;

namespace {

struct model_fixture {
    std::unique_ptr<model::decoder> dec;
    std::unique_ptr<engine::engine> eng;
    std::unique_ptr<controller::engine_backend> be;
    model_fixture() {
        auto d = model::decoder::load(TTS_SOURCE_DIR "/models/SmolLM2-135M-Instruct.Q4_1.gguf", 2);
        REQUIRE_MESSAGE(d.is_ok(), (d.is_ok() ? "" : d.error().message()));
        dec = std::move(d.value());
        eng = std::make_unique<engine::engine>(*dec, engine::engine_options{.kv_bytes = size_t(64) << 20});
        eng->start();
        be = std::make_unique<controller::engine_backend>(*eng, *dec);
    }
    ~model_fixture() { eng->stop(); }

    strategy::verdict run(const std::string & name, strategy::param_map p) {
        controller::session_options so;
        so.seed = 11;
        so.params.max_tokens = 32;
        so.params.sampling.temperature = 0.8f;
        REQUIRE(strategy::take_session_params(p, so).is_ok());
        controller::session s(*be, so);
        strategy::problem pb;
        pb.text = "What is 12 + 30? Answer with \\boxed{}.";
        auto v = strategy::run_strategy(name, p, s, pb);
        REQUIRE_MESSAGE(v.is_ok(), (v.is_ok() ? "" : v.error().message()));
        return v.value();
    }
};

}  // namespace

TEST_CASE("real model: online first_finish and short_m_at_k equal the replay of recorded traces") {
    model_fixture f;
    const auto pool_v = f.run("self_consistency", {{"k", "6"}});
    std::vector<strategy::recorded_trace> pool;
    for (auto & t : pool_v.threads)
        pool.push_back(
            {t.thread_index, t.n_tokens, t.think_end_at, controller::parse_finish_class(t.finish_class), t.answer});
    auto ffs = f.run("first_finish", {{"k", "6"}});
    auto want = strategy::replay_first_finish(pool);
    CHECK(ffs.answer == want.answer);
    CHECK(ffs.n_tokens_total == want.n_tokens_total);
    for (int m : {1, 3}) {
        CAPTURE(m);
        auto online = f.run("short_m_at_k", {{"k", "6"}, {"m", std::to_string(m)}});
        auto r = strategy::replay_short_m_at_k(pool, m);
        CHECK(online.answer == r.answer);
        CHECK(online.n_tokens_total == r.n_tokens_total);
        for (size_t i = 0; i < online.threads.size(); ++i) CHECK(online.threads[i].n_tokens == r.n_tokens[i]);
    }
    f.eng->stop();
    CHECK(f.eng->n_sequences_live() == 0);   // every cancelled thread is gone (pages: prefix cache only)
}

TEST_CASE("real model: every strategy runs to a verdict with small k") {
    model_fixture f;
    const std::vector<std::pair<std::string, strategy::param_map>> runs = {
        {"single", {}},
        {"best_of_n", {{"k", "3"}}},
        // 32 tokens truncate most warm-up traces: let them set the bar (truncated=vote).
        {"deepconf", {{"k", "5"}, {"n_init", "3"}, {"window", "8"}, {"keep_percent", "90"}, {"truncated", "vote"}}},
        {"deepprune", {{"k", "3"}, {"truncate", "8"}, {"probe_tokens", "4"}}},
        {"deepprune", {{"k", "3"}, {"truncate", "8"}, {"judge", "model"}}},  // the session's own model judges
        {"deepprune",
         {{"k", "3"},
          {"truncate", "8"},
          {"judge", "model"},  // another GGUF (here: a second copy)
          {"judge_model", TTS_SOURCE_DIR "/models/SmolLM2-135M-Instruct.Q4_1.gguf"}}},
        {"pdr", {{"rounds", "2"}, {"m", "2"}, {"kappa", "24"}, {"max_tokens", "24"}}},
        {"sr", {{"rounds", "2"}, {"kappa", "24"}, {"max_tokens", "24"}}},
    };
    for (auto & [name, p] : runs) {
        CAPTURE(name);
        auto v = f.run(name, p);
        CHECK(v.status == "ok");
        CHECK(v.n_tokens_total > 0);
        CHECK(!v.threads.empty());
    }
    controller::clear_aux_backends_for_testing();
}
