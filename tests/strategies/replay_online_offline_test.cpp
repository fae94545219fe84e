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
        r.finish = controller::parse_finish_class(t.finish_class);
        r.answer = t.answer;
        r.think_end_at = t.think_end_at;
        out.push_back(r);
    }
    return out;
}
}  // namespace

TEST_CASE("replay: short-m@k arithmetic on hand-made traces") {
    const auto answered = controller::finish_class::answered;
    std::vector<strategy::recorded_trace> tr = {
        {0, 10, -1, answered, "1"}, {1, 4, -1, answered, "2"}, {2, 6, -1, answered, "2"}, {3, 20, -1, answered, "3"}};
    auto r = strategy::replay_short_m_at_k(tr, 2);
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

// Breaking it: any difference between the session's counting (stop rule, next_finished, votes)
// and strategies/replay.h's — a truncation counted on one side only, a think end counted
// differently, a vote from a truncated thread — shows as a different answer or token count.
TEST_CASE("online = offline: FFS and short-m@k match the replay of recorded traces (scripted)") {
    for (bool reasoning : {false, true})
        for (const char * truncated : {"ignore", "vote"}) {
            std::vector<test::script> scripts;
            const char * answers[] = {"3", "1", "4", "1", "5", "9", "2", "6"};
            for (int i = 0; i < 8; ++i) {
                std::string body(size_t(5 + (i * 7) % 11), 'x');
                if (reasoning) body += "</think>" + std::string(size_t(i % 3), 'y');
                scripts.push_back(test::answer(body, answers[i]));
                if (i == 2 || i == 5) scripts.back().end = engine::finish_reason::max_tokens;  // cut on its last token
            }
            test::scripted_decoder dec(scripts, reasoning);
            const auto pool = record(test::run(dec, "self_consistency", {{"k", "8"}}));
            const bool with_truncated = std::string(truncated) == "vote";
            auto ffs = test::run(dec, "first_finish", {{"k", "8"}, {"truncated", truncated}});
            auto want = strategy::replay_first_finish(pool, with_truncated);
            CAPTURE(reasoning);
            CAPTURE(truncated);
            CHECK(ffs.answer == want.answer);
            CHECK(ffs.n_tokens_total == want.n_tokens_total);
            for (int m : {1, 2, 3, 5, 8}) {
                auto online =
                    test::run(dec, "short_m_at_k", {{"k", "8"}, {"m", std::to_string(m)}, {"truncated", truncated}});
                auto r = strategy::replay_short_m_at_k(pool, m,
                                                       {.on_think_end = reasoning, .with_truncated = with_truncated});
                CAPTURE(m);
                CHECK(online.answer == r.answer);
                CHECK(online.n_tokens_total == r.n_tokens_total);
                for (size_t i = 0; i < online.threads.size(); ++i) CHECK(online.threads[i].n_tokens == r.n_tokens[i]);
            }
            auto sc = test::run(dec, "self_consistency", {{"k", "8"}, {"truncated", truncated}});
            CHECK(sc.answer == strategy::replay_majority(pool, 8, with_truncated).answer);
        }
}
