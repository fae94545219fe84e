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

// Pareto front per (model, dataset) on (accuracy up, mean total tokens down).
void mark_pareto(std::vector<report_row> & rows) {
    for (report_row & a : rows) {
        a.is_pareto = a.n > 0;
        for (const report_row & b : rows) {
            if (&a == &b || b.n == 0 || b.model != a.model || b.dataset != a.dataset) continue;
            const bool dominates = b.accuracy >= a.accuracy && b.mean_tokens_total <= a.mean_tokens_total &&
                                   (b.accuracy > a.accuracy || b.mean_tokens_total < a.mean_tokens_total);
            if (dominates) a.is_pareto = false;
        }
    }
}

}  // namespace

std::pair<double, double> wilson_interval(int64_t k, int64_t n, double z) {
    if (n <= 0) return {0.0, 1.0};
    const double p = double(k) / double(n), nn = double(n), z2 = z * z;
    const double denom = 1 + z2 / nn;
    const double center = (p + z2 / (2 * nn)) / denom;
    const double half = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
    return {std::max(0.0, center - half), std::min(1.0, center + half)};
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
        row.mean_tokens_total += double(c.n_tokens_total);
        row.mean_tokens_sequential += double(c.n_tokens_sequential);
        row.mean_wall_seconds += c.wall_seconds;
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
                row.mean_tokens_total /= double(row.n);
                row.mean_tokens_sequential /= double(row.n);
                row.mean_wall_seconds /= double(row.n);
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
                tok_c += double(ic->second->n_tokens_total), tok_b += double(ib->second->n_tokens_total);
                t_c += ic->second->wall_seconds, t_b += ib->second->wall_seconds;
            }
            p.token_ratio = tok_b > 0 ? tok_c / tok_b : 0;
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
        rows.push_back(json::object{{"model", x.model}, {"dataset", x.dataset}, {"label", x.label}, {"strategy", x.strategy},
                                    {"n", x.n}, {"n_correct", x.n_correct}, {"n_errors", x.n_errors}, {"accuracy", x.accuracy},
                                    {"ci_low", x.ci_low}, {"ci_high", x.ci_high}, {"mean_tokens_total", x.mean_tokens_total},
                                    {"mean_tokens_sequential", x.mean_tokens_sequential}, {"mean_wall_seconds", x.mean_wall_seconds},
                                    {"kv_bytes_peak", x.kv_bytes_peak}, {"is_pareto", x.is_pareto}});
    for (const paired_row & p : r.paired)
        paired.push_back(json::object{{"model", p.model}, {"dataset", p.dataset}, {"label", p.label}, {"baseline", p.baseline},
                                      {"n_pairs", p.n_pairs}, {"wins", p.n_wins}, {"losses", p.n_losses}, {"ties", p.n_ties},
                                      {"token_ratio", p.token_ratio}, {"time_ratio", p.time_ratio}});
    o["rows"] = std::move(rows);
    o["paired"] = std::move(paired);
    return json::serialize(o);
}

