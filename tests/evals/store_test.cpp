#include "evals/store.h"

#include <doctest/doctest.h>

#include "tests/evals/eval_test_util.h"

using namespace tts::eval;
using namespace tts::eval::testing;

namespace {

stored_cell sample_cell(const std::string & key, const std::string & status) {
    stored_cell c;
    c.key = key, c.ordinal = 3, c.model = "m", c.dataset = "d", c.problem_id = 7, c.seed = 2;
    c.strategy_label = "sc(k=2)", c.strategy = "sc", c.params_json = "{\"k\":2}", c.status = status;
    if (status == "error") {
        c.error = "boom";
        return c;
    }
    c.answer = "42", c.gold = "42", c.is_correct = true, c.n_tokens_total = 300, c.n_tokens_sequential = 170;
    c.n_tokens_prompt = 40, c.wall_seconds = 1.5, c.kv_bytes_peak = 1 << 20, c.votes_json = "[{\"answer\":\"42\"}]";
    c.verdict_status = "ok";
    c.threads = {stored_thread{0, "sample", "eos", 170, "42", -0.3, true, 1, "text 0"},
                 stored_thread{1, "sample", "max_tokens", 130, std::nullopt, -0.9, false, 0, ""}};
    return c;
}

}  // namespace

TEST_CASE("store: a cell round-trips with its threads; sweeps bind once") {
    temp_dir dir("store_rt");
    auto s = store::try_open(dir.file("r.db"));
    REQUIRE(s.is_ok());
    CHECK_FALSE(s.value()->try_sweep().value().has_value());
    REQUIRE(s.value()->try_bind_sweep({"n", "abc", "{}", "name: n"}).is_ok());
    CHECK(s.value()->try_bind_sweep({"n", "abc", "{}", "name: n"}).is_ok());
    tts::status other = s.value()->try_bind_sweep({"n2", "def", "{}", ""});
    CHECK(other.code() == tts::status_code::invalid_argument);
    CHECK(other.message().find("config hash abc") != std::string::npos);

    REQUIRE(s.value()->try_record(sample_cell("a", "error")).is_ok());
    CHECK(s.value()->try_done_keys().value().empty());
    REQUIRE(s.value()->try_record(sample_cell("a", "done")).is_ok());  // the retry replaces the error row
    auto cells = s.value()->try_load_cells(true);
    REQUIRE(cells.is_ok());
    REQUIRE(cells->size() == 1);
    const stored_cell & c = cells->front();
    CHECK(c.status == "done");
    CHECK(c.answer == std::optional<std::string>("42"));
    CHECK(c.seed == 2);
    CHECK(c.n_tokens_sequential == 170);
    CHECK(c.wall_seconds == 1.5);
    REQUIRE(c.threads.size() == 2);
    CHECK(c.threads[1].answer == std::nullopt);
    CHECK(c.threads[1].finish_reason == "max_tokens");
    CHECK(c.threads[0].text == "text 0");
    CHECK(c.threads[0].confidence == -0.3);
    CHECK(s.value()->try_done_keys().value() == std::set<std::string>{"a"});
    CHECK(s.value()->try_integrity_check().value() == "ok");
}

TEST_CASE("store: reopening keeps data; merge refuses another sweep") {
    temp_dir dir("store_merge");
    {
        auto a = store::try_open(dir.file("a.db"));
        REQUIRE(a.value()->try_bind_sweep({"n", "h1", "{}", ""}).is_ok());
        REQUIRE(a.value()->try_record(sample_cell("x", "done")).is_ok());
        auto b = store::try_open(dir.file("b.db"));
        REQUIRE(b.value()->try_bind_sweep({"n", "h2", "{}", ""}).is_ok());
    }
    CHECK(store::try_open_existing(dir.file("missing.db")).error().code() == tts::status_code::not_found);
    auto out = store::try_open(dir.file("out.db"));
    REQUIRE(out.value()->try_merge_from(dir.file("a.db")).is_ok());
    CHECK(out.value()->try_done_keys().value() == std::set<std::string>{"x"});
    tts::status s = out.value()->try_merge_from(dir.file("b.db"));
    CHECK_FALSE(s.is_ok());
    CHECK(s.message().find("refusing to merge") != std::string::npos);
}
