// report: aggregation, Wilson intervals, paired comparison, and the three renderings.
#include "evals/report.h"

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include <boost/json.hpp>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/normal.hpp>
#include <fmt/format.h>

#ifndef TTS_EVAL_SCRIPTS_DIR
#define TTS_EVAL_SCRIPTS_DIR "evals/scripts"
#endif

namespace tts::eval {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

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
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string shell_quote(const std::string & s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

bool write_file(const fs::path & p, std::string_view text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
    return bool(out);
}

std::string read_file(const fs::path & p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

double mib(int64_t bytes) { return double(bytes) / (1024.0 * 1024.0); }

double compute_of(const stored_cell & c) {
    return double(c.n_tokens_prompt + c.n_tokens_total);
}

// Strategy labels in sweep order, from the stored canonical config.
std::vector<std::string> sweep_labels(const sweep_row & s) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    json::value v = json::parse(s.config_json, ec);
    if (ec || !v.is_object()) return out;
    if (const json::value * st = v.as_object().if_contains("strategies"); st && st->is_array())
        for (const json::value & e : st->as_array())
            if (e.is_object() && e.as_object().contains("label")) out.emplace_back(e.as_object().at("label").as_string());
    return out;
}

const char * k_cost_axis = "compute tokens = prompt + generated (helper calls included)";

}  // namespace

void mark_pareto(std::vector<report_row> & rows) {
    for (report_row & a : rows) {
        a.is_pareto = a.n > 0;
        for (const report_row & b : rows) {
            if (&a == &b || b.n == 0 || b.model != a.model || b.dataset != a.dataset) continue;
            const bool dominates = b.accuracy >= a.accuracy && b.mean_tokens_compute <= a.mean_tokens_compute &&
                                   (b.accuracy > a.accuracy || b.mean_tokens_compute < a.mean_tokens_compute);
            if (dominates) a.is_pareto = false;
        }
    }
}

std::pair<double, double> wilson_interval(int64_t k, int64_t n, double level) {
    if (n <= 0) return {0.0, 1.0};
    const double z = boost::math::quantile(boost::math::normal(), 0.5 + level / 2);
    const double p = double(k) / double(n), nn = double(n), z2 = z * z;
    const double denom = 1 + z2 / nn;
    const double center = (p + z2 / (2 * nn)) / denom;
    const double half = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
    return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

double mcnemar_exact_p(int64_t b, int64_t c) {
    if (b + c == 0) return 1.0;
    const boost::math::binomial_distribution<double> x(double(b + c), 0.5);
    return std::min(1.0, 2.0 * boost::math::cdf(x, double(std::min(b, c))));
}

result<report_data> build_report(const std::vector<stored_cell> & cells, const sweep_row & sweep,
                                 const std::optional<std::string> & baseline) {
    report_data r;
    r.sweep_name = sweep.name, r.sweep_hash = sweep.hash;
    std::vector<std::string> labels = sweep_labels(sweep);
    for (const stored_cell & c : cells)  // labels seen only in the data (a hand-edited file) go last
        if (std::find(labels.begin(), labels.end(), c.strategy_label) == labels.end()) labels.push_back(c.strategy_label);
    if (labels.empty()) return status::invalid_argument("the results file holds no strategy configs");
    r.baseline = baseline.value_or(labels.front());
    if (std::find(labels.begin(), labels.end(), r.baseline) == labels.end()) {
        std::string list;
        for (const std::string & l : labels) list += (list.empty() ? "" : ", ") + l;
        return status::not_found("--baseline \"" + r.baseline + "\" is not a strategy config of this sweep (" + list + ")");
    }
    auto rank = [&](const std::string & l) { return std::find(labels.begin(), labels.end(), l) - labels.begin(); };

    // Rows in (model, dataset) order of first appearance, then sweep order of configs.
    std::vector<std::pair<std::string, std::string>> groups;
    std::map<std::tuple<std::string, std::string, std::string>, report_row> acc;
    using pair_key = std::tuple<std::string, std::string, int64_t, uint64_t>;
    std::map<pair_key, std::map<std::string, const stored_cell *>> by_problem;
    for (const stored_cell & c : cells) {
        if (std::find(groups.begin(), groups.end(), std::pair{c.model, c.dataset}) == groups.end()) groups.emplace_back(c.model, c.dataset);
        report_row & row = acc[{c.model, c.dataset, c.strategy_label}];
        row.model = c.model, row.dataset = c.dataset, row.label = c.strategy_label, row.strategy = c.strategy;
        if (c.status != "done") {
            ++row.n_errors, ++r.n_cells_error;
            continue;
        }
        ++r.n_cells_done;
        ++row.n;
        row.n_correct += c.is_correct ? 1 : 0;
        row.mean_tokens_compute += compute_of(c);
        row.mean_tokens_prompt += double(c.n_tokens_prompt);
        row.mean_tokens_total += double(c.n_tokens_total);
        row.mean_tokens_judge += double(c.n_tokens_judge);
        row.mean_tokens_thinking += double(c.n_tokens_thinking);
        row.mean_tokens_sequential += double(c.n_tokens_sequential);
        row.mean_wall_seconds += c.wall_seconds;
        row.n_threads_answered += c.n_threads_answered, row.n_threads_truncated += c.n_threads_truncated;
        row.n_threads_cancelled += c.n_threads_cancelled, row.n_threads_failed += c.n_threads_failed;
        row.kv_bytes_peak = std::max(row.kv_bytes_peak, c.kv_bytes_peak);
        by_problem[{c.model, c.dataset, c.problem_id, c.seed}][c.strategy_label] = &c;
    }
    for (const auto & [model, dataset] : groups) {
        std::vector<report_row> group;
        for (auto & [key, row] : acc)
            if (std::get<0>(key) == model && std::get<1>(key) == dataset) group.push_back(row);
        std::sort(group.begin(), group.end(), [&](const report_row & a, const report_row & b) { return rank(a.label) < rank(b.label); });
        for (report_row & row : group) {
            if (row.n > 0) {
                row.accuracy = double(row.n_correct) / double(row.n);
                for (double * m :
                     {&row.mean_tokens_compute, &row.mean_tokens_prompt, &row.mean_tokens_total, &row.mean_tokens_judge,
                      &row.mean_tokens_thinking, &row.mean_tokens_sequential, &row.mean_wall_seconds})
                    *m /= double(row.n);
            }
            std::tie(row.ci_low, row.ci_high) = wilson_interval(row.n_correct, row.n);
        }
        mark_pareto(group);
        for (report_row & row : group) {
            if (row.label == r.baseline) continue;
            paired_row p{model, dataset, row.label, r.baseline};
            double tok_c = 0, tok_b = 0, t_c = 0, t_b = 0;
            for (const auto & [where, by_label] : by_problem) {
                if (std::get<0>(where) != model || std::get<1>(where) != dataset) continue;
                auto ic = by_label.find(row.label), ib = by_label.find(r.baseline);
                if (ic == by_label.end() || ib == by_label.end()) continue;
                ++p.n_pairs;
                const bool c_ok = ic->second->is_correct, b_ok = ib->second->is_correct;
                p.n_wins += c_ok && !b_ok, p.n_losses += !c_ok && b_ok, p.n_ties += c_ok == b_ok;
                tok_c += compute_of(*ic->second), tok_b += compute_of(*ib->second);
                t_c += ic->second->wall_seconds, t_b += ib->second->wall_seconds;
            }
            p.mcnemar_p = mcnemar_exact_p(p.n_wins, p.n_losses);
            p.compute_ratio = tok_b > 0 ? tok_c / tok_b : 0;
            p.time_ratio = t_b > 0 ? t_c / t_b : 0;
            r.paired.push_back(p);
        }
        r.rows.insert(r.rows.end(), group.begin(), group.end());
    }
    return r;
}

std::string report_json(const report_data & r) {
    json::object o{{"sweep", r.sweep_name}, {"hash", r.sweep_hash}, {"baseline", r.baseline},
                   {"n_cells_done", r.n_cells_done}, {"n_cells_error", r.n_cells_error}};
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
    o["cost_axis"] = k_cost_axis;
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
                    k_cost_axis, is_html ? "Green rows are on" : "* marks"),
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
    std::string md = fmt::format("# Sweep report: {}\n\nConfig hash `{}`; {} cells done, {} failed. Baseline: `{}`.\n\n",
                                 r.sweep_name, r.sweep_hash, r.n_cells_done, r.n_cells_error, r.baseline);
    for (const table & t : tables(r, false)) md += markdown(t);
    md += plot_note.empty() ? "Plots: accuracy_vs_tokens.png (accuracy vs compute tokens), accuracy_vs_wall.png (also "
                              "embedded in report.html).\n"
                            : "Plots: none (" + plot_note + ").\n";
    return md;
}

std::string report_html(const report_data & r, const std::vector<report_plot> & plots, const std::string & plot_note) {
    std::string h = "<!doctype html><html><head><meta charset=\"utf-8\"><title>ttscale report: " + html_escape(r.sweep_name) +
                    "</title><style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;"
                    "margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td.l,th.l{text-align:left}"
                    "tr.pareto td{background:#eef7ee}.note{color:#a40}</style></head><body>\n";
    h += fmt::format("<h1>Sweep report: {}</h1><p>Config hash <code>{}</code>; {} cells done, {} failed. Baseline: <b>{}</b>.</p>\n",
                     html_escape(r.sweep_name), r.sweep_hash, r.n_cells_done, r.n_cells_error, html_escape(r.baseline));
    for (const table & t : tables(r, true)) h += html(t);
    h += "<h2>Plots</h2>\n";
    if (plots.empty()) h += "<p class=note>No plots: " + html_escape(plot_note) + "</p>\n";
    for (const report_plot & p : plots)
        h += "<figure><img alt=\"" + html_escape(p.title) + "\" src=\"data:image/png;base64," + base64(p.png) +
             "\"><figcaption>" + html_escape(p.title) + "</figcaption></figure>\n";
    return h + "</body></html>\n";
}

result<report_files> write_report(const store & db, const report_options & opt) {
    result<std::optional<sweep_row>> sweep = db.try_sweep();
    if (!sweep) return sweep.error();
    if (!sweep.value()) return status::invalid_argument(db.path() + " has no sweep recorded");
    result<std::vector<stored_cell>> cells = db.try_load_cells(/*with_threads=*/false);
    if (!cells) return cells.error();
    result<report_data> data = build_report(cells.value(), *sweep.value(), opt.baseline);
    if (!data) return data.error();

    const fs::path dir(opt.out_dir);
    std::error_code ec;
    fs::create_directories(dir, ec);
    report_files f{(dir / "report.html").string(), (dir / "report.md").string(), (dir / "report.json").string(), false, ""};
    if (!write_file(f.json, report_json(data.value()))) return status::unavailable("cannot write " + f.json);

    const std::string script = opt.plot_script.empty() ? std::string(TTS_EVAL_SCRIPTS_DIR) + "/plot_report.py" : opt.plot_script;
    const std::string log = (dir / "plot.log").string();
    std::vector<report_plot> plots;
    // An empty `python` tries python3 on PATH, then the system /usr/bin/python3 (where the Debian
    // python3-matplotlib lives when PATH holds a pyenv or venv interpreter without it).
    std::vector<std::string> pythons = opt.python.empty() ? std::vector<std::string>{"python3", "/usr/bin/python3"}
                                                          : std::vector<std::string>{opt.python};
    int rc = -1;
    for (const std::string & py : pythons) {
        const std::string cmd = shell_quote(py) + " " + shell_quote(script) + " " + shell_quote(f.json) + " " +
                                shell_quote(dir.string()) + " >" + shell_quote(log) + " 2>&1";
        rc = std::system(cmd.c_str());
        if (rc == 0) break;
    }
    if (rc == 0) {
        for (auto [file, title] :
             {std::pair{"accuracy_vs_tokens.png", "Accuracy vs mean compute tokens (prompt + generated)"},
              std::pair{"accuracy_vs_wall.png", "Accuracy vs mean wall time"}})
            if (fs::exists(dir / file)) plots.push_back({title, read_file(dir / file)});
    }
    if (plots.empty()) {
        std::string why = read_file(log);
        while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
        const size_t nl = why.rfind('\n');
        if (nl != std::string::npos) why = why.substr(nl + 1);
        f.plot_note = "plot_report.py failed (exit " + std::to_string(WIFEXITED(rc) ? WEXITSTATUS(rc) : rc) + ")" +
                      (why.empty() ? "" : ": " + why) + "; install python3-matplotlib for plots";
    }
    f.has_plots = !plots.empty();
    if (!write_file(f.markdown, report_markdown(data.value(), f.plot_note))) return status::unavailable("cannot write " + f.markdown);
    if (!write_file(f.html, report_html(data.value(), plots, f.plot_note))) return status::unavailable("cannot write " + f.html);
    return f;
}

}  // namespace tts::eval
