// store: SQLite through its C API, one prepared statement per query, wrapped in a tiny RAII type.
#include "evals/store.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <sqlite3.h>

namespace tts::eval {
namespace {

const char * k_schema = R"sql(
CREATE TABLE IF NOT EXISTS sweeps(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL, hash TEXT NOT NULL, config_json TEXT NOT NULL, config_text TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE IF NOT EXISTS cells(
  key TEXT PRIMARY KEY, ordinal INTEGER NOT NULL, model TEXT NOT NULL, dataset TEXT NOT NULL,
  problem_id INTEGER NOT NULL, seed INTEGER NOT NULL, strategy_label TEXT NOT NULL, strategy TEXT NOT NULL,
  params_json TEXT NOT NULL, status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE IF NOT EXISTS results(
  cell_key TEXT PRIMARY KEY REFERENCES cells(key), answer TEXT, gold TEXT NOT NULL, correct INTEGER NOT NULL,
  n_tokens_total INTEGER NOT NULL, n_tokens_sequential INTEGER NOT NULL, n_tokens_prompt INTEGER NOT NULL,
  wall_seconds REAL NOT NULL, kv_bytes_peak INTEGER NOT NULL, votes_json TEXT NOT NULL, verdict_status TEXT NOT NULL,
  n_tokens_judge INTEGER NOT NULL DEFAULT 0, n_tokens_thinking INTEGER NOT NULL DEFAULT 0,
  n_threads_answered INTEGER NOT NULL DEFAULT 0, n_threads_truncated INTEGER NOT NULL DEFAULT 0,
  n_threads_cancelled INTEGER NOT NULL DEFAULT 0, n_threads_failed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS threads(
  cell_key TEXT NOT NULL REFERENCES cells(key), thread_index INTEGER NOT NULL, role TEXT NOT NULL,
  finish_reason TEXT NOT NULL, n_tokens INTEGER NOT NULL, answer TEXT, confidence REAL NOT NULL,
  voted INTEGER NOT NULL, finish_rank INTEGER NOT NULL, text TEXT NOT NULL,
  finish_class TEXT NOT NULL DEFAULT '', think_end_at INTEGER NOT NULL DEFAULT -1,
  PRIMARY KEY (cell_key, thread_index));
)sql";

// Columns added in schema 2, in the order they were added (the CREATE statements
// above end with them in this order, so SELECT * lines up between old and new files once an
// old file has been brought up to date). {table, column, declaration incl. default}.
struct added_column {
    const char * table;
    const char * column;
    const char * decl;
};
constexpr added_column k_added_columns[] = {
    {"results", "n_tokens_judge", "INTEGER NOT NULL DEFAULT 0"},
    {"results", "n_tokens_thinking", "INTEGER NOT NULL DEFAULT 0"},
    {"results", "n_threads_answered", "INTEGER NOT NULL DEFAULT 0"},
    {"results", "n_threads_truncated", "INTEGER NOT NULL DEFAULT 0"},
    {"results", "n_threads_cancelled", "INTEGER NOT NULL DEFAULT 0"},
    {"results", "n_threads_failed", "INTEGER NOT NULL DEFAULT 0"},
    {"threads", "finish_class", "TEXT NOT NULL DEFAULT ''"},
    {"threads", "think_end_at", "INTEGER NOT NULL DEFAULT -1"},
};

// PRAGMA user_version of a file with k_schema. Changing k_schema: bump it and add the step from
// the previous version to migrate() (ALTER TABLE ... ADD COLUMN ... DEFAULT ...); the column
// check after the migrations compares every table with k_schema.
//   0: written before versions existed (tables of version 1, or of version 2 when written by a
//      build that added k_added_columns without a version)
//   1: sweeps, cells, results, threads
//   2: + k_added_columns
constexpr int k_schema_version = 2;

const char * const k_tables[] = {"sweeps", "cells", "results", "threads"};

// A prepared statement; binds are 1-based like SQLite's.
class stmt {
public:
    stmt(sqlite3 * db, const char * sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
    ~stmt() { sqlite3_finalize(s_); }
    bool ok() const { return rc_ == SQLITE_OK; }
    stmt & bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); return *this; }
    stmt & bind(int i, double v) { sqlite3_bind_double(s_, i, v); return *this; }
    stmt & bind(int i, const std::string & v) { sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT); return *this; }
    stmt & bind(int i, const std::optional<std::string> & v) {
        if (v) return bind(i, *v);
        sqlite3_bind_null(s_, i);
        return *this;
    }
    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return sqlite3_step(s_); }
    void reset() { sqlite3_reset(s_); sqlite3_clear_bindings(s_); }
    int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
    double f64(int c) const { return sqlite3_column_double(s_, c); }
    std::string text(int c) const {
        const unsigned char * t = sqlite3_column_text(s_, c);
        return t ? std::string(reinterpret_cast<const char *>(t), size_t(sqlite3_column_bytes(s_, c))) : std::string();
    }
    std::optional<std::string> opt_text(int c) const {
        if (sqlite3_column_type(s_, c) == SQLITE_NULL) return std::nullopt;
        return text(c);
    }

private:
    sqlite3_stmt * s_ = nullptr;
    int rc_;
};

status sql_error(sqlite3 * db, std::string_view what) {
    return status::internal(fmt::format("sqlite: {}: {}", what, sqlite3_errmsg(db)));
}

// Column names of `table` in the schema `db` holds, in order; empty when there is no such table.
std::vector<std::string> columns_of(sqlite3 * db, const std::string & table) {
    std::vector<std::string> out;
    stmt q(db, ("PRAGMA table_info(" + table + ")").c_str());
    while (q.ok() && q.step() == SQLITE_ROW) out.push_back(q.text(1));
    return out;
}

bool has(const std::vector<std::string> & columns, std::string_view c) {
    return std::find(columns.begin(), columns.end(), c) != columns.end();
}

// `column`, or the added column's default when the file predates it (read-only files).
std::string column_or_default(const std::vector<std::string> & have, const char * prefix, const char * column) {
    if (has(have, column)) return std::string(prefix) + column;
    for (const added_column & a : k_added_columns) {
        if (std::string_view(a.column) != column) continue;
        const std::string_view decl(a.decl);
        return std::string(decl.substr(decl.find("DEFAULT ") + 8));
    }
    return "NULL";
}

result<int64_t> user_version(sqlite3 * db) {
    stmt q(db, "PRAGMA user_version");
    if (!q.ok() || q.step() != SQLITE_ROW) return sql_error(db, "read schema version");
    return q.i64(0);
}

// Each table has exactly the columns of k_schema (built in memory to compare); with
// allow_missing_added, columns of k_added_columns may be missing.
status check_columns(sqlite3 * db, const std::string & path, bool allow_missing_added = false) {
    sqlite3 * ref = nullptr;
    if (sqlite3_open(":memory:", &ref) != SQLITE_OK || sqlite3_exec(ref, k_schema, nullptr, nullptr, nullptr) != SQLITE_OK) {
        sqlite3_close(ref);
        return status::internal("sqlite: cannot build the reference schema");
    }
    status out;
    for (const char * t : k_tables) {
        std::vector<std::string> want = columns_of(ref, t);
        const std::vector<std::string> got = columns_of(db, t);
        if (allow_missing_added)   // a schema-1 file read as it is: the added columns read as their defaults
            for (const added_column & a : k_added_columns)
                if (std::string_view(a.table) == t && !has(got, a.column)) std::erase(want, std::string(a.column));
        if (got == want) continue;
        std::string g, w;
        for (auto & c : got) g += (g.empty() ? "" : ", ") + c;
        for (auto & c : want) w += (w.empty() ? "" : ", ") + c;
        out = status::invalid_argument(fmt::format("{}: table {} has columns ({}), schema {} expects ({})", path, t, g,
                                                   k_schema_version, w));
        break;
    }
    sqlite3_close(ref);
    return out;
}

// How many of our tables the file has, and whether it has anything else.
void count_tables(sqlite3 * db, int & n_ours, int & n_other) {
    n_ours = n_other = 0;
    stmt q(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    while (q.ok() && q.step() == SQLITE_ROW) {
        const std::string name = q.text(0);
        bool is_ours = false;
        for (const char * t : k_tables) is_ours |= name == t;
        (is_ours ? n_ours : n_other) += 1;
    }
}

status not_ours(const std::string & path) {
    return status::invalid_argument(path + " is not a ttscale results file (it lacks the sweeps/cells/results/threads tables)");
}


}  // namespace

// BEGIN IMMEDIATE ... COMMIT; rolled back unless committed. A rollback that fails leaves the
// connection inside a transaction, so every later BEGIN would fail: the store is then broken.
class store::transaction {
public:
    explicit transaction(store & s) : s_(s) {}
    ~transaction() {
        // SQLite may have rolled back already (SQLITE_FULL, I/O errors): then we are out.
        if (!is_open_ || sqlite3_get_autocommit(s_.db_) != 0) return;
        const status r = s_.exec("ROLLBACK");
        if (sqlite3_get_autocommit(s_.db_) == 0)
            s_.broken_ = status::unavailable(fmt::format("{}: a failed write could not be rolled back ({}); reopen the file",
                                                         s_.path_, r.message()));
    }
    transaction(const transaction &) = delete;
    transaction & operator=(const transaction &) = delete;

