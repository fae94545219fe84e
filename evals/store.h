// store: the SQLite results file of one sweep (schema in evals/README.md).
//
// Tables: sweeps (the config text, its canonical JSON and hash), cells (one row per finished or
// failed cell: its coordinates and status), results (the verdict's answer, grade and costs),
// threads (per reasoning thread: tokens, finish reason and class, answer, confidence, finish rank).
// Columns added after the first release (results.n_tokens_judge, ...; threads.finish_class,
// think_end_at) are added to an older file when it is opened for writing, and read as their
// defaults from a file that lacks them, so older results files stay readable.
// The file is opened in WAL mode and every cell is written in one transaction, so a SIGKILL at
// any moment loses at most the cell in flight and never corrupts the file. A store is bound to
// one sweep hash: binding a different config is refused, and merging only accepts files of the
// same hash. One store object per thread (it owns one sqlite3 connection); several processes
// may read one file while one writes.
//
// Versions: the schema version lives in PRAGMA user_version. Opening for writing creates the
// schema on an empty file, upgrades an older ttscale file step by step (store.cpp,
// k_migrations), refuses a newer one and any file that is not ours, and checks every table's
// columns against the current schema (drift is an error, never a silent mis-merge). All of it
// happens in one transaction, before the file is switched to WAL. try_open_read_only (report,
// replay) never writes: no schema, no WAL switch, no upgrade.
// Transactions: a failed write rolls back (RAII); the file keeps its last committed state. If
// even the rollback fails, the store refuses every later call with that error (reopen it).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/base/status.h"

struct sqlite3;

namespace tts::eval {

struct stored_thread {
    int32_t thread_index = 0;
    std::string role;
    std::string finish_reason;
    std::string finish_class;  // answered | truncated | cancelled | failed ("" in files written before it was stored)
    int64_t n_tokens = 0;
    int64_t think_end_at = -1;  // reasoning models: tokens up to and including </think>; -1 none (or not recorded)
    std::optional<std::string> answer;
    double confidence = 0.0;
    bool is_voted = false;
    int32_t finish_rank = 0;  // 0 = finished first: order by (n_tokens, thread_index), see replay.h
    std::string text;         // empty unless the sweep sets store_text: true
};

struct stored_cell {
    // Coordinates.
    std::string key;
    int64_t ordinal = 0;
    std::string model, dataset;
    int64_t problem_id = 0;
    uint64_t seed = 0;
    std::string strategy_label, strategy, params_json;
    // Outcome.
    std::string status = "done";  // "done" or "error" (error cells are retried on resume)
    std::string error;
    std::optional<std::string> answer;
    std::string gold;
    bool is_correct = false;
    // strategy::verdict's accounting (strategies/verdict.h); columns added later read 0 from older files.
    int64_t n_tokens_total = 0, n_tokens_sequential = 0, n_tokens_prompt = 0;
    int64_t n_tokens_judge = 0, n_tokens_thinking = 0;
    // Reasoning threads (helpers excluded) by finish class.
    int64_t n_threads_answered = 0, n_threads_truncated = 0, n_threads_cancelled = 0, n_threads_failed = 0;
    double wall_seconds = 0.0;
    int64_t kv_bytes_peak = 0;
    std::string votes_json = "[]";
    std::string verdict_status;  // the strategy's own status ("ok", "budget", ...)
    std::vector<stored_thread> threads;
};

struct sweep_row {
    std::string name;
    std::string hash;
    std::string config_json;  // sweep_config::canonical_json()
    std::string config_text;  // the YAML as written
};

class store {
public:
    ~store();
    store(const store &) = delete;
    store & operator=(const store &) = delete;

    // Opens (creating when missing) a results file and its schema.
    static result<std::unique_ptr<store>> try_open(const std::string & path);
    // Opens an existing file; not_found when it does not exist.
    static result<std::unique_ptr<store>> try_open_existing(const std::string & path);
    // Opens an existing file for reading only (report, replay): works on read-only media and
    // changes nothing; writes return an error. The file must be at the current schema version
    // (or an unversioned file whose columns match it).
    static result<std::unique_ptr<store>> try_open_read_only(const std::string & path);
    // The schema version this build writes and reads (PRAGMA user_version).
    static int schema_version();

    // Records the sweep on a fresh file; on a used file, refuses a different hash.
    status try_bind_sweep(const sweep_row & s);
    // The bound sweep, or nullopt on a fresh file.
    result<std::optional<sweep_row>> try_sweep() const;

    result<std::set<std::string>> try_done_keys() const;
    // Writes one cell (replacing an earlier row of the same key) in one transaction.
    status try_record(const stored_cell & c);
    // Every stored cell in ordinal order; threads are loaded when asked.
    result<std::vector<stored_cell>> try_load_cells(bool with_threads) const;

    // Copies the cells of another results file of the same sweep. A done cell wins over an
    // error cell; a cell done in both keeps this file's row.
    status try_merge_from(const std::string & path);
    // PRAGMA integrity_check: "ok" on a sound file.
    result<std::string> try_integrity_check() const;

    const std::string & path() const { return path_; }
    bool is_read_only() const { return is_read_only_; }

private:
    class transaction;   // store.cpp
    store(sqlite3 * db, std::string path, bool is_read_only) : db_(db), path_(std::move(path)), is_read_only_(is_read_only) {}
    status exec(const char * sql) const;
    // ALTER TABLE ADD COLUMN for every column an older file lacks.
    status add_missing_columns();
    status check_writable() const;
    status bind_sweep_locked(const sweep_row & s);   // inside a transaction

    sqlite3 * db_;
    std::string path_;
    bool is_read_only_;
    status broken_;   // set when a rollback failed: every later call returns it
};

}  // namespace tts::eval
