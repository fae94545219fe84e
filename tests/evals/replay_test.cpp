#include "evals/replay.h"

#include <doctest/doctest.h>

#include "evals/runner.h"
#include "tests/evals/eval_test_util.h"
#include "tests/evals/fake_cell_runner.h"
#include "tests/evals/scripted_cell_runner.h"

using namespace tts::eval;
using namespace tts::eval::testing;

TEST_CASE("replay: the three rules on a hand-made pool") {
    // thread: tokens, answer
    std::vector<trace_thread> pool = {{0, 50, "7"}, {1, 20, std::nullopt}, {2, 30, "5"}, {3, 40, "5"}, {4, 10, "7"}};
    replay_outcome ffs = replay_first_finish(pool, 5);  // thread 4 finishes first with 7
    CHECK(ffs.answer == std::optional<std::string>("7"));
    CHECK(ffs.n_tokens_sequential == 10);
    CHECK(ffs.n_tokens_total == 50);  // 5 threads x 10 tokens
    replay_outcome ffs2 = replay_first_finish(pool, 2);  // thread 1 wins the race without an answer
    CHECK(ffs2.answer == std::nullopt);
    CHECK(ffs2.n_tokens_sequential == 20);
    replay_outcome s3 = replay_short_m_at_k(pool, 3, 5);  // first three: 4 (7), 1 (-), 2 (5) -> tie 7 vs 5 -> shortest: 7
    CHECK(s3.answer == std::optional<std::string>("7"));
    CHECK(s3.n_tokens_sequential == 30);
    CHECK(s3.n_tokens_total == 30 + 20 + 30 + 30 + 10);
    replay_outcome s4 = replay_short_m_at_k(pool, 4, 5);  // 7, -, 5, 5 -> 5
    CHECK(s4.answer == std::optional<std::string>("5"));
    replay_outcome maj = replay_majority(pool, 4);  // 7, -, 5, 5 -> 5
    CHECK(maj.answer == std::optional<std::string>("5"));
    CHECK(maj.n_tokens_total == 140);
    CHECK(maj.n_tokens_sequential == 50);
}

TEST_CASE("replay: grades exactly unless the stored config makes the dataset percent_lenient") {
    // One recorded self-consistency pool whose threads all answer 200 for a gold of 2.
    stored_cell c;
    c.key = "k", c.model = "m", c.dataset = "toy", c.problem_id = 1, c.strategy = "self_consistency", c.gold = "2";
    for (int32_t i = 0; i < 2; ++i) {
        stored_thread t;
        t.thread_index = i, t.role = "sample", t.n_tokens = 10 + i, t.answer = "200", t.finish_reason = "eos";
        c.threads.push_back(t);
    }
    auto correct = [](const replay_summary & s) {
        int64_t n = 0;
        for (const replay_row & r : s.rows) n += r.n_correct;
        return n;
    };
    CHECK(correct(replay_cells({c})) == 0);
    const replay_summary lenient = replay_cells({c}, "self_consistency", {"toy"});
    CHECK(correct(lenient) == int64_t(lenient.rows.size()));  // every row: 200 counts for 2
    CHECK(correct(replay_cells({c}, "self_consistency", {"other"})) == 0);
    CHECK(percent_lenient_datasets_of(R"({"datasets":[{"name":"toy","grading":"percent_lenient"},{"name":"g","grading":"exact"}]})") ==
          std::set<std::string>{"toy"});
    CHECK(percent_lenient_datasets_of(R"({"datasets":[{"name":"toy"}]})").empty());  // written before the key existed
    CHECK(percent_lenient_datasets_of("not json").empty());
}