    status begin() {
        if (status s = s_.exec("BEGIN IMMEDIATE"); !s.is_ok()) return s;
        is_open_ = true;
        return status::ok();
    }
    status commit() {
        status s = s_.exec("COMMIT");
        if (s.is_ok()) is_open_ = false;   // else the destructor rolls back
        return s;
    }

private:
    store & s_;
    bool is_open_ = false;
};

store::~store() { sqlite3_close_v2(db_); }

int store::schema_version() { return k_schema_version; }

status store::check_writable() const {
    if (!broken_.is_ok()) return broken_;
    if (is_read_only_) return status::invalid_argument(path_ + " was opened read-only");
    return status::ok();
}

status store::exec(const char * sql) const {
    char * err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        status s = status::internal(fmt::format("sqlite: {}: {}", path_, err ? err : "error"));
        sqlite3_free(err);
        return s;
    }
    return status::ok();
}

result<std::unique_ptr<store>> store::try_open(const std::string & path) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    sqlite3 * db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        status s = status::unavailable(fmt::format("cannot open results file {}: {}", path, db ? sqlite3_errmsg(db) : "out of memory"));
        sqlite3_close_v2(db);
        return s;
    }
    std::unique_ptr<store> st(new store(db, path, false));
    sqlite3_busy_timeout(db, 10000);
    auto fail = [&](const status & s) { return status(status::unavailable(fmt::format("cannot write results file {}: {}", path, s.message()))); };
    // Schema: created, upgraded or checked in one transaction, before anything else changes.
    {
        transaction t(*st);
        if (status s = t.begin(); !s.is_ok()) return fail(s);
        result<int64_t> v = user_version(db);
        if (!v) return v.error();
        if (v.value() > k_schema_version)
            return status::invalid_argument(fmt::format("{} has results schema {}, newer than this build's {}: use a newer ttscale",
                                                        path, v.value(), k_schema_version));
        int n_ours = 0, n_other = 0;
        count_tables(db, n_ours, n_other);
        if (n_ours == 0 && n_other == 0 && v.value() == 0) {
            if (status s = st->exec(k_schema); !s.is_ok()) return fail(s);
        } else if (n_ours != int(std::size(k_tables))) {
            return not_ours(path);
        } else {
            // 0 -> 1: nothing; 1 -> 2 (and a version-0 file of either shape): the added columns it lacks.
            if (v.value() < 2)
                if (status s = st->add_missing_columns(); !s.is_ok())
                    return status::internal(fmt::format("{}: upgrading the results schema from version {}: {}", path, v.value(), s.message()));
        }
        if (status s = check_columns(db, path); !s.is_ok()) return s;
        if (status s = st->exec(fmt::format("PRAGMA user_version = {}", k_schema_version).c_str()); !s.is_ok()) return fail(s);
        if (status s = t.commit(); !s.is_ok()) return fail(s);
    }
    for (const char * sql : {"PRAGMA journal_mode=WAL;", "PRAGMA synchronous=NORMAL;", "PRAGMA foreign_keys=ON;"})
        if (status s = st->exec(sql); !s.is_ok()) return fail(s);
    return st;
}

