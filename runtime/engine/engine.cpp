// The step loop: commands in, one batched forward pass, token events out.
#include "runtime/engine/engine.h"

#include <algorithm>

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

struct engine::command {
    enum class kind { submit, fork, cancel, pause, resume, inject } what;
    request_spec spec;                  // submit
    std::vector<seq_id> ids;            // submit: root, then threads
    seq_id id = -1;                     // fork: the new id; others: the target
    seq_id src = -1;                    // fork
    std::optional<uint64_t> seed;       // fork
    std::optional<generation_params> params;
    std::vector<int32_t> tokens;        // inject
};

namespace {
kv::kv_layout layout_of(const model::model_config & c, int32_t block_size) {
    return kv::kv_layout{c.n_layers, c.n_kv_heads, c.head_dim, block_size};
}
}  // namespace

engine::engine(model::decoder & dec, const engine_options & opt)
    : dec_(dec), opt_(opt),
      cache_(layout_of(dec.config(), opt.block_size),
             int32_t(layout_of(dec.config(), opt.block_size).blocks_in_bytes(opt.kv_bytes)), dec.kv_storage()) {
    TTS_CHECK(opt.max_step_tokens > 0, "max_step_tokens must be positive");
}

engine::~engine() { stop(); }

// ---- commands (any thread) ----

std::vector<seq_id> engine::submit(request_spec spec) {
    const int32_t n_vocab = dec_.config().n_vocab;
    if (spec.prompt.empty() || spec.n_threads < 1 || spec.params.max_tokens < 1) return {};
    for (int32_t t : spec.prompt)
        if (t < 0 || t >= n_vocab) return {};
    auto c = std::make_unique<command>();
    c->what = command::kind::submit;
    for (int32_t i = 0; i <= spec.n_threads; ++i) c->ids.push_back(next_id_++);
    c->spec = std::move(spec);
    std::vector<seq_id> threads(c->ids.begin() + 1, c->ids.end());
    {
        std::lock_guard lk(mu_);
        queue_.push_back(std::move(c));
    }
    cv_.notify_one();
    return threads;
}

seq_id engine::fork(seq_id src, std::optional<uint64_t> stream_seed, std::optional<generation_params> params) {
    auto c = std::make_unique<command>();
    c->what = command::kind::fork;
    c->src = src;
    c->id = next_id_++;
    c->seed = stream_seed;
    c->params = std::move(params);
    const seq_id id = c->id;
    {
        std::lock_guard lk(mu_);
        queue_.push_back(std::move(c));
    }
    cv_.notify_one();
    return id;
}

namespace {
std::unique_ptr<engine::command> simple(engine::command::kind k, seq_id id) {
    auto c = std::make_unique<engine::command>();
    c->what = k;
    c->id = id;
    return c;
}
}  // namespace

void engine::cancel(seq_id id) { std::lock_guard lk(mu_); queue_.push_back(simple(command::kind::cancel, id)); cv_.notify_one(); }
void engine::pause(seq_id id) { std::lock_guard lk(mu_); queue_.push_back(simple(command::kind::pause, id)); cv_.notify_one(); }
void engine::resume(seq_id id) { std::lock_guard lk(mu_); queue_.push_back(simple(command::kind::resume, id)); cv_.notify_one(); }

void engine::inject(seq_id id, std::vector<int32_t> tokens) {
    auto c = simple(command::kind::inject, id);
    c->tokens = std::move(tokens);
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(c));
    cv_.notify_one();
}

// ---- applying commands (engine thread) ----

sequence & engine::make_sequence(seq_id id) {
    sequence & s = seqs_[id];
    s.id = id;
    s.order = next_order_++;
    cache_.add_sequence(id);
    return s;
}

void engine::apply_commands() {
    std::vector<std::unique_ptr<command>> q;
    {
        std::lock_guard lk(mu_);
        q.swap(queue_);
    }
    std::vector<std::unique_ptr<command>> deferred;
    for (auto & c : q) {
        // A fork of a thread still waiting for its root's prefill waits with it.
        if (c->what == command::kind::fork && !seqs_.contains(c->src)) {
            bool waiting = false;
            for (auto & [id, s] : seqs_)
                for (auto & ch : s.children) waiting |= ch.id == c->src;
            if (waiting) { deferred.push_back(std::move(c)); continue; }
        }
        apply(*c);
    }
    if (!deferred.empty()) {
        std::lock_guard lk(mu_);
        for (auto & c : deferred) queue_.insert(queue_.begin(), std::move(c));
    }
}

