// completion_job: submit, collect events into choices, stream or answer.
#include "runtime/server/completion_job.h"

#include <algorithm>
#include <chrono>

#include "runtime/server/finish_reason.h"

namespace tts::server {

completion_job::completion_job(server_context & ctx, const completion_request & r, request_plan plan, response_head head)
    : ctx_(ctx), req_(r), plan_(std::move(plan)), head_(std::move(head)),
      queue_(std::make_shared<controller::event_queue<engine::token_event>>()) {}

bool completion_job::submit() {
    for (size_t p = 0; p < plan_.prompts.size(); ++p) {
        engine::request_spec spec;
        spec.prompt = plan_.prompts[p];
        spec.params = plan_.params;
        spec.n_threads = req_.n;
        spec.seed = plan_.seed;
        spec.sink = [q = queue_](const engine::token_event & e) { q->push(e); };
        std::vector<engine::seq_id> ids = ctx_.backend.submit(std::move(spec));
        if (ids.size() != size_t(req_.n)) return false;
        for (engine::seq_id id : ids) {
            choice & c = choices_.emplace_back();
            c.index = int32_t(choices_.size() - 1);
            c.seq = id;
            c.out = text_output(req_.stop);
            ++n_live_;
        }
    }
    return true;
}

void completion_job::cancel(const char * reason) {
    if (is_cancelled_ || n_live_ == 0) return;
    is_cancelled_ = true;
    ctx_.stats.count_cancel(reason);
    for (const choice & c : choices_)
        if (!c.finish) ctx_.backend.cancel(c.seq);
}

completion_job::choice * completion_job::apply(const engine::token_event & e) {
    auto it = std::find_if(choices_.begin(), choices_.end(), [&](const choice & c) { return c.seq == e.seq; });
    if (it == choices_.end() || it->finish) return nullptr;
    choice & c = *it;
    if (e.token >= 0) {
        ++c.n_tokens;
        const bool is_end = e.finish == engine::finish_reason::eos && ctx_.dec.is_end_of_generation(e.token);
        if (!is_end && !c.out.is_stopped()) {
            const auto & vocab = ctx_.dec.vocab();
            const std::string text = c.out.push(vocab.piece(e.token));
            if (req_.stream) c.pending_text += text;
            if (req_.logprobs) {
                token_logprob t{vocab.piece(e.token, /*render_control=*/true), e.signals.logprob, {}};
                for (const auto & [id, lp] : e.signals.top) t.top.emplace_back(vocab.piece(id, true), lp);
                c.logprobs.push_back(std::move(t));
            }
        }
    }
    if (e.finish != engine::finish_reason::none) {
        const std::string text = c.out.flush();
        if (req_.stream) c.pending_text += text;
        c.finish = openai_finish_reason(e.finish);
        --n_live_;
    }
    return &c;
}

void completion_job::stream_choice(http_exchange & x, choice & c) {
    if (c.pending_text.empty() && c.logprobs.empty() && !c.finish && c.is_role_sent) return;
    const size_t offset = c.out.text().size() - c.pending_text.size();
    choice_part part{c.index, std::move(c.pending_text), std::move(c.logprobs), c.finish};
    x.send_event(chunk_object(head_, part, !c.is_role_sent && head_.kind == endpoint::chat, req_.logprobs, offset));
    c.is_role_sent = true;
    c.pending_text.clear();
    c.logprobs.clear();
}

void completion_job::run(http_exchange & x) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!submit()) {
        cancel("internal");
        while (n_live_ > 0) {   // drain what was submitted
            engine::token_event e;
            if (!queue_->pop(e)) break;
            apply(e);
        }
        return x.reply_error({error_kind::internal, "the engine refused the request", ""});
    }
    ctx_.stats.add_tokens(plan_.n_prompt_tokens, 0);
    ctx_.stats.n_queued++;
    bool is_queued = true;
    x.watch_client([this] { cancel("disconnect"); });
    if (req_.stream && !x.begin_events()) cancel("disconnect");
    while (n_live_ > 0) {
        engine::token_event e;
        if (!queue_->pop(e)) break;
        if (is_queued && e.token >= 0) {
            is_queued = false;
            ctx_.stats.n_queued--;
            ctx_.stats.ttft_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        if (e.token >= 0) ctx_.stats.add_tokens(0, 1);
        choice * c = apply(e);
        if (c && req_.stream && !x.is_client_gone()) stream_choice(x, *c);
    }
    if (is_queued) ctx_.stats.n_queued--;
    x.unwatch_client();

    usage_counts u{plan_.n_prompt_tokens, 0};
    for (const choice & c : choices_) u.n_completion += c.n_tokens;
    if (req_.stream) {
        if (req_.include_usage) x.send_event(usage_chunk(head_, u));
        x.end_events();
        return;
    }
    std::vector<choice_part> parts;
    for (choice & c : choices_) parts.push_back({c.index, c.out.text(), std::move(c.logprobs), c.finish});
    x.reply_json(response_object(head_, parts, u, req_.logprobs));
}

}  // namespace tts::server