status store::add_missing_columns() {
    for (const added_column & a : k_added_columns) {
        if (has(columns_of(db_, a.table), a.column)) continue;
        if (status s = exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", a.table, a.column, a.decl).c_str());
            !s.is_ok())
            return status::invalid_argument(path_ + ": cannot add column " + a.table + "." + a.column + " (" +
                                            s.message() + ")");
    }
    return status::ok();
}

result<std::unique_ptr<store>> store::try_open_existing(const std::string & path) {
    if (!std::filesystem::exists(path)) return status::not_found("no results file " + path);
    return try_open(path);
}

result<std::unique_ptr<store>> store::try_open_read_only(const std::string & path) {
    if (!std::filesystem::exists(path)) return status::not_found("no results file " + path);
    sqlite3 * db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        status s = status::unavailable(fmt::format("cannot read results file {}: {}", path, db ? sqlite3_errmsg(db) : "out of memory"));
        sqlite3_close_v2(db);
        return s;
    }
    std::unique_ptr<store> st(new store(db, path, true));
    sqlite3_busy_timeout(db, 10000);
    result<int64_t> v = user_version(db);
    if (!v) return status::invalid_argument(fmt::format("{} is not a readable SQLite file: {}", path, v.error().message()));
    if (v.value() > k_schema_version)
        return status::invalid_argument(fmt::format("{} has results schema {}, newer than this build's {}: use a newer ttscale",
                                                    path, v.value(), k_schema_version));
    int n_ours = 0, n_other = 0;
    count_tables(db, n_ours, n_other);
    if (n_ours != int(std::size(k_tables))) return not_ours(path);
    if (status s = check_columns(db, path, /*allow_missing_added=*/v.value() < 2); !s.is_ok()) {
        if (v.value() < k_schema_version)
            return status::invalid_argument(s.message() + fmt::format(
                " (schema {}: open it once for writing, e.g. ttscale merge, to upgrade it)", v.value()));
        return s;
    }
    return st;
}

