// report: the comparison tables of a results file, written as JSON, Markdown and one
// self-contained HTML page (plots drawn by evals/scripts/plot_report.py, embedded as base64 PNG).
//
// Per (model, dataset, strategy config): accuracy with a 95% Wilson interval over done cells;
// mean tokens per problem — compute (= prompt + generated: every token the decoder processed,
// helper calls such as DeepPrune probes/judges and the PDR summariser included), prompt,
// generated, helper calls, thinking, sequential (the critical path in decode steps) — mean wall
// time, peak KV; reasoning threads by finish class (answered / truncated / cancelled / failed,
// helpers excluded); and whether the point is on the accuracy-vs-compute Pareto front. Paired
// comparison against a baseline strategy config on the same (model, dataset, problem, seed):
// wins (only the config is right), losses (only the baseline is), ties, the exact McNemar p
// of wins vs losses, and the ratios of summed compute tokens and wall time over the pairs.
// The C++ side owns every number; Python only draws. Not thread-safe; call from one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "evals/store.h"

namespace tts::eval {

// The Wilson score interval of k successes in n trials at the given two-sided confidence
// level (z from Boost.Math's normal quantile); (0, 1) when n == 0.
std::pair<double, double> wilson_interval(int64_t k, int64_t n, double level = 0.95);

// The exact two-sided McNemar test of paired outcomes: with b problems only the config solved
// and c only the baseline solved, p = min(1, 2 P(X <= min(b, c))), X ~ Binomial(b + c, 1/2)
// (Boost.Math). 1 when b + c == 0.
double mcnemar_exact_p(int64_t b, int64_t c);

struct report_row {
    std::string model, dataset, label, strategy;
    int64_t n = 0, n_correct = 0, n_errors = 0;
    double accuracy = 0, ci_low = 0, ci_high = 1;
    // Means per problem over done cells.
    double mean_tokens_compute = 0;                        // prompt + generated: the Pareto front's cost axis
    double mean_tokens_prompt = 0, mean_tokens_total = 0;  // total = generated
    double mean_tokens_judge = 0;                          // helper calls (prompt + generated), inside the two above
    double mean_tokens_thinking = 0, mean_tokens_sequential = 0, mean_wall_seconds = 0;
    int64_t kv_bytes_peak = 0;
    // Reasoning threads (helpers excluded) by finish class, summed over done cells.
    int64_t n_threads_answered = 0, n_threads_truncated = 0, n_threads_cancelled = 0, n_threads_failed = 0;
    bool is_pareto = false;  // no other config of the same dataset is as accurate with less compute
};

struct paired_row {
    std::string model, dataset, label, baseline;
    int64_t n_pairs = 0, n_wins = 0, n_losses = 0, n_ties = 0;
    double mcnemar_p = 1;                      // exact two-sided, wins vs losses
    double compute_ratio = 0, time_ratio = 0;  // config / baseline, summed over the pairs
};

struct report_data {
    std::string sweep_name, sweep_hash, baseline;
    int64_t n_cells_done = 0, n_cells_error = 0;
    std::vector<report_row> rows;      // model, dataset, then strategy configs in sweep order
    std::vector<paired_row> paired;    // every config but the baseline
};

// Builds the tables. `baseline` defaults to the sweep's first strategy config; an unknown
// baseline is not_found (the message lists the labels).
// Marks each (model, dataset) group's Pareto front on (accuracy up, mean compute tokens down).
void mark_pareto(std::vector<report_row> & rows);
result<report_data> build_report(const std::vector<stored_cell> & cells, const sweep_row & sweep,
                                 const std::optional<std::string> & baseline);

// The cost axis of the Pareto front and plots, as the report states it.
extern const char * const k_report_cost_axis;

// Renderings (report_render.cpp).
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
