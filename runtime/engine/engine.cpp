// The engine's front: argument checks and the command queue, the step loop, its thread, and
// what happens when something throws on that thread.
#include "runtime/engine/engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>

namespace tts::engine {

const char * finish_reason_name(finish_reason r) {
    switch (r) {
    case finish_reason::none: return "none";
    case finish_reason::eos: return "eos";
    case finish_reason::stop_token: return "stop_token";
    case finish_reason::stop_string: return "stop_string";
    case finish_reason::max_tokens: return "max_tokens";
    case finish_reason::cancelled: return "cancelled";
    case finish_reason::kv_exhausted: return "kv_exhausted";
    }
    return "?";
}

namespace {

kv::kv_layout layout_of(const model::model_config & c, int32_t block_size) {
    return kv::kv_layout{c.n_layers, c.n_kv_heads, c.head_dim, block_size};
}

bool in_vocab(const std::vector<int32_t> & tokens, int32_t n_vocab) {
    return std::all_of(tokens.begin(), tokens.end(), [&](int32_t t) { return t >= 0 && t < n_vocab; });
}

}  // namespace

bool is_valid(const generation_params & p) {
    const sampling_params & s = p.sampling;
    auto in = [](float x, float lo, float hi) { return std::isfinite(x) && x >= lo && x <= hi; };
    return p.max_tokens >= 1 && std::isfinite(s.temperature) && s.temperature >= 0.0f && s.top_k >= 0 &&
           in(s.top_p, 0.0f, 1.0f) && in(s.min_p, 0.0f, 1.0f) && s.n_top_logprobs >= 0 && s.n_top_logprobs <= 20;
}

engine::engine(model::decoder & dec, const engine_options & opt)
    : dec_(dec), opt_(opt),
      cache_(layout_of(dec.config(), opt.block_size),
             int32_t(layout_of(dec.config(), opt.block_size).blocks_in_bytes(opt.kv_bytes)), dec.kv_storage()) {
    TTS_CHECK(opt.max_step_tokens > 0, "max_step_tokens must be positive");
}

engine::~engine() { stop(); }

// ---- commands (any thread) ----

void engine::queue(command c) {
    {
        std::lock_guard lk(mu_);
        queue_.push_back(std::move(c));
    }
    cv_.notify_one();
}

std::vector<seq_id> engine::submit(request_spec spec) {
    if (spec.prompt.empty() || spec.n_threads < 1 || !is_valid(spec.params) ||
        !in_vocab(spec.prompt, dec_.config().n_vocab))
        return {};
    submit_command c;
    c.root = next_id_++;
    for (int32_t i = 0; i < spec.n_threads; ++i) c.threads.push_back(next_id_++);
    c.spec = std::move(spec);
    std::vector<seq_id> threads = c.threads;
    {
        std::lock_guard lk(mu_);
        if (!failure_.is_ok()) return {};
        queue_.push_back(std::move(c));
    }
    cv_.notify_one();
    return threads;
}

seq_id engine::fork(seq_id src, std::optional<uint64_t> stream_seed, std::optional<generation_params> params) {
    if (params && !is_valid(*params)) return -1;
    const seq_id id = next_id_++;
    queue(fork_command{src, id, stream_seed, std::move(params)});
    return id;
}

void engine::cancel(seq_id id) { queue(cancel_command{id}); }
void engine::pause(seq_id id) { queue(pause_command{id}); }
void engine::resume(seq_id id) { queue(resume_command{id}); }

status engine::inject(seq_id id, std::vector<int32_t> tokens) {
    if (!in_vocab(tokens, dec_.config().n_vocab))
        return status::invalid_argument("inject: a token id is outside the vocabulary [0, " +
                                        std::to_string(dec_.config().n_vocab) + ")");
    if (!tokens.empty()) queue(inject_command{id, std::move(tokens)});
    return status::ok();
}

// ---- the step loop (engine thread) ----

bool engine::step() {
    try {
        return step_unguarded();
    } catch (const std::exception & e) {
        fail(e.what());
    } catch (...) {
        fail("a non-standard exception");
    }
    return false;
}

bool engine::step_unguarded() {
    ended_before_ = std::move(ended_now_);
    ended_now_.clear();
    apply_commands();
    erase_finished();
    if (!schedule()) return false;
    const kv::kv_view & view = cache_.view(step_seqs_);
    logits_.resize(batch_.logits_rows.size() * size_t(dec_.config().n_vocab));
    dec_.forward(batch_, view, logits_.data());
    ++stats_.n_steps;
    stats_.kv_bytes_peak = std::max(stats_.kv_bytes_peak, cache_.bytes_used());
    sample_and_publish();
    end_broken_requests();
    erase_finished();
    return true;
}

void engine::erase_finished() {
    for (auto it = seqs_.begin(); it != seqs_.end();) {
        if (it->second.is_live()) {
            ++it;
            continue;
        }
        if (!it->second.is_root) ended_now_.emplace(it->first, it->second.sink);
        it = seqs_.erase(it);
    }
}

// The engine's state may be half-updated: end every thread (their owners hear `cancelled`),
// drop the queue (queued requests hear it too) and refuse new work.
void engine::fail(const std::string & why) {
    std::fprintf(stderr, "ttscale engine: failed: %s; ending every thread\n", why.c_str());
    std::vector<command> q;
    {
        std::lock_guard lk(mu_);
        failure_ = status::internal("engine failed: " + why);
        q.swap(queue_);
    }
    auto cancelled = [](seq_id id) {
        token_event ev;
        ev.seq = id;
        ev.finish = finish_reason::cancelled;
        return ev;
    };
    for (command & c : q) {
        if (auto * s = std::get_if<submit_command>(&c)) {
            for (seq_id id : s->threads) {
                try { s->spec.sink(cancelled(id)); } catch (...) { break; }
            }
        } else if (auto * f = std::get_if<fork_command>(&c)) {
            refuse_fork(*f);
        }
    }
    for (auto & [id, s] : seqs_) {
        try {
            finish(s, finish_reason::cancelled, !s.is_root);
        } catch (...) {
        }
    }
    for (auto & [id, s] : seqs_)
        if (cache_.has_sequence(id)) cache_.free(id);
    seqs_.clear();
    step_seqs_.clear();
    plan_.clear();
}

void engine::run_until_idle() {
    for (;;) {
        if (step()) continue;
        std::lock_guard lk(mu_);
        if (queue_.empty()) return;
    }
}

void engine::start() {
    stopping_ = false;
    thread_ = std::thread([this] {
        while (!stopping_) {
            if (step()) continue;
            std::unique_lock lk(mu_);
            cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
        }
    });
}

void engine::stop() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard lk(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

status engine::health() const {
    std::lock_guard lk(mu_);
    return failure_;
}

engine_stats engine::stats() const {
    engine_stats s = stats_;
    s.n_blocks_total = cache_.n_blocks_total();
    s.n_blocks_free = cache_.n_blocks_free();
    s.n_blocks_cached = cache_.n_blocks_cached();
    return s;
}

const sequence * engine::find_for_testing(seq_id id) const {
    auto it = seqs_.find(id);
    return it == seqs_.end() || !it->second.is_live() ? nullptr : &it->second;
}

}  // namespace tts::engine