std::string report_markdown(const report_data & r, const std::string & plot_note) {
    std::string md = fmt::format("# Sweep report: {}\n\nConfig hash `{}`; {} cells done, {} failed. Baseline: `{}`.\n\n",
                                 r.sweep_name, r.sweep_hash, r.n_cells_done, r.n_cells_error, r.baseline);
    md += "## Accuracy and cost\n\nAccuracy with a 95% Wilson interval; tokens and time are means per problem; "
          "* marks the accuracy-vs-tokens Pareto front.\n\n";
    md += "| model | dataset | strategy config | n | accuracy | 95% CI | total tokens | sequential tokens | wall s | peak KV MiB | errors |\n";
    md += "|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|\n";
    for (const report_row & x : r.rows)
        md += fmt::format("| {} | {} | {}{} | {} | {:.3f} | [{:.3f}, {:.3f}] | {:.1f} | {:.1f} | {:.2f} | {:.1f} | {} |\n", x.model,
                          x.dataset, x.label, x.is_pareto ? " *" : "", x.n, x.accuracy, x.ci_low, x.ci_high, x.mean_tokens_total,
                          x.mean_tokens_sequential, x.mean_wall_seconds, mib(x.kv_bytes_peak), x.n_errors);
    md += fmt::format("\n## Paired against `{}` (same problems and seeds)\n\n", r.baseline);
    md += "| model | dataset | strategy config | pairs | wins | losses | ties | token ratio | time ratio |\n";
    md += "|---|---|---|---:|---:|---:|---:|---:|---:|\n";
    for (const paired_row & p : r.paired)
        md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {:.2f} | {:.2f} |\n", p.model, p.dataset, p.label, p.n_pairs,
                          p.n_wins, p.n_losses, p.n_ties, p.token_ratio, p.time_ratio);
    md += plot_note.empty() ? "\nPlots: accuracy_vs_tokens.png, accuracy_vs_wall.png (also embedded in report.html).\n"
                            : "\nPlots: none (" + plot_note + ").\n";
    return md;
}

std::string report_html(const report_data & r, const std::vector<report_plot> & plots, const std::string & plot_note) {
    std::string h = "<!doctype html><html><head><meta charset=\"utf-8\"><title>ttscale report: " + html_escape(r.sweep_name) +
                    "</title><style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;"
                    "margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td.l,th.l{text-align:left}"
                    "tr.pareto td{background:#eef7ee}.note{color:#a40}</style></head><body>\n";
    h += fmt::format("<h1>Sweep report: {}</h1><p>Config hash <code>{}</code>; {} cells done, {} failed. Baseline: <b>{}</b>.</p>\n",
                     html_escape(r.sweep_name), r.sweep_hash, r.n_cells_done, r.n_cells_error, html_escape(r.baseline));
    h += "<h2>Accuracy and cost</h2><p>Accuracy with a 95% Wilson interval; means per problem; green rows are on the "
         "accuracy-vs-tokens Pareto front.</p><table><tr><th class=l>model</th><th class=l>dataset</th><th class=l>strategy config</th>"
         "<th>n</th><th>accuracy</th><th>95% CI</th><th>total tokens</th><th>sequential tokens</th><th>wall s</th>"
         "<th>peak KV MiB</th><th>errors</th></tr>\n";
    for (const report_row & x : r.rows)
        h += fmt::format("<tr{}><td class=l>{}</td><td class=l>{}</td><td class=l>{}</td><td>{}</td><td>{:.3f}</td>"
                         "<td>[{:.3f}, {:.3f}]</td><td>{:.1f}</td><td>{:.1f}</td><td>{:.2f}</td><td>{:.1f}</td><td>{}</td></tr>\n",
                         x.is_pareto ? " class=pareto" : "", html_escape(x.model), html_escape(x.dataset), html_escape(x.label),
                         x.n, x.accuracy, x.ci_low, x.ci_high, x.mean_tokens_total, x.mean_tokens_sequential,
                         x.mean_wall_seconds, mib(x.kv_bytes_peak), x.n_errors);
    h += "</table>\n<h2>Paired against " + html_escape(r.baseline) + "</h2><table><tr><th class=l>model</th><th class=l>dataset</th>"
         "<th class=l>strategy config</th><th>pairs</th><th>wins</th><th>losses</th><th>ties</th><th>token ratio</th><th>time ratio</th></tr>\n";
    for (const paired_row & p : r.paired)
        h += fmt::format("<tr><td class=l>{}</td><td class=l>{}</td><td class=l>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                         "<td>{:.2f}</td><td>{:.2f}</td></tr>\n", html_escape(p.model), html_escape(p.dataset), html_escape(p.label),
                         p.n_pairs, p.n_wins, p.n_losses, p.n_ties, p.token_ratio, p.time_ratio);
    h += "</table>\n<h2>Plots</h2>\n";
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
        for (auto [file, title] : {std::pair{"accuracy_vs_tokens.png", "Accuracy vs mean total tokens"},
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
