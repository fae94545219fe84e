// report: the comparison tables of a results file, written as JSON, Markdown and one
// self-contained HTML page (plots drawn by evals/scripts/plot_report.py, embedded as base64 PNG).
//
// Per (model, dataset, strategy config): accuracy with a 95% Wilson interval over done cells,
// mean total / sequential tokens, mean wall time, peak KV, and whether the point is on the
// accuracy-vs-tokens Pareto front. Paired comparison against a baseline strategy config on the
// same (model, dataset, problem, seed): wins (only the config is right), losses (only the
// baseline is), ties, and the ratios of summed tokens and wall time over the pairs.
// The C++ side owns every number; Python only draws. Not thread-safe; call from one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "evals/store.h"

namespace tts::eval {

// The Wilson score interval of k successes in n trials; (0, 1) when n == 0.
std::pair<double, double> wilson_interval(int64_t k, int64_t n, double z = 1.959964);

struct report_row {
    std::string model, dataset, label, strategy;
    int64_t n = 0, n_correct = 0, n_errors = 0;
    double accuracy = 0, ci_low = 0, ci_high = 1;
    double mean_tokens_total = 0, mean_tokens_sequential = 0, mean_wall_seconds = 0;
    int64_t kv_bytes_peak = 0;
    bool is_pareto = false;  // no other config of the same dataset is as accurate with fewer tokens
};

struct paired_row {
    std::string model, dataset, label, baseline;
    int64_t n_pairs = 0, n_wins = 0, n_losses = 0, n_ties = 0;
    double token_ratio = 0, time_ratio = 0;  // config / baseline, summed over the pairs
};

struct report_data {
    std::string sweep_name, sweep_hash, baseline;
    int64_t n_cells_done = 0, n_cells_error = 0;
    std::vector<report_row> rows;      // model, dataset, then strategy configs in sweep order
    std::vector<paired_row> paired;    // every config but the baseline
};

// Builds the tables. `baseline` defaults to the sweep's first strategy config; an unknown
// baseline is not_found (the message lists the labels).
result<report_data> build_report(const std::vector<stored_cell> & cells, const sweep_row & sweep,
                                 const std::optional<std::string> & baseline);

std::string report_json(const report_data & r);
std::string report_markdown(const report_data & r, const std::string & plot_note);

struct report_plot {
    std::string title;
    std::string png;  // the file's bytes
};
std::string report_html(const report_data & r, const std::vector<report_plot> & plots, const std::string & plot_note);

struct report_options {
    std::string out_dir = "report";
    std::optional<std::string> baseline;
    std::string plot_script;     // default: evals/scripts/plot_report.py of this source tree
    std::string python;          // "" -> python3 on PATH, then /usr/bin/python3
};

struct report_files {
    std::string html, markdown, json;
    bool has_plots = false;
    std::string plot_note;  // why there are no plots, when there are none
};

// Reads `db`, writes report.json, report.md and report.html (+ the PNGs) into out_dir.
result<report_files> write_report(const store & db, const report_options & opt);

}  // namespace tts::eval
