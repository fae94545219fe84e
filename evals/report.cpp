// report: aggregation, Wilson intervals, McNemar, Pareto, paired comparison, and writing the files
// (renderings: report_render.cpp).
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
