// runner: resume, shard, grade, store, report progress.
#include "evals/runner.h"

#include <algorithm>
#include <exception>
#include <numeric>

#include <boost/json.hpp>

#include "evals/progress.h"
#include "strategies/answer/equivalent.h"

namespace tts::eval {
namespace {

namespace json = boost::json;

std::string votes_json(const strategy::vote_result & v) {
    json::array a;
    for (const strategy::vote_entry & e : v.table)
        a.push_back(json::object{{"answer", e.answer}, {"key", e.key}, {"votes", e.n_votes}, {"weight", e.total_weight},
                                 {"n_tokens_min", e.n_tokens_min}, {"threads", json::value_from(e.thread_indices)}});
    return json::serialize(a);
}

result<strategy::verdict> run_guarded(const cell_runner & runner, const cell_request & req) {
    try {
        return runner(req);
    } catch (const std::exception & e) {
        return status::internal(std::string("cell runner threw: ") + e.what());
    } catch (...) {
        return status::internal("cell runner threw a non-standard exception");
    }
}

}  // namespace

sweep_row make_sweep_row(const sweep_config & config) {
    return sweep_row{config.name, config.hash(), config.canonical_json(), config.source_text};
}

stored_cell make_stored_cell(const sweep_plan & plan, const cell & c, const result<strategy::verdict> & outcome) {
    const sweep_config & cfg = plan.config;
    const problem & p = plan.problem_of(c);
    const strategy_spec & s = cfg.strategies[c.strategy_index];
    stored_cell out;
    out.key = c.key, out.ordinal = c.ordinal, out.model = cfg.models[c.model_index].name;
    out.dataset = cfg.datasets[c.dataset_index].name, out.problem_id = p.id, out.seed = c.seed;
    out.strategy_label = s.label, out.strategy = s.strategy, out.params_json = s.params_json(), out.gold = p.answer;
    if (!outcome.is_ok()) {
        out.status = "error";
        out.error = outcome.error().message();
        return out;
    }
    const strategy::verdict & v = outcome.value();
    out.status = "done";
    out.answer = v.answer;
    out.is_correct = v.answer && is_graded_correct(*v.answer, p.answer, cfg.datasets[c.dataset_index].fields.grading);
    out.n_tokens_total = v.n_tokens_total, out.n_tokens_sequential = v.n_tokens_sequential;
    out.n_tokens_prompt = v.n_tokens_prompt, out.wall_seconds = v.wall_seconds, out.kv_bytes_peak = int64_t(v.kv_bytes_peak);
    out.n_tokens_judge = v.n_tokens_judge, out.n_tokens_thinking = v.n_tokens_thinking;
    for (const strategy::thread_record & t : v.threads) {
        if (strategy::is_helper_role(t.role)) continue;
        out.n_threads_answered += t.finish_class == "answered";
        out.n_threads_truncated += t.finish_class == "truncated";
        out.n_threads_cancelled += t.finish_class == "cancelled";
        out.n_threads_failed += t.finish_class == "failed";
    }
    out.votes_json = votes_json(v.votes);
    out.verdict_status = v.status;
    std::vector<size_t> order(v.threads.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const auto & x = v.threads[a];
        const auto & y = v.threads[b];
        return std::tie(x.n_tokens, x.thread_index) < std::tie(y.n_tokens, y.thread_index);
    });
    out.threads.resize(v.threads.size());
    for (size_t rank = 0; rank < order.size(); ++rank) {
        const strategy::thread_record & t = v.threads[order[rank]];
        stored_thread & st = out.threads[order[rank]];
        st.thread_index = t.thread_index, st.role = t.role, st.finish_reason = t.finish_reason,
        st.finish_class = t.finish_class;
        st.n_tokens = t.n_tokens, st.think_end_at = t.think_end_at, st.answer = t.answer, st.confidence = t.confidence;
        st.is_voted = t.voted, st.finish_rank = int32_t(rank), st.text = cfg.keep_text ? t.text : std::string();
    }
    return out;
}

result<run_summary> run_sweep(const sweep_plan & plan, store & db, const cell_runner & runner, const run_options & opt) {
    if (status s = db.try_bind_sweep(make_sweep_row(plan.config)); !s.is_ok()) return s;
    result<std::set<std::string>> done = db.try_done_keys();
    if (!done) return done.error();

    run_summary sum;
    std::vector<const cell *> todo;
    for (const cell & c : plan.cells) {
        if (!opt.shard.contains(c)) continue;
        ++sum.n_cells;
        if (done.value().count(c.key)) ++sum.n_done_before;
        else todo.push_back(&c);
    }
    if (opt.limit >= 0 && int64_t(todo.size()) > opt.limit) todo.resize(size_t(opt.limit));

    const bool is_tty = opt.is_tty.value_or(progress::is_terminal(opt.progress_out));
    progress bar(opt.progress_out, sum.n_cells, sum.n_done_before, is_tty);
    for (const cell * c : todo) {
        result<strategy::verdict> outcome = run_guarded(runner, make_request(plan, *c));
        stored_cell row = make_stored_cell(plan, *c, outcome);
        if (status s = db.try_record(row); !s.is_ok()) return s;
        ++sum.n_run;
        sum.n_errors += row.status == "done" ? 0 : 1;
        bar.on_cell(c->key, row.status == "done", row.is_correct, row.n_tokens_total);
    }
    bar.finish();
    sum.n_left = sum.n_cells - sum.n_done_before - (sum.n_run - sum.n_errors);
    return sum;
}

}  // namespace tts::eval