void engine::apply(command & c) {
    switch (c.what) {
    case command::kind::submit: {
        sequence & root = make_sequence(c.ids[0]);
        root.is_root = true;
        root.tokens = std::move(c.spec.prompt);
        root.n_prompt = int32_t(root.tokens.size());
        root.params = c.spec.params;
        root.sink = std::make_shared<event_sink>(std::move(c.spec.sink));
        for (size_t i = 1; i < c.ids.size(); ++i)
            root.children.push_back({c.ids[i], int32_t(i - 1), c.spec.params, thread_seed(c.spec.seed, i - 1)});
        if (opt_.use_prefix_cache) {
            root.n_computed = cache_.match_prefix(root.id, root.tokens);
            stats_.n_prefix_tokens_reused += root.n_computed;
        }
        return;
    }
    case command::kind::fork: {
        auto it = seqs_.find(c.src);
        if (it == seqs_.end() || it->second.is_root) return;
        sequence src = it->second;   // copy before make_sequence may rehash
        cache_.fork(src.id, c.id);
        sequence & s = seqs_[c.id];
        s = std::move(src);
        s.id = c.id;
        s.order = next_order_++;
        if (c.params) s.params = *c.params;
        if (c.seed) s.smp = sampler(s.params.sampling, *c.seed);
        return;
    }
    case command::kind::cancel: {
        auto it = seqs_.find(c.id);
        if (it != seqs_.end()) {
            if (!it->second.is_root) finish(it->second, finish_reason::cancelled, true);
            return;
        }
        for (auto & [id, s] : seqs_) {
            auto & ch = s.children;
            auto f = std::find_if(ch.begin(), ch.end(), [&](const child_spec & x) { return x.id == c.id; });
            if (f == ch.end()) continue;
            token_event ev;
            ev.seq = f->id;
            ev.finish = finish_reason::cancelled;
            (*s.sink)(ev);
            ch.erase(f);
            if (ch.empty()) finish(s, finish_reason::cancelled, false);
            return;
        }
        return;
    }
    case command::kind::pause:
        if (auto it = seqs_.find(c.id); it != seqs_.end() && it->second.state != seq_state::finished && !it->second.is_root)
            it->second.state = seq_state::paused;
        return;
    case command::kind::resume:
        if (auto it = seqs_.find(c.id); it != seqs_.end() && it->second.state == seq_state::paused) {
            sequence & s = it->second;
            s.state = s.n_computed == int32_t(s.tokens.size()) ? seq_state::running : seq_state::prefilling;
        }
        return;
    case command::kind::inject:
        if (auto it = seqs_.find(c.id); it != seqs_.end() && !it->second.is_root)
            it->second.injected.insert(it->second.injected.end(), c.tokens.begin(), c.tokens.end());
        return;
    }
}

void engine::finish(sequence & s, finish_reason why, bool emit_event) {
    if (emit_event && s.sink) {
        token_event ev;
        ev.seq = s.id;
        ev.n_generated = s.n_generated;
        ev.finish = why;
        (*s.sink)(ev);
    }
    // Cancelling a root cancels the threads waiting on it.
    for (auto & ch : s.children) {
        token_event ev;
        ev.seq = ch.id;
        ev.finish = why;
        (*s.sink)(ev);
    }
    s.children.clear();
    s.state = seq_state::finished;
    if (cache_.has_sequence(s.id)) cache_.free(s.id);
}

bool engine::step() {
    apply_commands();
    std::erase_if(seqs_, [](const auto & kv) { return kv.second.state == seq_state::finished; });
    if (!schedule()) return false;
    const kv::kv_view & view = cache_.view(step_seqs_);
    logits_.resize(batch_.logits_rows.size() * size_t(dec_.config().n_vocab));
    dec_.forward(batch_, view, logits_.data());
    ++stats_.n_steps;
    stats_.kv_bytes_peak = std::max(stats_.kv_bytes_peak, cache_.bytes_used());
    sample_and_publish(logits_);
    std::erase_if(seqs_, [](const auto & kv) { return kv.second.state == seq_state::finished; });
    return true;
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

engine_stats engine::stats() const {
    engine_stats s = stats_;
    s.n_blocks_total = cache_.n_blocks_total();
    s.n_blocks_free = cache_.n_blocks_free();
    return s;
}

}  // namespace tts::engine