// Breaking it: the online cells here come from the real strategies on the scripted decoder, so
// a replay that drops finish classes (truncated threads racing and voting), ignores the
// recorded end-of-thinking positions (short-m@k on EOS), or applies another truncation rule
// than the cell's own disagrees with some of them.
TEST_CASE("replay: agrees with online strategy cells of the same seeds, and flags a disagreement") {
    temp_dir dir("replay");
    const std::string strategies =
        std::string(k_fake_strategies) +
        "  - {strategy: short_m_at_k, name: smk_vote, params: {m: 3, k: 8, truncated: vote}}\n";
    tts::result<sweep_config> c =
        try_parse_sweep_config(fake_sweep_yaml(write_toy_dataset(dir, 6), strategies), "fake.yaml");
    REQUIRE(c.is_ok());
    sweep_plan plan = try_plan_sweep(c.value()).value();
    auto db = std::move(store::try_open(dir.file("r.db"))).value();
    run_options o;
    o.progress_out = nullptr;
    REQUIRE(run_sweep(plan, *db, make_scripted_runner(), o).is_ok());
    std::vector<stored_cell> cells = db->try_load_cells(true).value();
    // The pools exercise what the replay must keep: truncated threads and think-end positions.
    int n_truncated = 0, n_think = 0;
    for (const stored_cell & x : cells)
        for (const stored_thread & t : x.threads) {
            n_truncated += t.finish_class == "truncated";
            n_think += t.think_end_at > 0;
        }
    CHECK(n_truncated > 10);
    CHECK(n_think > 100);
    replay_summary s = replay_cells(cells);
    CHECK(s.n_pools == 12);
    CHECK(s.n_compared == 12 * 4);  // first_finish k=4 and k=8, both short_m_at_k; the pool itself is not compared
    for (const replay_disagreement & d : s.disagreements)
        MESSAGE(d.cell_key, " ", d.method, ": online ", d.online_answer.value_or("-"), " replay ",
                d.replay_answer.value_or("-"));
    CHECK(s.disagreements.empty());
    CHECK(s.rows.size() == 8 + 8 + 36);  // majority and ffs for k=1..8, short-m@k for m<=k<=8
    CHECK(replay_markdown(s).find("0 disagreements") != std::string::npos);

    for (stored_cell & x : cells)
        if (x.strategy == "first_finish" && x.problem_id == 2 && x.seed == 1 && x.params_json == "{\"k\":4}") x.answer = "-1";
    s = replay_cells(cells);
    REQUIRE(s.disagreements.size() == 1);
    CHECK(s.disagreements[0].method == "ffs");
    CHECK(s.disagreements[0].k == 4);
    CHECK(replay_json(s).find("\"online\":\"-1\"") != std::string::npos);
}

// Breaking it: ignoring finish classes lets the truncated thread 0 win FFS and vote.
TEST_CASE("replay: finish classes and end-of-thinking positions from stored threads") {
    using tts::controller::finish_class;
    std::vector<trace_thread> pool = {{0, 10, "9", finish_class::truncated, -1},
                                      {1, 20, "7", finish_class::answered, 12},
                                      {2, 30, "5", finish_class::answered, 8},
                                      {3, 40, "5", finish_class::answered, -1}};
    CHECK(replay_first_finish(pool, 4).answer == std::optional<std::string>("7"));
    CHECK(replay_first_finish(pool, 4, {.with_truncated = true}).answer == std::optional<std::string>("9"));
    // think mode: thread 2 closes thinking first (8), then thread 1 (12): 5 vs 7, tie -> shortest thinking: 5.
    CHECK(replay_short_m_at_k(pool, 2, 4, {.on_think_end = true}).answer == std::optional<std::string>("5"));
    CHECK(replay_short_m_at_k(pool, 2, 4, {.on_think_end = true}).n_tokens_sequential == 30);
    // EOS mode: 1 (20) and 2 (30): 7 vs 5 -> shortest chain: 7.
    CHECK(replay_short_m_at_k(pool, 2, 4).answer == std::optional<std::string>("7"));
    CHECK(replay_majority(pool, 4).answer == std::optional<std::string>("5"));
    stored_thread old;
    old.finish_reason = "budget_tokens";  // a file from before finish_class was stored
    CHECK(trace_of(old).finish == finish_class::truncated);
    old.finish_reason = "stopped_after_m_finished";
    CHECK(trace_of(old).finish == finish_class::cancelled);
    old.finish_class = "answered";
    CHECK(trace_of(old).finish == finish_class::answered);
}
