// replay: the three replay rules, aggregation per (dataset, method, m, k), online cross-check.
#include "evals/replay.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "evals/dataset.h"
#include "strategies/answer/equivalent.h"
#include "strategies/replay.h"

namespace tts::eval {
namespace {

namespace json = boost::json;

// The first k threads as the strategy owner's recorded traces.
std::vector<strategy::recorded_trace> first_k(const std::vector<trace_thread> & pool, int k) {
    std::vector<strategy::recorded_trace> out;
    for (int i = 0; i < k; ++i) {
        const trace_thread & p = pool[size_t(i)];
        out.push_back({p.thread_index, p.n_tokens, p.think_end_at, p.finish, p.answer});
    }
    return out;
}

replay_outcome outcome_of(const strategy::replay_result & r) {
    int64_t longest = 0;
    for (int64_t n : r.n_tokens) longest = std::max(longest, n);
    return {r.answer, r.n_tokens_total, longest};
}

bool same_answer(const std::optional<std::string> & a, const std::optional<std::string> & b) {
    if (!a || !b) return !a && !b;
    return strategy::answer_key(*a) == strategy::answer_key(*b);
}

const json::value * param(const json::value & params, const char * key) {
    return params.is_object() ? params.as_object().if_contains(key) : nullptr;
}

std::optional<int64_t> int_param(const json::value & params, const char * key) {
    const json::value * p = param(params, key);
    if (!p || !p->is_int64()) return std::nullopt;
    return p->as_int64();
}

// A string or bool parameter as text ("" when absent).
std::string text_param(const json::value & params, const char * key) {
    const json::value * p = param(params, key);
    if (!p) return "";
    if (p->is_string()) return std::string(p->as_string());
    if (p->is_bool()) return p->as_bool() ? "true" : "false";
    return "?";
}

// The online cell's counting rules from its parameters (defaults: think on, truncated ignored).
strategy::replay_rules rules_of(const json::value & params) {
    const std::string think = text_param(params, "think");
    return {think.empty() || think == "true" || think == "1" || think == "yes",
            text_param(params, "truncated") == "vote"};
}

}  // namespace

trace_thread trace_of(const stored_thread & t) {
    const controller::finish_class c = t.finish_class.empty() ? controller::classify_finish_name(t.finish_reason)
                                                              : controller::parse_finish_class(t.finish_class);
    return {t.thread_index, t.n_tokens, t.answer, c, t.think_end_at};
}

std::set<std::string> percent_lenient_datasets_of(const std::string & config_json) {
    std::set<std::string> out;
    boost::system::error_code ec;
    json::value v = json::parse(config_json, ec);
    const json::value * ds = !ec && v.is_object() ? v.as_object().if_contains("datasets") : nullptr;
    if (!ds || !ds->is_array()) return out;
    for (const json::value & d : ds->as_array()) {
        if (!d.is_object()) continue;
        const json::value * name = d.as_object().if_contains("name");
        const json::value * grading = d.as_object().if_contains("grading");
        if (name && name->is_string() && grading && grading->is_string() && grading->as_string() == "percent_lenient")
            out.emplace(name->as_string());
    }
    return out;
}

replay_outcome replay_majority(const std::vector<trace_thread> & pool, int k, strategy::replay_rules rules) {
    return outcome_of(strategy::replay_majority(first_k(pool, k), k, rules.with_truncated));
}

replay_outcome replay_first_finish(const std::vector<trace_thread> & pool, int k, strategy::replay_rules rules) {
    return outcome_of(strategy::replay_first_finish(first_k(pool, k), rules.with_truncated));
}

replay_outcome replay_short_m_at_k(const std::vector<trace_thread> & pool, int m, int k, strategy::replay_rules rules) {
    return outcome_of(strategy::replay_short_m_at_k(first_k(pool, k), m, rules));
}

replay_summary replay_cells(const std::vector<stored_cell> & cells, const std::string & pool_strategy,
                            const std::set<std::string> & percent_lenient_datasets) {
    replay_summary out;
    using coord = std::tuple<std::string, std::string, int64_t, uint64_t>;  // model, dataset, problem, seed
    std::map<coord, std::pair<const stored_cell *, std::vector<trace_thread>>> pools;
    for (const stored_cell & c : cells) {
        if (c.status != "done" || c.strategy != pool_strategy) continue;
        const bool has_roles = std::any_of(c.threads.begin(), c.threads.end(), [](const stored_thread & t) { return t.role == "sample"; });
        std::vector<trace_thread> pool;
        for (const stored_thread & t : c.threads)
            if (!has_roles || t.role == "sample") pool.push_back(trace_of(t));
        std::sort(pool.begin(), pool.end(), [](const trace_thread & a, const trace_thread & b) { return a.thread_index < b.thread_index; });
        for (size_t i = 0; i < pool.size(); ++i) pool[i].thread_index = int32_t(i);  // dense ranks (sorted order kept)
        if (pool.empty()) continue;
        auto & slot = pools[coord{c.model, c.dataset, c.problem_id, c.seed}];
        if (!slot.first || pool.size() > slot.second.size()) slot = {&c, std::move(pool)};  // the largest K wins
    }
    // Aggregate rows.
    using row_key = std::tuple<std::string, std::string, std::string, int, int>;
    std::map<row_key, replay_row> rows;
    auto add = [&](const stored_cell & c, const char * method, int m, int k, const replay_outcome & o) {
        replay_row & r = rows[row_key{c.model, c.dataset, method, k, m}];
        r.model = c.model, r.dataset = c.dataset, r.method = method, r.m = m, r.k = k;
        ++r.n;
        const grading_mode g = percent_lenient_datasets.contains(c.dataset) ? grading_mode::percent_lenient : grading_mode::exact;
        r.n_correct += o.answer && is_graded_correct(*o.answer, c.gold, g) ? 1 : 0;
        r.mean_tokens_total += double(o.n_tokens_total);
        r.mean_tokens_sequential += double(o.n_tokens_sequential);
    };
    const strategy::replay_rules defaults{/*on_think_end=*/true, /*with_truncated=*/false};
    for (auto & [where, slot] : pools) {
        ++out.n_pools;
        const stored_cell & c = *slot.first;
        const int K = int(slot.second.size());
        for (int k = 1; k <= K; ++k) {
            add(c, "majority", 0, k, replay_majority(slot.second, k, defaults));
            add(c, "ffs", 0, k, replay_first_finish(slot.second, k, defaults));
            for (int m = 1; m <= k; ++m) add(c, "short_m_at_k", m, k, replay_short_m_at_k(slot.second, m, k, defaults));
        }
    }
    for (auto & [key, r] : rows) {
        r.mean_tokens_total /= double(r.n);
        r.mean_tokens_sequential /= double(r.n);
        out.rows.push_back(r);
    }
    // Cross-check online cells.
    for (const stored_cell & c : cells) {
        if (c.status != "done") continue;
        auto it = pools.find(coord{c.model, c.dataset, c.problem_id, c.seed});
        if (it == pools.end() || it->second.first == &c) continue;
        const std::vector<trace_thread> & pool = it->second.second;
        boost::system::error_code ec;
        const json::value params = json::parse(c.params_json, ec);
        if (ec) continue;
        std::optional<int64_t> k = int_param(params, "k");
        if (!k) k = int_param(params, "n");
        if (!k || *k < 1 || *k > int64_t(pool.size())) continue;
        const strategy::replay_rules rules = rules_of(params);
        replay_outcome o;
        std::string method;
        int m = 0;
        if (c.strategy == "first_finish") {
            o = replay_first_finish(pool, int(*k), rules), method = "ffs";
        } else if (c.strategy == "short_m_at_k") {
            std::optional<int64_t> mm = int_param(params, "m");
            if (!mm || *mm < 1 || *mm > *k) continue;
            m = int(*mm);
            o = replay_short_m_at_k(pool, m, int(*k), rules), method = "short_m_at_k";
        } else if (c.strategy == pool_strategy) {
            const std::string w = text_param(params, "weighting");
            if (!w.empty() && w != "none") continue;  // a weighted vote is not plain majority
            o = replay_majority(pool, int(*k), rules), method = "majority";
        } else {
            continue;
        }
        ++out.n_compared;
        if (!same_answer(o.answer, c.answer)) out.disagreements.push_back({c.key, method, m, int(*k), c.answer, o.answer});
    }
    return out;
}

std::string replay_markdown(const replay_summary & s) {
    std::string md = fmt::format("# Offline replay\n\n{} recorded pools; {} online cells compared; {} disagreements.\n\n",
                                 s.n_pools, s.n_compared, s.disagreements.size());
    md += "| model | dataset | method | m | k | n | accuracy | mean total tokens | mean sequential tokens |\n";
    md += "|---|---|---|---:|---:|---:|---:|---:|---:|\n";
    for (const replay_row & r : s.rows)
        md += fmt::format("| {} | {} | {} | {} | {} | {} | {:.3f} | {:.1f} | {:.1f} |\n", r.model, r.dataset, r.method,
                          r.m ? std::to_string(r.m) : "-", r.k, r.n, double(r.n_correct) / double(r.n), r.mean_tokens_total,
                          r.mean_tokens_sequential);
    if (!s.disagreements.empty()) {
        md += "\n## Disagreements with online cells\n\n| cell | method | m | k | online | replay |\n|---|---|---:|---:|---|---|\n";
        for (const replay_disagreement & d : s.disagreements)
            md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", d.cell_key, d.method, d.m, d.k,
                              d.online_answer.value_or("(none)"), d.replay_answer.value_or("(none)"));
    }
    return md;
}

std::string replay_json(const replay_summary & s) {
    json::object o;
    o["n_pools"] = s.n_pools;
    o["n_compared"] = s.n_compared;
    json::array rows, dis;
    for (const replay_row & r : s.rows)
        rows.push_back(json::object{{"model", r.model}, {"dataset", r.dataset}, {"method", r.method}, {"m", r.m}, {"k", r.k},
                                    {"n", r.n}, {"n_correct", r.n_correct}, {"mean_tokens_total", r.mean_tokens_total},
                                    {"mean_tokens_sequential", r.mean_tokens_sequential}});
    auto opt = [](const std::optional<std::string> & a) { return a ? json::value(json::string(*a)) : json::value(nullptr); };
    for (const replay_disagreement & d : s.disagreements)
        dis.push_back(json::object{{"cell", d.cell_key}, {"method", d.method}, {"m", d.m}, {"k", d.k},
                                   {"online", opt(d.online_answer)}, {"replay", opt(d.replay_answer)}});
    o["rows"] = std::move(rows);
    o["disagreements"] = std::move(dis);
    return json::serialize(o);
}

}  // namespace tts::eval
