// completion_job: a plain (strategy-less) completion request on the shared engine.
//
// Each prompt is submitted once with `n` threads (they share its KV pages; the prefix cache
// shares them across requests too); the engine's token events come back through an event queue
// to the request's fiber, which turns them into choices: text through text_output (whole UTF-8
// characters, stop sequences cut), log-probs, finish reasons. With `stream` every token becomes
// an SSE chunk as it arrives; otherwise one response at the end. cancel() — a client disconnect,
// POST /v1/cancel/{id}, or shutdown — cancels every thread; the engine frees their KV pages in
// the step that applies the cancel, and the job still ends normally (its threads end "cancelled").
//
// Threading: run() on the server's io/fiber thread (it suspends only its fiber); the sink runs
// on the engine thread and only pushes to the queue. cancel() from the same fiber thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/controller/event_queue.h"
#include "runtime/server/http_exchange.h"
#include "runtime/server/request_plan.h"
#include "runtime/server/response_json.h"
#include "runtime/server/server_context.h"
#include "runtime/server/text_output.h"

namespace tts::server {

class completion_job {
public:
    completion_job(server_context & ctx, const completion_request & r, request_plan plan, response_head head);

    // Submits, then answers x (stream or whole response) once every thread has ended.
    void run(http_exchange & x);
    void cancel(const char * reason);

private:
    struct choice {
        int32_t index = 0;
        engine::seq_id seq = -1;
        text_output out;
        std::vector<token_logprob> logprobs;     // not yet streamed (stream) / all (whole)
        std::string pending_text;                // not yet streamed
        int32_t n_tokens = 0;
        const char * finish = nullptr;
        bool is_role_sent = false;
    };

    bool submit();
    // Applies one engine event to its choice; returns the choice.
    choice * apply(const engine::token_event & e);
    void stream_choice(http_exchange & x, choice & c);

    server_context & ctx_;
    const completion_request & req_;
    request_plan plan_;
    response_head head_;
    std::shared_ptr<controller::event_queue<engine::token_event>> queue_;
    std::vector<choice> choices_;                // [n_prompts * n], index order
    int32_t n_live_ = 0;
    bool is_cancelled_ = false;
};

}  // namespace tts::server
