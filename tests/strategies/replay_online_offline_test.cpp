#include "strategies/replay.h"

#include "tests/strategies/strategy_test_util.h"

using namespace tts;

namespace {
// The recorded pool: self_consistency traces turned into replay input.
std::vector<strategy::recorded_trace> record(const strategy::verdict & v) {
    std::vector<strategy::recorded_trace> out;
    for (auto & t : v.threads) {
        strategy::recorded_trace r;
        r.thread_index = t.thread_index;
        r.n_tokens = t.n_tokens;
        r.is_finished = t.finish_reason == "eos" || t.finish_reason == "max_tokens";
        r.answer = t.answer;
        const size_t think = t.text.find("</think>");
        if (think != std::string::npos) {
            // tokens up to and including the marker (the scripted decoder: 1 per byte, 1 for the marker)
            r.think_end_at = int64_t(think) + 1;
        }
        out.push_back(r);
    }
    return out;
}
}  // namespace

TEST_CASE("replay: short-m@k arithmetic on hand-made traces") {
    std::vector<strategy::recorded_trace> tr = {{0, 10, -1, true, "1"}, {1, 4, -1, true, "2"}, {2, 6, -1, true, "2"}, {3, 20, -1, true, "3"}};
    auto r = strategy::replay_short_m_at_k(tr, 2, false);
    CHECK(r.answer == "2");
    CHECK(r.n_tokens == std::vector<int64_t>{6, 4, 6, 6});
    CHECK(r.n_tokens_total == 22);
    auto f = strategy::replay_first_finish(tr);
    CHECK(f.answer == "2");
    CHECK(f.n_tokens_total == 16);
    auto m = strategy::replay_majority(tr);
    CHECK(m.answer == "2");
    CHECK(m.n_tokens_total == 40);
    CHECK(strategy::replay_majority(tr, 1).answer == "1");
}

TEST_CASE("online = offline: FFS and short-m@k match the replay of recorded traces (scripted)") {
    for (bool reasoning : {false, true}) {
        std::vector<test::script> scripts;
        const char * answers[] = {"3", "1", "4", "1", "5", "9", "2", "6"};
        for (int i = 0; i < 8; ++i) {
            std::string body(size_t(5 + (i * 7) % 11), 'x');
            if (reasoning) body += "</think>" + std::string(size_t(i % 3), 'y');
            scripts.push_back(test::answer(body, answers[i]));
        }
        test::scripted_decoder dec(scripts, reasoning);
        const auto pool = record(test::run(dec, "self_consistency", {{"k", "8"}}));
        auto ffs = test::run(dec, "first_finish", {{"k", "8"}});
        auto want = strategy::replay_first_finish(pool);
        CHECK(ffs.answer == want.answer);
        CHECK(ffs.n_tokens_total == want.n_tokens_total);
        for (int m : {1, 2, 3, 5, 8}) {
            auto online = test::run(dec, "short_m_at_k", {{"k", "8"}, {"m", std::to_string(m)}});
            auto r = strategy::replay_short_m_at_k(pool, m, reasoning);
            CAPTURE(m);
            CAPTURE(reasoning);
            CHECK(online.answer == r.answer);
            CHECK(online.n_tokens_total == r.n_tokens_total);
            for (size_t i = 0; i < online.threads.size(); ++i) CHECK(online.threads[i].n_tokens == r.n_tokens[i]);
        }
    }
}
