#include "evals/store.h"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include "tests/evals/eval_test_util.h"

using namespace tts::eval;
using namespace tts::eval::testing;

namespace {

stored_thread thread(int32_t index, const std::string & reason, const std::string & cls, int64_t n_tokens,
                     std::optional<std::string> answer, double confidence, bool voted, int32_t rank,
                     const std::string & text) {
    stored_thread t;
    t.thread_index = index, t.role = "sample", t.finish_reason = reason, t.finish_class = cls, t.n_tokens = n_tokens;
    t.answer = std::move(answer), t.confidence = confidence, t.is_voted = voted, t.finish_rank = rank, t.text = text;
    return t;
}

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
    c.n_tokens_judge = 12, c.n_tokens_thinking = 90;
    c.n_threads_answered = 1, c.n_threads_truncated = 1;
    c.threads = {thread(0, "eos", "answered", 170, "42", -0.3, true, 1, "text 0"),
                 thread(1, "max_tokens", "truncated", 130, std::nullopt, -0.9, false, 0, "")};
    c.threads[0].think_end_at = 88;
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
    CHECK(c.threads[0].finish_class == "answered");
    CHECK(c.threads[0].think_end_at == 88);
    CHECK(c.threads[1].think_end_at == -1);
    CHECK(c.n_tokens_prompt == 40);
    CHECK(c.n_tokens_judge == 12);
    CHECK(c.n_tokens_thinking == 90);
    CHECK(c.n_threads_answered == 1);
    CHECK(c.n_threads_truncated == 1);
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

namespace {

// The first release's schema (before finish classes, think-end positions and the token and
// thread-count columns), with one done cell.
void write_old_file(const std::string & path) {
    sqlite3 * db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const char * sql = R"sql(
CREATE TABLE sweeps(id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL, hash TEXT NOT NULL,
  config_json TEXT NOT NULL, config_text TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE cells(key TEXT PRIMARY KEY, ordinal INTEGER NOT NULL, model TEXT NOT NULL, dataset TEXT NOT NULL,
  problem_id INTEGER NOT NULL, seed INTEGER NOT NULL, strategy_label TEXT NOT NULL, strategy TEXT NOT NULL,
  params_json TEXT NOT NULL, status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE results(cell_key TEXT PRIMARY KEY REFERENCES cells(key), answer TEXT, gold TEXT NOT NULL,
  correct INTEGER NOT NULL, n_tokens_total INTEGER NOT NULL, n_tokens_sequential INTEGER NOT NULL,
  n_tokens_prompt INTEGER NOT NULL, wall_seconds REAL NOT NULL, kv_bytes_peak INTEGER NOT NULL,
  votes_json TEXT NOT NULL, verdict_status TEXT NOT NULL);
CREATE TABLE threads(cell_key TEXT NOT NULL REFERENCES cells(key), thread_index INTEGER NOT NULL, role TEXT NOT NULL,
  finish_reason TEXT NOT NULL, n_tokens INTEGER NOT NULL, answer TEXT, confidence REAL NOT NULL,
  voted INTEGER NOT NULL, finish_rank INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (cell_key, thread_index));
INSERT INTO sweeps(id, name, hash, config_json, config_text) VALUES (1, 'n', 'h1', '{}', '');
INSERT INTO cells(key, ordinal, model, dataset, problem_id, seed, strategy_label, strategy, params_json, status)
  VALUES ('old', 0, 'm', 'd', 1, 0, 'sc', 'sc', '{}', 'done');
INSERT INTO results VALUES ('old', '5', '5', 1, 100, 60, 0, 0.5, 1024, '[]', 'ok');
INSERT INTO threads VALUES ('old', 0, 'sample', 'max_tokens', 60, '5', -0.5, 1, 0, '');
)sql";
    char * err = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    CHECK_MESSAGE(rc == SQLITE_OK, (err ? err : ""));
    sqlite3_free(err);
    sqlite3_close(db);
}

}  // namespace

// Breaking it: reading a column an old file lacks fails the load ("no such column"); not
// adding the columns on open fails the insert; merging files whose columns differ in order
// mixes values up.
TEST_CASE("store: files written before the finish-class and token columns stay readable, writable and mergeable") {
    temp_dir dir("store_old");
    write_old_file(dir.file("old.db"));
    auto s = store::try_open_existing(dir.file("old.db"));
    REQUIRE(s.is_ok());
    auto cells = s.value()->try_load_cells(true).value();
    REQUIRE(cells.size() == 1);
    CHECK(cells[0].n_tokens_total == 100);
    CHECK(cells[0].n_tokens_judge == 0);
    CHECK(cells[0].n_threads_truncated == 0);
    REQUIRE(cells[0].threads.size() == 1);
    CHECK(cells[0].threads[0].finish_class.empty());  // derived from finish_reason by readers
    CHECK(cells[0].threads[0].think_end_at == -1);
    REQUIRE(s.value()->try_record(sample_cell("new", "done")).is_ok());
    CHECK(s.value()->try_load_cells(true).value()[1].n_tokens_thinking == 90);
    s.value().reset();

    write_old_file(dir.file("old2.db"));
    auto out = store::try_open(dir.file("out.db"));
    REQUIRE(out.value()->try_bind_sweep({"n", "h1", "{}", ""}).is_ok());
    REQUIRE(out.value()->try_record(sample_cell("new", "done")).is_ok());
    REQUIRE(out.value()->try_merge_from(dir.file("old2.db")).is_ok());
    auto merged = out.value()->try_load_cells(true).value();
    REQUIRE(merged.size() == 2);
    CHECK(merged[0].key == "old");
    CHECK(merged[0].n_tokens_sequential == 60);
    CHECK(merged[0].verdict_status == "ok");
    CHECK(merged[1].n_tokens_judge == 12);
}