status store::try_bind_sweep(const sweep_row & s) {
    if (status w = check_writable(); !w.is_ok()) return w;
    transaction t(*this);
    if (status b = t.begin(); !b.is_ok()) return b;
    if (status b = bind_sweep_locked(s); !b.is_ok()) return b;
    return t.commit();
}

status store::bind_sweep_locked(const sweep_row & s) {
    result<std::optional<sweep_row>> cur = try_sweep();
    if (!cur) return cur.error();
    if (cur.value()) {
        if (cur.value()->hash == s.hash) return status::ok();
        return status::invalid_argument(fmt::format(
            "{} holds sweep \"{}\" with config hash {}, not {} (\"{}\"): use another --db, or delete the file to start over",
            path_, cur.value()->name, cur.value()->hash, s.hash, s.name));
    }
    stmt q(db_, "INSERT INTO sweeps(id, name, hash, config_json, config_text) VALUES (1, ?, ?, ?, ?)");
    q.bind(1, s.name).bind(2, s.hash).bind(3, s.config_json).bind(4, s.config_text);
    if (q.step() != SQLITE_DONE) return sql_error(db_, "bind sweep");
    return status::ok();
}

result<std::optional<sweep_row>> store::try_sweep() const {
    stmt q(db_, "SELECT name, hash, config_json, config_text FROM sweeps WHERE id = 1");
    if (!q.ok()) return sql_error(db_, "read sweep");
    int rc = q.step();
    if (rc == SQLITE_DONE) return std::optional<sweep_row>{};
    if (rc != SQLITE_ROW) return sql_error(db_, "read sweep");
    return std::optional<sweep_row>{sweep_row{q.text(0), q.text(1), q.text(2), q.text(3)}};
}

result<std::set<std::string>> store::try_done_keys() const {
    stmt q(db_, "SELECT key FROM cells WHERE status = 'done'");
    if (!q.ok()) return sql_error(db_, "read done cells");
    std::set<std::string> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) out.insert(q.text(0));
    if (rc != SQLITE_DONE) return sql_error(db_, "read done cells");
    return out;
}

