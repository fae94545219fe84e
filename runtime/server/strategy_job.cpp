// strategy_job: session + strategy fiber + progress loop.
#include "runtime/server/strategy_job.h"

#include <boost/fiber/future.hpp>
#include <boost/fiber/protected_fixedsize_stack.hpp>

#include "runtime/server/finish_reason.h"
#include "strategies/registry.h"

namespace tts::server {

strategy_job::strategy_job(server_context & ctx, const completion_request & r, request_plan plan, response_head head)
    : ctx_(ctx), req_(r), plan_(std::move(plan)), head_(std::move(head)) {}

void strategy_job::cancel(const char * reason) {
    if (is_cancelled_ || !session_) return;
    is_cancelled_ = true;
    ctx_.stats.count_cancel(reason);
    session_->abort(controller::stop_cause::session_closed);
}

void strategy_job::run(http_exchange & x) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string & name = req_.strategy->name;
    controller::session s(ctx_.backend, plan_.session);
    session_ = &s;
    ctx_.stats.add_tokens(plan_.n_prompt_tokens, 0);
    ctx_.stats.n_queued++;
    bool is_queued = true;

    boost::fibers::packaged_task<result<strategy::verdict>()> task([&] {
        return strategy::run_strategy(name, plan_.strategy_params, s, {.text = plan_.problem_text, .prompt = plan_.prompts[0], .system = plan_.problem_system, .answer_format = {}});
    });
    boost::fibers::future<result<strategy::verdict>> done = task.get_future();
    // Strategies and answer extraction may recurse; give them a roomy, guarded stack.
    boost::fibers::fiber worker(std::allocator_arg, boost::fibers::protected_fixedsize_stack(size_t(1) << 20), std::move(task));

    x.watch_client([this] { cancel("disconnect"); });
    if (req_.stream && !x.begin_events()) cancel("disconnect");
    int64_t n_seen = -1;
    while (done.wait_for(progress_interval) == boost::fibers::future_status::timeout) {
        const int64_t n = s.n_tokens_total();
        if (is_queued && n > 0) {
            is_queued = false;
            ctx_.stats.n_queued--;
            ctx_.stats.ttft_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        if (!req_.stream || n == n_seen || x.is_client_gone()) continue;
        n_seen = n;
        boost::json::object chunk = chunk_object(head_, choice_part{}, false, false);
        chunk["ttscale"] = boost::json::object{{"progress", progress_object(s)}};
        x.send_event(chunk);
    }
    worker.join();
    if (is_queued) ctx_.stats.n_queued--;
    x.unwatch_client();
    result<strategy::verdict> v = done.get();
    ctx_.stats.add_tokens(0, s.n_tokens_total());
    session_ = nullptr;
    if (!v) return x.reply_error(from_status(v.error(), "strategy"));
    if (v->status.rfind("error", 0) == 0 && !is_cancelled_) return x.reply_error({error_kind::internal, "strategy " + name + ": " + v->status, "strategy"});

    const usage_counts u{plan_.n_prompt_tokens, v->n_tokens_total};
    choice_part answer{0, v->answer.value_or(""), {}, openai_finish_reason(*v, is_cancelled_)};
    boost::json::object ext = verdict_object(*v, name);
    if (req_.stream) {
        boost::json::object chunk = chunk_object(head_, answer, head_.kind == endpoint::chat, false);
        chunk["ttscale"] = std::move(ext);
        x.send_event(chunk);
        if (req_.include_usage) x.send_event(usage_chunk(head_, u));
        x.end_events();
        return;
    }
    boost::json::object o = response_object(head_, std::span(&answer, 1), u, false);
    o["ttscale"] = std::move(ext);
    x.reply_json(o);
}

}  // namespace tts::server
