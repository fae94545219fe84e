// runner: runs the cells of a sweep plan through an injected cell_runner into a results store.
//
// run_sweep binds the store to the sweep (refusing a file of another config), skips cells
// already done (resume), keeps the shard's slice, runs at most `limit` cells, grades each
// verdict against the gold answer with strategy::equivalent, and writes each cell in its own
// transaction as soon as it finishes. A cell_runner failure (a status, or a thrown exception)
// is stored as an error cell, retried by the next run. Runs on the calling thread, one cell at
// a time; the cell_runner decides how much parallelism one cell uses.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>

#include "evals/store.h"
#include "evals/sweep.h"

namespace tts::eval {

struct run_options {
    shard_spec shard;                 // --shard i/n (default: the whole sweep)
    int64_t limit = -1;               // --limit N: run at most N cells now (< 0: all)
    std::FILE * progress_out = stderr;  // nullptr: silent
    std::optional<bool> is_tty;       // default: isatty(progress_out)
};

struct run_summary {
    int64_t n_cells = 0;         // cells in this shard
    int64_t n_done_before = 0;   // already done when the run started
    int64_t n_run = 0;           // run now (done + error)
    int64_t n_errors = 0;        // of those, failed
    int64_t n_left = 0;          // still not done afterwards
};

// REQUIRES: `plan` came from try_plan_sweep.
result<run_summary> run_sweep(const sweep_plan & plan, store & db, const cell_runner & runner, const run_options & opt);

// The row run_sweep stores for one cell's outcome (threads ranked by (n_tokens, thread_index)).
stored_cell make_stored_cell(const sweep_plan & plan, const cell & c, const result<strategy::verdict> & outcome);

// The sweeps-table row for a config.
sweep_row make_sweep_row(const sweep_config & config);

}  // namespace tts::eval
