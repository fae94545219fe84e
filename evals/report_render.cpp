// report_render: the report's numbers as JSON, Markdown and one self-contained HTML page.
#include <boost/json.hpp>
#include <fmt/format.h>

#include "evals/report.h"

namespace tts::eval {

const char * const k_report_cost_axis = "compute tokens = prompt + generated (helper calls included)";

namespace {

namespace json = boost::json;

std::string base64(std::string_view in) {
    static const char * k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    for (size_t i = 0; i < in.size(); i += 3) {
        uint32_t v = uint32_t(uint8_t(in[i])) << 16;
        if (i + 1 < in.size()) v |= uint32_t(uint8_t(in[i + 1])) << 8;
        if (i + 2 < in.size()) v |= uint32_t(uint8_t(in[i + 2]));
        out += k[(v >> 18) & 63];
        out += k[(v >> 12) & 63];
        out += i + 1 < in.size() ? k[(v >> 6) & 63] : '=';
        out += i + 2 < in.size() ? k[v & 63] : '=';
    }
    return out;
}

std::string html_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

double mib(int64_t bytes) {
    return double(bytes) / (1024.0 * 1024.0);
}

}  // namespace

std::string report_json(const report_data & r) {
    json::object o{{"sweep", r.sweep_name},
                   {"hash", r.sweep_hash},
                   {"baseline", r.baseline},
                   {"n_cells_done", r.n_cells_done},
                   {"n_cells_error", r.n_cells_error}};
    json::array rows, paired;
    for (const report_row & x : r.rows)
        rows.push_back(json::object{{"model", x.model},
                                    {"dataset", x.dataset},
                                    {"label", x.label},
                                    {"strategy", x.strategy},
                                    {"n", x.n},
                                    {"n_correct", x.n_correct},
                                    {"n_errors", x.n_errors},
                                    {"accuracy", x.accuracy},
                                    {"ci_low", x.ci_low},
                                    {"ci_high", x.ci_high},
                                    {"mean_tokens_compute", x.mean_tokens_compute},
                                    {"mean_tokens_prompt", x.mean_tokens_prompt},
                                    {"mean_tokens_total", x.mean_tokens_total},
                                    {"mean_tokens_judge", x.mean_tokens_judge},
                                    {"mean_tokens_thinking", x.mean_tokens_thinking},
                                    {"mean_tokens_sequential", x.mean_tokens_sequential},
                                    {"mean_wall_seconds", x.mean_wall_seconds},
                                    {"kv_bytes_peak", x.kv_bytes_peak},
                                    {"n_threads_answered", x.n_threads_answered},
                                    {"n_threads_truncated", x.n_threads_truncated},
                                    {"n_threads_cancelled", x.n_threads_cancelled},
                                    {"n_threads_failed", x.n_threads_failed},
                                    {"is_pareto", x.is_pareto}});
    for (const paired_row & p : r.paired)
        paired.push_back(json::object{{"model", p.model},
                                      {"dataset", p.dataset},
                                      {"label", p.label},
                                      {"baseline", p.baseline},
                                      {"n_pairs", p.n_pairs},
                                      {"wins", p.n_wins},
                                      {"losses", p.n_losses},
                                      {"ties", p.n_ties},
                                      {"mcnemar_p", p.mcnemar_p},
                                      {"compute_ratio", p.compute_ratio},
                                      {"time_ratio", p.time_ratio}});
    o["cost_axis"] = k_report_cost_axis;
    o["rows"] = std::move(rows);
    o["paired"] = std::move(paired);
    return json::serialize(o);
}
namespace {

// One table of the report: a title, a one-paragraph note, column headers (left-aligned while
// `n_left` lasts) and rows of cells, rendered as Markdown or HTML from the same data.
struct table {
    table(std::string t, std::string n, std::vector<std::string> h)
        : title(std::move(t)), note(std::move(n)), headers(std::move(h)) {}
    std::string title, note;
    std::vector<std::string> headers;
    size_t n_left = 3;
    std::vector<std::vector<std::string>> rows;
    std::vector<bool> is_marked;  // HTML: highlighted rows (the Pareto front)
};

std::string markdown(const table & t) {
    std::string md = "## " + t.title + "\n\n" + t.note + "\n\n|";
    for (const std::string & h : t.headers) md += " " + h + " |";
    md += "\n|";
    for (size_t i = 0; i < t.headers.size(); ++i) md += i < t.n_left ? "---|" : "---:|";
    md += "\n";
    for (const auto & r : t.rows) {
        md += "|";
        for (const std::string & c : r) md += " " + c + " |";
        md += "\n";
    }
    return md + "\n";
}

std::string html(const table & t) {
    std::string h = "<h2>" + html_escape(t.title) + "</h2><p>" + html_escape(t.note) + "</p><table><tr>";
    for (size_t i = 0; i < t.headers.size(); ++i)
        h += (i < t.n_left ? "<th class=l>" : "<th>") + html_escape(t.headers[i]) + "</th>";
    h += "</tr>\n";
    for (size_t r = 0; r < t.rows.size(); ++r) {
        h += r < t.is_marked.size() && t.is_marked[r] ? "<tr class=pareto>" : "<tr>";
        for (size_t i = 0; i < t.rows[r].size(); ++i)
            h += (i < t.n_left ? "<td class=l>" : "<td>") + html_escape(t.rows[r][i]) + "</td>";
        h += "</tr>\n";
    }
    return h + "</table>\n";
}

std::string p_value(double p) {
    return p < 0.001 ? "<0.001" : fmt::format("{:.3f}", p);
}

std::vector<table> tables(const report_data & r, bool is_html) {
    table acc{
        "Accuracy and cost",
        fmt::format("Accuracy with a 95% Wilson interval; means per problem. Cost axis: {}. {} the accuracy-vs-compute "
                    "Pareto front. Sequential tokens: generated tokens on the critical path (decode steps waited for "
                    "one after another).",
                    k_report_cost_axis, is_html ? "Green rows are on" : "* marks"),
        {"model", "dataset", "strategy config", "n", "accuracy", "95% CI", "compute tokens", "sequential tokens",
         "wall s", "peak KV MiB", "errors"}};
    table tok{"Token accounting",
              "Means per problem. Prompt: every submitted prompt once (k threads of one spawn share one prefill; "
              "prefix-cache hits included) plus injected tokens. Helper calls: prompt + generated tokens of DeepPrune "
              "probes and judges and the PDR summariser (inside prompt and generated). Thinking: generated tokens "
              "inside <think> blocks (reasoning models).",
              {"model", "dataset", "strategy config", "prompt", "generated", "helper calls", "thinking", "compute"}};
    table fin{
        "How reasoning threads ended",
        "Summed over problems; helper threads (probes, judges, summaries) excluded. Answered: EOS or a stop. "
        "Truncated: max_tokens or a budget (they do not vote unless the strategy sets truncated=vote). Cancelled: "
        "by the strategy or a rule (race losers, early stops, pruning). Failed: KV exhausted, errors.",
        {"model", "dataset", "strategy config", "answered", "truncated", "cancelled", "failed", "truncated %"}};
    for (const report_row & x : r.rows) {
        acc.rows.push_back({x.model, x.dataset, x.label + (!is_html && x.is_pareto ? " *" : ""), std::to_string(x.n),
                            fmt::format("{:.3f}", x.accuracy), fmt::format("[{:.3f}, {:.3f}]", x.ci_low, x.ci_high),
                            fmt::format("{:.1f}", x.mean_tokens_compute),
                            fmt::format("{:.1f}", x.mean_tokens_sequential), fmt::format("{:.2f}", x.mean_wall_seconds),
                            fmt::format("{:.1f}", mib(x.kv_bytes_peak)), std::to_string(x.n_errors)});
        acc.is_marked.push_back(x.is_pareto);
        tok.rows.push_back({x.model, x.dataset, x.label, fmt::format("{:.1f}", x.mean_tokens_prompt),
                            fmt::format("{:.1f}", x.mean_tokens_total), fmt::format("{:.1f}", x.mean_tokens_judge),
                            fmt::format("{:.1f}", x.mean_tokens_thinking),
                            fmt::format("{:.1f}", x.mean_tokens_compute)});
        const int64_t n = x.n_threads_answered + x.n_threads_truncated + x.n_threads_cancelled + x.n_threads_failed;
        fin.rows.push_back({x.model, x.dataset, x.label, std::to_string(x.n_threads_answered),
                            std::to_string(x.n_threads_truncated), std::to_string(x.n_threads_cancelled),
                            std::to_string(x.n_threads_failed),
                            n > 0 ? fmt::format("{:.1f}", 100.0 * double(x.n_threads_truncated) / double(n)) : "-"});
    }
    table pair{
        "Paired against " + r.baseline,
        "Same problems and seeds. Wins: only this config is right; losses: only the baseline is. McNemar p: exact "
        "two-sided binomial test of wins against losses (small p: the accuracy difference is unlikely to be chance). "
        "Ratios: summed compute tokens and wall time, config / baseline (below 1 = cheaper).",
        {"model", "dataset", "strategy config", "pairs", "wins", "losses", "ties", "McNemar p", "compute ratio",
         "time ratio"}};
    for (const paired_row & p : r.paired)
        pair.rows.push_back({p.model, p.dataset, p.label, std::to_string(p.n_pairs), std::to_string(p.n_wins),
                             std::to_string(p.n_losses), std::to_string(p.n_ties), p_value(p.mcnemar_p),
                             fmt::format("{:.2f}", p.compute_ratio), fmt::format("{:.2f}", p.time_ratio)});
    return {acc, tok, fin, pair};
}

}  // namespace

std::string report_markdown(const report_data & r, const std::string & plot_note) {
    std::string md =
        fmt::format("# Sweep report: {}\n\nConfig hash `{}`; {} cells done, {} failed. Baseline: `{}`.\n\n",
                    r.sweep_name, r.sweep_hash, r.n_cells_done, r.n_cells_error, r.baseline);
    for (const table & t : tables(r, false)) md += markdown(t);
    md += plot_note.empty() ? "Plots: accuracy_vs_tokens.png (accuracy vs compute tokens), accuracy_vs_wall.png (also "
                              "embedded in report.html).\n"
                            : "Plots: none (" + plot_note + ").\n";
    return md;
}

std::string report_html(const report_data & r, const std::vector<report_plot> & plots, const std::string & plot_note) {
    std::string h =
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>ttscale report: " + html_escape(r.sweep_name) +
        "</title><style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;"
        "margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td.l,th.l{text-align:left}"
        "tr.pareto td{background:#eef7ee}.note{color:#a40}</style></head><body>\n";
    h += fmt::format(
        "<h1>Sweep report: {}</h1><p>Config hash <code>{}</code>; {} cells done, {} failed. Baseline: <b>{}</b>.</p>\n",
        html_escape(r.sweep_name), r.sweep_hash, r.n_cells_done, r.n_cells_error, html_escape(r.baseline));
    for (const table & t : tables(r, true)) h += html(t);
    h += "<h2>Plots</h2>\n";
    if (plots.empty()) h += "<p class=note>No plots: " + html_escape(plot_note) + "</p>\n";
    for (const report_plot & p : plots)
        h += "<figure><img alt=\"" + html_escape(p.title) + "\" src=\"data:image/png;base64," + base64(p.png) +
             "\"><figcaption>" + html_escape(p.title) + "</figcaption></figure>\n";
    return h + "</body></html>\n";
}

}  // namespace tts::eval
