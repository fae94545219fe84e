// store under faults and foreign files: schema versions, read-only opens, a write that fails
// halfway (an injected SQLite error) and a file that cannot grow (RLIMIT_FSIZE, the same
// EFBIG a full disk gives, and it binds root too). After each failure the file must hold its
// last committed state, pass integrity_check, and take the next write.
#include "evals/store.h"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/evals/eval_test_util.h"

using namespace tts::eval;
using namespace tts::eval::testing;

namespace {

stored_cell cell(const std::string & key, const std::string & text = "some text") {
    stored_cell c;
    c.key = key, c.ordinal = 1, c.model = "m", c.dataset = "d", c.problem_id = 1, c.seed = 0;
    c.strategy_label = "s", c.strategy = "s", c.params_json = "{}", c.status = "done";
    c.answer = "42", c.gold = "42", c.is_correct = true, c.votes_json = "[]", c.verdict_status = "ok";
    c.threads = {stored_thread{0, "sample", "eos", "answered", 10, -1, "42", -0.1, true, 0, text},
                 stored_thread{1, "sample", "eos", "answered", 12, -1, "41", -0.2, false, 1, text}};
    return c;
}

// Runs SQL on the file through a plain connection (what another program could do).
void raw_sql(const std::string & path, const char * sql) {
    sqlite3 * db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char * err = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

std::string bytes_of(const std::string & path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("store: a new file carries the schema version; newer and foreign files are refused untouched") {
    temp_dir dir("store_version");
    const std::string p = dir.file("r.db");
    REQUIRE(store::try_open(p).is_ok());
    sqlite3 * db = nullptr;
    REQUIRE(sqlite3_open(p.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt * q = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, nullptr);
    REQUIRE(sqlite3_step(q) == SQLITE_ROW);
    CHECK(sqlite3_column_int(q, 0) == store::schema_version());
    sqlite3_finalize(q);
    sqlite3_close(db);

    raw_sql(p, "PRAGMA user_version = 99");
    auto newer = store::try_open(p);
    REQUIRE_FALSE(newer.is_ok());
    CHECK(newer.error().message().find("newer") != std::string::npos);
    CHECK_FALSE(store::try_open_read_only(p).is_ok());

    // Someone else's SQLite file: neither open adds tables to it or switches it to WAL.
    const std::string other = dir.file("other.db");
    raw_sql(other, "CREATE TABLE notes(x TEXT); INSERT INTO notes VALUES ('mine');");
    const std::string before = bytes_of(other);
    for (bool read_only : {false, true}) {
        auto r = read_only ? store::try_open_read_only(other) : store::try_open(other);
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.error().message().find("not a ttscale results file") != std::string::npos);
    }
    CHECK(bytes_of(other) == before);
    CHECK_FALSE(std::filesystem::exists(other + "-wal"));
}

TEST_CASE("store: an unversioned file of the same columns is adopted; a drifted one is refused") {
    temp_dir dir("store_migrate");
    const std::string p = dir.file("r.db");
    {
        auto s = store::try_open(p);
        REQUIRE(s.is_ok());
        REQUIRE(s.value()->try_bind_sweep({"n", "h", "{}", ""}).is_ok());
        REQUIRE(s.value()->try_record(cell("a")).is_ok());
    }
    raw_sql(p, "PRAGMA user_version = 0");   // as written before versions existed
    {
        auto ro = store::try_open_read_only(p);   // readable as it is
        REQUIRE(ro.is_ok());
        CHECK(ro.value()->try_load_cells(true).value().size() == 1);
        auto s = store::try_open(p);   // upgraded in place
        REQUIRE(s.is_ok());
        CHECK(s.value()->try_load_cells(true).value().size() == 1);
    }
    raw_sql(p, "ALTER TABLE results ADD COLUMN surprise INTEGER");
    auto drift = store::try_open(p);
    REQUIRE_FALSE(drift.is_ok());
    CHECK(drift.error().message().find("table results has columns") != std::string::npos);
    CHECK(drift.error().message().find("surprise") != std::string::npos);
}

TEST_CASE("store: a read-only open changes nothing and refuses writes") {
    temp_dir dir("store_ro");
    const std::string p = dir.file("r.db");
    {
        auto s = store::try_open(p);
        REQUIRE(s.is_ok());
        REQUIRE(s.value()->try_bind_sweep({"n", "h", "{}", ""}).is_ok());
        REQUIRE(s.value()->try_record(cell("a")).is_ok());
    }
    const std::string before = bytes_of(p);
    auto ro = store::try_open_read_only(p);
    REQUIRE(ro.is_ok());
    CHECK(ro.value()->is_read_only());
    CHECK(ro.value()->try_load_cells(true).value().size() == 1);
    const tts::status w = ro.value()->try_record(cell("b"));
    CHECK(w.code() == tts::status_code::invalid_argument);
    CHECK(w.message().find("read-only") != std::string::npos);
    CHECK_FALSE(ro.value()->try_bind_sweep({"n", "h", "{}", ""}).is_ok());
    ro.value().reset();
    CHECK(bytes_of(p) == before);
    CHECK(store::try_open_read_only(dir.file("missing.db")).error().code() == tts::status_code::not_found);
}

TEST_CASE("store: a write that fails halfway leaves the last committed cell, and the next write works") {
    temp_dir dir("store_fail");
    const std::string p = dir.file("r.db");
    auto s = std::move(store::try_open(p)).value();
    REQUIRE(s->try_bind_sweep({"n", "h", "{}", ""}).is_ok());
    REQUIRE(s->try_record(cell("a", "first version")).is_ok());
    const std::string committed = dump_cells(*s);
    // Inject a failure on the second thread row: the cell row and the first thread row are
    // already written in the same transaction when it fires.
    raw_sql(p, "CREATE TRIGGER boom BEFORE INSERT ON threads WHEN NEW.text = 'explode' "
               "BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
    stored_cell bad = cell("a", "ok");
    bad.answer = "changed";
    bad.threads[1].text = "explode";
    const tts::status st = s->try_record(bad);
    REQUIRE_FALSE(st.is_ok());
    CHECK(st.message().find("injected failure") != std::string::npos);
    CHECK(dump_cells(*s) == committed);   // before the fix a failed ROLLBACK was ignored
    stored_cell fresh = cell("b");
    fresh.threads[1].text = "explode";
    CHECK_FALSE(s->try_record(fresh).is_ok());
    CHECK(s->try_load_cells(false).value().size() == 1);   // no half cell "b"
    CHECK(s->try_record(cell("c")).is_ok());               // not stuck inside a transaction
    CHECK(s->try_integrity_check().value() == "ok");
    s.reset();
    auto again = std::move(store::try_open(p)).value();
    CHECK(again->try_load_cells(false).value().size() == 2);
}

TEST_CASE("store: when the file cannot grow (EFBIG, as on a full disk) the write fails cleanly") {
    temp_dir dir("store_full");
    const std::string p = dir.file("r.db");
    auto s = std::move(store::try_open(p)).value();
    REQUIRE(s->try_bind_sweep({"n", "h", "{}", ""}).is_ok());
    REQUIRE(s->try_record(cell("a")).is_ok());
    const std::string committed = dump_cells(*s);

    rlimit old{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);   // EFBIG instead of a signal
    rlimit small = old;
    small.rlim_cur = 256 * 1024;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    const tts::status st = s->try_record(cell("big", std::string(2 << 20, 'x')));
    setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);

    REQUIRE_FALSE(st.is_ok());
    MESSAGE("the error: " << st.message());
    CHECK(dump_cells(*s) == committed);
    CHECK(s->try_integrity_check().value() == "ok");
    const tts::status next = s->try_record(cell("b"));
    CHECK_MESSAGE(next.is_ok(), next.message());
    s.reset();
    auto again = std::move(store::try_open(p)).value();
    CHECK(again->try_load_cells(false).value().size() == 2);
    CHECK(again->try_integrity_check().value() == "ok");
}