status store::try_record(const stored_cell & c) {
    if (status w = check_writable(); !w.is_ok()) return w;
    transaction t(*this);   // rolls back on every early return
    if (status s = t.begin(); !s.is_ok()) return s;
    auto fail = [&](const char * what) { return sql_error(db_, std::string(what) + " " + c.key + " in " + path_); };
    stmt del_t(db_, "DELETE FROM threads WHERE cell_key = ?");
    stmt del_r(db_, "DELETE FROM results WHERE cell_key = ?");
    if (del_t.bind(1, c.key).step() != SQLITE_DONE || del_r.bind(1, c.key).step() != SQLITE_DONE) return fail("clear cell");
    stmt qc(db_, "INSERT OR REPLACE INTO cells(key, ordinal, model, dataset, problem_id, seed, strategy_label, strategy, "
                 "params_json, status, error) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    qc.bind(1, c.key).bind(2, c.ordinal).bind(3, c.model).bind(4, c.dataset).bind(5, c.problem_id).bind(6, int64_t(c.seed));
    qc.bind(7, c.strategy_label).bind(8, c.strategy).bind(9, c.params_json).bind(10, c.status).bind(11, c.error);
    if (qc.step() != SQLITE_DONE) return fail("write cell");
    if (c.status == "done") {
        stmt qr(db_,
                "INSERT INTO results(cell_key, answer, gold, correct, n_tokens_total, n_tokens_sequential, "
                "n_tokens_prompt, wall_seconds, kv_bytes_peak, votes_json, verdict_status, n_tokens_judge, "
                "n_tokens_thinking, n_threads_answered, n_threads_truncated, n_threads_cancelled, n_threads_failed) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
        qr.bind(1, c.key).bind(2, c.answer).bind(3, c.gold).bind(4, int64_t(c.is_correct)).bind(5, c.n_tokens_total);
        qr.bind(6, c.n_tokens_sequential).bind(7, c.n_tokens_prompt).bind(8, c.wall_seconds).bind(9, c.kv_bytes_peak);
        qr.bind(10, c.votes_json).bind(11, c.verdict_status).bind(12, c.n_tokens_judge).bind(13, c.n_tokens_thinking);
        qr.bind(14, c.n_threads_answered)
            .bind(15, c.n_threads_truncated)
            .bind(16, c.n_threads_cancelled)
            .bind(17, c.n_threads_failed);
        if (qr.step() != SQLITE_DONE) return fail("write result");
        stmt qt(db_,
                "INSERT INTO threads(cell_key, thread_index, role, finish_reason, n_tokens, answer, confidence, voted, "
                "finish_rank, text, finish_class, think_end_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
        for (const stored_thread & t : c.threads) {
            qt.bind(1, c.key).bind(2, int64_t(t.thread_index)).bind(3, t.role).bind(4, t.finish_reason).bind(5, t.n_tokens);
            qt.bind(6, t.answer).bind(7, t.confidence).bind(8, int64_t(t.is_voted)).bind(9, int64_t(t.finish_rank)).bind(10, t.text);
            qt.bind(11, t.finish_class).bind(12, t.think_end_at);
            if (qt.step() != SQLITE_DONE) return fail("write thread");
            qt.reset();
        }
    }
    return t.commit();
}

result<std::vector<stored_cell>> store::try_load_cells(bool with_threads) const {
    const std::vector<std::string> rc_have = columns_of(db_, "results"), th_have = columns_of(db_, "threads");
    auto r_col = [&](const char * c) { return column_or_default(rc_have, "r.", c); };
    const std::string sql = fmt::format(
        "SELECT c.key, c.ordinal, c.model, c.dataset, c.problem_id, c.seed, c.strategy_label, c.strategy, "
        "c.params_json, c.status, c.error, r.answer, r.gold, r.correct, r.n_tokens_total, r.n_tokens_sequential, "
        "r.n_tokens_prompt, r.wall_seconds, r.kv_bytes_peak, r.votes_json, r.verdict_status, {}, {}, {}, {}, {}, {} "
        "FROM cells c LEFT JOIN results r ON r.cell_key = c.key ORDER BY c.ordinal, c.key",
        r_col("n_tokens_judge"), r_col("n_tokens_thinking"), r_col("n_threads_answered"), r_col("n_threads_truncated"),
        r_col("n_threads_cancelled"), r_col("n_threads_failed"));
    stmt q(db_, sql.c_str());
    if (!q.ok()) return sql_error(db_, "load cells");
    std::vector<stored_cell> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
        stored_cell c;
        c.key = q.text(0), c.ordinal = q.i64(1), c.model = q.text(2), c.dataset = q.text(3), c.problem_id = q.i64(4);
        c.seed = uint64_t(q.i64(5)), c.strategy_label = q.text(6), c.strategy = q.text(7), c.params_json = q.text(8);
        c.status = q.text(9), c.error = q.text(10), c.answer = q.opt_text(11), c.gold = q.text(12);
        c.is_correct = q.i64(13) != 0, c.n_tokens_total = q.i64(14), c.n_tokens_sequential = q.i64(15);
        c.n_tokens_prompt = q.i64(16), c.wall_seconds = q.f64(17), c.kv_bytes_peak = q.i64(18);
        c.votes_json = q.text(19), c.verdict_status = q.text(20);
        c.n_tokens_judge = q.i64(21), c.n_tokens_thinking = q.i64(22), c.n_threads_answered = q.i64(23);
        c.n_threads_truncated = q.i64(24), c.n_threads_cancelled = q.i64(25), c.n_threads_failed = q.i64(26);
        out.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) return sql_error(db_, "load cells");
    if (!with_threads) return out;
    const std::string tsql = fmt::format(
        "SELECT thread_index, role, finish_reason, n_tokens, answer, confidence, voted, "
        "finish_rank, text, {}, {} FROM threads WHERE cell_key = ? ORDER BY thread_index",
        column_or_default(th_have, "", "finish_class"), column_or_default(th_have, "", "think_end_at"));
    stmt qt(db_, tsql.c_str());
    for (stored_cell & c : out) {
        qt.bind(1, c.key);
        while ((rc = qt.step()) == SQLITE_ROW) {
            stored_thread t;
            t.thread_index = int32_t(qt.i64(0)), t.role = qt.text(1), t.finish_reason = qt.text(2), t.n_tokens = qt.i64(3);
            t.answer = qt.opt_text(4), t.confidence = qt.f64(5), t.is_voted = qt.i64(6) != 0;
            t.finish_rank = int32_t(qt.i64(7)), t.text = qt.text(8), t.finish_class = qt.text(9),
            t.think_end_at = qt.i64(10);
            c.threads.push_back(std::move(t));
        }
        if (rc != SQLITE_DONE) return sql_error(db_, "load threads");
        qt.reset();
    }
    return out;
}

status store::try_merge_from(const std::string & path) {
    if (status w = check_writable(); !w.is_ok()) return w;
    sweep_row theirs;
    {
        // Read-write: an older shard is upgraded (and checked) like any file we write.
        result<std::unique_ptr<store>> src = try_open_existing(path);
        if (!src) return src.error();
        result<std::optional<sweep_row>> row = src.value()->try_sweep();
        if (!row) return row.error();
        if (!row.value()) return status::invalid_argument(path + " has no sweep recorded (an empty results file?)");
        theirs = *row.value();
    }   // closed before ATTACH so its WAL is checkpointed and the file is whole

    stmt att(db_, "ATTACH DATABASE ? AS src");
    if (att.bind(1, path).step() != SQLITE_DONE) return sql_error(db_, "attach " + path);
    status out = [&]() -> status {
        transaction t(*this);
        if (status s = t.begin(); !s.is_ok()) return s;
        if (status s = bind_sweep_locked(theirs); !s.is_ok())
            return status::invalid_argument("refusing to merge " + path + ": " + s.message());
        // Keys to take: done there and not done here, or absent here. Columns are listed by
        // name (both files passed the same schema check), never SELECT *.
        std::string sql = R"sql(
          CREATE TEMP TABLE take AS SELECT s.key FROM src.cells s LEFT JOIN main.cells m ON m.key = s.key
            WHERE m.key IS NULL OR (s.status = 'done' AND m.status != 'done');
          DELETE FROM main.threads WHERE cell_key IN (SELECT key FROM take);
          DELETE FROM main.results WHERE cell_key IN (SELECT key FROM take);
          DELETE FROM main.cells WHERE key IN (SELECT key FROM take);
        )sql";
        for (auto [table, key] : {std::pair{"cells", "key"}, {"results", "cell_key"}, {"threads", "cell_key"}}) {
            std::string cols;
            for (const std::string & c : columns_of(db_, table)) cols += (cols.empty() ? "" : ", ") + c;
            sql += fmt::format("INSERT INTO main.{0}({1}) SELECT {1} FROM src.{0} WHERE {2} IN (SELECT key FROM take);\n",
                               table, cols, key);
        }
        sql += "DROP TABLE take;";
        if (status s = exec(sql.c_str()); !s.is_ok()) return s;
        return t.commit();
    }();
    exec("DROP TABLE IF EXISTS temp.take");
    exec("DETACH DATABASE src");
    return out;
}

result<std::string> store::try_integrity_check() const {
    stmt q(db_, "PRAGMA integrity_check");
    if (!q.ok()) return sql_error(db_, "integrity_check");
    std::string out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) out += (out.empty() ? "" : "\n") + q.text(0);
    if (rc != SQLITE_DONE) return sql_error(db_, "integrity_check");
    return out;
}

}  // namespace tts::eval
