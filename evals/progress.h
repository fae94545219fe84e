// progress: what a running sweep prints while it works.
//
// On a terminal: one line redrawn in place (at most 10 times a second) with cells done/total,
// percent, ETA, generated tokens per second and the running accuracy. Elsewhere (a log file, a
// CI job, a Kubernetes pod): a plain line per finished cell, at most one a second, plus the last.
// Rates and the ETA count only the cells run by this process, so a resumed sweep's ETA is honest.
// Not thread-safe: the runner's thread calls it.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace tts::eval {

class progress {
public:
    // `n_total` cells in this run's slice, of which `n_done_before` were already stored.
    progress(std::FILE * out, int64_t n_total, int64_t n_done_before, bool is_tty);
    // True when `f` is a terminal (isatty).
    static bool is_terminal(std::FILE * f);

    // One cell finished (is_ok false: it failed). `label` names it in log lines.
    void on_cell(const std::string & label, bool is_ok, bool is_correct, int64_t n_tokens);
    // Ends the live line with a newline and prints the totals.
    void finish();
    // The line as it would be printed now (tests).
    std::string line_for_testing() const { return line(); }

private:
    using clock = std::chrono::steady_clock;
    std::string line() const;

    std::FILE * out_;
    bool is_tty_;
    int64_t n_total_, n_done_before_;
    int64_t n_run_ = 0, n_errors_ = 0, n_correct_ = 0, n_tokens_ = 0;
    clock::time_point t_start_ = clock::now();
    clock::time_point t_last_print_{};
};

}  // namespace tts::eval
