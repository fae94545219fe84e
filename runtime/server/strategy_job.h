// strategy_job: a completion request with "strategy": one controller session on the shared
// engine, the named strategy running in its own fiber, the verdict as the response.
//
// The choice's text is the strategy's answer (empty when no thread produced one); the `ttscale`
// object carries the verdict (votes, per-thread finish reasons and tokens, total / sequential
// tokens, peak KV). With `stream`, a chunk with the threads' progress goes out every
// progress_interval while the strategy runs (empty delta, `ttscale.progress`), then the answer
// and the verdict. cancel() aborts the session: every thread is cancelled (KV pages free within
// one engine step) and the strategy may start no more, so it returns at once.
//
// Threading: run() on the server's io/fiber thread; the session and the strategy fiber live
// there too (controller/fiber_io.h). cancel() from the same thread.
#pragma once

#include <chrono>
#include <string>

#include "runtime/controller/session.h"
#include "runtime/server/http_exchange.h"
#include "runtime/server/request_plan.h"
#include "runtime/server/response_json.h"
#include "runtime/server/server_context.h"

namespace tts::server {

class strategy_job {
public:
    static constexpr std::chrono::milliseconds progress_interval{250};

    strategy_job(server_context & ctx, const completion_request & r, request_plan plan, response_head head);

    void run(http_exchange & x);
    void cancel(const char * reason);

private:
    server_context & ctx_;
    const completion_request & req_;
    request_plan plan_;
    response_head head_;
    controller::session * session_ = nullptr;   // while run() runs
    bool is_cancelled_ = false;
};

}  // namespace tts::server
