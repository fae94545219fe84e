#include "evals/runner.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "tests/evals/eval_test_util.h"
#include "tests/evals/fake_cell_runner.h"

using namespace tts::eval;
using namespace tts::eval::testing;
using namespace std::chrono_literals;

namespace {

sweep_plan make_plan(const temp_dir & dir, int n_problems, const char * strategies = k_fake_strategies) {
    tts::result<sweep_config> c = try_parse_sweep_config(fake_sweep_yaml(write_toy_dataset(dir, n_problems), strategies), "fake.yaml");
    REQUIRE_MESSAGE(c.is_ok(), (c.is_ok() ? std::string() : c.error().message()));
    tts::result<sweep_plan> p = try_plan_sweep(c.value());
    REQUIRE(p.is_ok());
    return std::move(p).value();
}

run_options quiet() {
    run_options o;
    o.progress_out = nullptr;
    return o;
}

std::unique_ptr<store> open(const std::string & path) { return std::move(store::try_open(path)).value(); }

}  // namespace

TEST_CASE("runner: runs every cell once; a second run resumes with nothing to do") {
    temp_dir dir("runner_basic");
    sweep_plan plan = make_plan(dir, 4);
    CHECK(plan.cells.size() == 4 * 2 * 5);
    auto db = open(dir.file("r.db"));
    run_options o = quiet();
    o.limit = 7;
    run_summary s1 = run_sweep(plan, *db, make_fake_runner(), o).value();
    CHECK(s1.n_run == 7);
    CHECK(s1.n_left == 33);
    run_summary s2 = run_sweep(plan, *db, make_fake_runner(), quiet()).value();
    CHECK(s2.n_done_before == 7);
    CHECK(s2.n_run == 33);
    CHECK(s2.n_left == 0);
    run_summary s3 = run_sweep(plan, *db, make_fake_runner(), quiet()).value();
    CHECK(s3.n_run == 0);
    auto cells = db->try_load_cells(true).value();
    REQUIRE(cells.size() == 40);
    CHECK(cells[1].threads.size() == 8);  // problem 1, seed 0, self_consistency(k=8)
    CHECK(cells[1].n_tokens_total > 0);
}

TEST_CASE("runner: failed cells are stored as errors and retried; a different config is refused") {
    temp_dir dir("runner_err");
    sweep_plan plan = make_plan(dir, 2, "  - single\n  - broken\n");
    auto db = open(dir.file("r.db"));
    run_summary s = run_sweep(plan, *db, make_fake_runner(), quiet()).value();
    CHECK(s.n_errors == 4);
    CHECK(s.n_left == 4);
    auto cells = db->try_load_cells(false).value();
    CHECK(cells[1].status == "error");
    CHECK(cells[1].error == "broken strategy");
    cell_runner throwing = [](const cell_request &) -> tts::result<tts::strategy::verdict> { throw std::runtime_error("oops"); };
    s = run_sweep(plan, *db, throwing, quiet()).value();
    CHECK(s.n_run == 4);  // only the failed cells
    CHECK(db->try_load_cells(false).value()[1].error == "cell runner threw: oops");

    sweep_plan other = make_plan(dir, 3, "  - single\n");
    tts::result<run_summary> refused = run_sweep(other, *db, make_fake_runner(), quiet());
    REQUIRE_FALSE(refused.is_ok());
    CHECK(refused.error().message().find("config hash") != std::string::npos);
}

TEST_CASE("runner: SIGKILL mid-run loses nothing finished; the resumed file equals an uninterrupted run") {
    temp_dir dir("runner_kill");
    sweep_plan plan = make_plan(dir, 8);  // 80 cells at ~4 ms each
    const std::string killed_path = dir.file("killed.db");
    for (int attempt = 0; attempt < 3; ++attempt) {
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            auto db = store::try_open(killed_path);
            if (!db) _exit(2);
            tts::result<run_summary> r = run_sweep(plan, *db.value(), make_fake_runner(4ms), quiet());
            _exit(r.is_ok() ? 0 : 1);
        }
        usleep(60000 + attempt * 30000);
        kill(pid, SIGKILL);
        int wstatus = 0;
        waitpid(pid, &wstatus, 0);
        CHECK((WIFSIGNALED(wstatus) || (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)));
        auto db = open(killed_path);
        CHECK(db->try_integrity_check().value() == "ok");
        MESSAGE("after kill ", attempt, ": ", db->try_done_keys().value().size(), " of ", plan.cells.size(), " cells done");
    }
    auto killed = open(killed_path);
    const size_t n_before = killed->try_done_keys().value().size();
    CHECK(n_before > 0);
    CHECK(n_before < plan.cells.size());
    run_summary s = run_sweep(plan, *killed, make_fake_runner(), quiet()).value();
    CHECK(s.n_done_before == int64_t(n_before));
    CHECK(s.n_left == 0);
    CHECK(killed->try_integrity_check().value() == "ok");

    auto clean = open(dir.file("clean.db"));
    REQUIRE(run_sweep(plan, *clean, make_fake_runner(), quiet()).is_ok());
    CHECK(dump_cells(*killed) == dump_cells(*clean));
}

TEST_CASE("runner: shards partition the cells and their merge equals the unsharded run") {
    temp_dir dir("runner_shard");
    sweep_plan plan = make_plan(dir, 5);
    CHECK_FALSE(shard_spec::try_parse("3/3").is_ok());
    CHECK_FALSE(shard_spec::try_parse("1").is_ok());
    CHECK_FALSE(shard_spec::try_parse("a/2").is_ok());
    int64_t total = 0;
    for (int i = 0; i < 3; ++i) {
        auto db = open(dir.file("shard" + std::to_string(i) + ".db"));
        run_options o = quiet();
        o.shard = shard_spec::try_parse(std::to_string(i) + "/3").value();
        run_summary s = run_sweep(plan, *db, make_fake_runner(), o).value();
        total += s.n_run;
    }
    CHECK(total == int64_t(plan.cells.size()));
    auto merged = open(dir.file("merged.db"));
    for (int i = 0; i < 3; ++i) REQUIRE(merged->try_merge_from(dir.file("shard" + std::to_string(i) + ".db")).is_ok());
    REQUIRE(merged->try_merge_from(dir.file("shard1.db")).is_ok());  // merging twice changes nothing
    auto whole = open(dir.file("whole.db"));
    REQUIRE(run_sweep(plan, *whole, make_fake_runner(), quiet()).is_ok());
    CHECK(dump_cells(*merged) == dump_cells(*whole));
    CHECK(merged->try_sweep().value()->hash == plan.config.hash());
    CHECK(merged->try_integrity_check().value() == "ok");
}

TEST_CASE("runner: progress prints plain lines when not on a terminal") {
    temp_dir dir("runner_progress");
    sweep_plan plan = make_plan(dir, 1, "  - single\n");
    auto db = open(dir.file("r.db"));
    const std::string log = dir.file("log.txt");
    std::FILE * f = std::fopen(log.c_str(), "w");
    run_options o;
    o.progress_out = f;
    REQUIRE(run_sweep(plan, *db, make_fake_runner(), o).is_ok());
    std::fclose(f);
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text.find("[2/2] 100% | ETA") != std::string::npos);
    CHECK(text.find('\r') == std::string::npos);
}
