// scripted_decoder: the engine's step discipline over scripted token streams.
#include "tests/support/scripted_decoder.h"

#include <algorithm>
#include <cmath>
#include <memory>

namespace tts::test {

struct scripted_decoder::command {
    enum class kind { submit, fork, cancel, pause, resume, inject } what;
    std::vector<controller::seq_id> ids;   // submit: thread ids; others: ids[0] = target (fork: new id)
    controller::seq_id src = -1;
    engine::request_spec spec;
    std::optional<engine::generation_params> params;
    std::vector<int32_t> tokens;           // inject
};

struct scripted_decoder::seq {
    controller::seq_id id = -1;
    script sc;
    std::vector<int32_t> stream;           // tokens still to play come from stream[pos...]
    size_t pos = 0;
    bool ends_with_max_tokens = false;
    bool ends_with_kv_exhausted = false;
    std::string text_tail;  // recent text, for stop strings
    int32_t n_generated = 0;
    engine::generation_params params;
    bool is_paused = false;
    std::vector<int32_t> injected;         // reported with the next token, as the engine does
    std::shared_ptr<engine::event_sink> sink;
};

scripted_decoder::scripted_decoder(std::vector<script> scripts, bool reasoning)
    : scripted_decoder(picker([scripts](const scripted_request & r) { return scripts[size_t(r.thread_index) % scripts.size()]; }),
                       reasoning) {}

scripted_decoder::scripted_decoder(picker pick, bool reasoning) : pick_(std::move(pick)), is_reasoning_(reasoning) {
    thread_ = std::thread([this] { loop(); });
}

scripted_decoder::~scripted_decoder() {
    {
        std::lock_guard lk(mu_);
        is_stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

std::vector<int32_t> scripted_decoder::tokenize(std::string_view text) const {
    std::vector<int32_t> out;
    static constexpr std::string_view think = "</think>";
    for (size_t i = 0; i < text.size(); ++i) {
        if (is_reasoning_ && text.substr(i, think.size()) == think) {
            out.push_back(think_token);
            i += think.size() - 1;
            continue;
        }
        out.push_back(int32_t(uint8_t(text[i])));
    }
    return out;
}

std::string scripted_decoder::detokenize(std::span<const int32_t> tokens) const {
    std::string out;
    for (int32_t t : tokens) {
        if (t >= 0 && t < 256) out.push_back(char(t));
        else if (t == think_token) out += "</think>";
    }
    return out;
}

std::vector<int32_t> scripted_decoder::encode_chat(std::string_view system, std::string_view user_message) const {
    if (system.empty()) return tokenize(user_message);
    return tokenize("<system>" + std::string(system) + "</system>\n" + std::string(user_message));
}

std::optional<int32_t> scripted_decoder::think_end_token() const {
    return is_reasoning_ ? std::optional<int32_t>(think_token) : std::nullopt;
}

// ---- commands ----

std::vector<controller::seq_id> scripted_decoder::submit(engine::request_spec spec) {
    if (spec.prompt.empty() || spec.n_threads < 1 || spec.params.max_tokens < 1) return {};
    command c{command::kind::submit, {}, -1, {}, {}, {}};
    for (int32_t i = 0; i < spec.n_threads; ++i) c.ids.push_back(next_id_++);
    c.spec = std::move(spec);
    std::vector<controller::seq_id> ids = c.ids;
    {
        std::lock_guard lk(mu_);
        queue_.push_back(std::move(c));
    }
    cv_.notify_all();
    return ids;
}

controller::seq_id scripted_decoder::fork(controller::seq_id src, std::optional<uint64_t>, std::optional<engine::generation_params> p) {
    const controller::seq_id id = next_id_++;
    {
        std::lock_guard lk(mu_);
        queue_.push_back(command{command::kind::fork, {id}, src, {}, std::move(p), {}});
    }
    cv_.notify_all();
    return id;
}

namespace {
template <typename Q, typename C>
void queue_simple(std::mutex & mu, std::condition_variable & cv, Q & q, C c) {
    {
        std::lock_guard lk(mu);
        q.push_back(std::move(c));
    }
    cv.notify_all();
}
}  // namespace

void scripted_decoder::cancel(controller::seq_id id) { queue_simple(mu_, cv_, queue_, command{command::kind::cancel, {id}, -1, {}, {}, {}}); }
void scripted_decoder::pause(controller::seq_id id) { queue_simple(mu_, cv_, queue_, command{command::kind::pause, {id}, -1, {}, {}, {}}); }
void scripted_decoder::resume(controller::seq_id id) { queue_simple(mu_, cv_, queue_, command{command::kind::resume, {id}, -1, {}, {}, {}}); }
void scripted_decoder::inject(controller::seq_id id, std::vector<int32_t> tokens) {
    queue_simple(mu_, cv_, queue_, command{command::kind::inject, {id}, -1, {}, {}, std::move(tokens)});
}

int32_t scripted_decoder::n_live_for_testing() { return n_live_; }

std::vector<std::string> scripted_decoder::prompts_for_testing() {
    std::lock_guard lk(mu_);
    return prompts_;
}

// ---- the decoding thread ----

void scripted_decoder::loop() {
    for (;;) {
        {
            std::unique_lock lk(mu_);
            cv_.wait(lk, [&] {
                return is_stopping_ || !queue_.empty() ||
                       std::any_of(seqs_.begin(), seqs_.end(), [](auto & kv) { return !kv.second.is_paused; });
            });
            if (is_stopping_) return;
        }
        step();
    }
}

bool scripted_decoder::step() {
    std::vector<command> q;
    {
        std::lock_guard lk(mu_);
        q.swap(queue_);
    }
    for (command & c : q) apply(c);
    // Sinks may queue commands, so they are called without mu_ held; seqs_ is ours alone.
    std::vector<controller::seq_id> ids;
    for (auto & [id, s] : seqs_)
        if (!s.is_paused) ids.push_back(id);
    for (controller::seq_id id : ids) {
        auto it = seqs_.find(id);
        if (it != seqs_.end()) emit(it->second);
    }
    std::erase_if(seqs_, [](auto & kv) { return kv.second.id < 0; });
    n_live_ = int32_t(seqs_.size());
    ++n_steps_;
    return !ids.empty();
}

namespace {
std::vector<int32_t> stream_of(const scripted_decoder & d, const std::string & text, bool with_eos) {
    std::vector<int32_t> s = d.tokenize(text);
    if (with_eos) s.push_back(scripted_decoder::eos_token);
    return s;
}
}  // namespace

void scripted_decoder::apply(command & c) {
    switch (c.what) {
    case command::kind::submit: {
        const std::string prompt = detokenize(c.spec.prompt);
        {
            std::lock_guard lk(mu_);
            prompts_.push_back(prompt);
        }
        auto sink = std::make_shared<engine::event_sink>(std::move(c.spec.sink));
        for (size_t i = 0; i < c.ids.size(); ++i) {
            seq & s = seqs_[c.ids[i]];
            s.id = c.ids[i];
            s.sc = pick_({prompt, int32_t(i), c.spec.seed, n_requests_});
            s.ends_with_max_tokens = s.sc.end == engine::finish_reason::max_tokens;
            s.ends_with_kv_exhausted = s.sc.end == engine::finish_reason::kv_exhausted;
            s.stream = stream_of(*this, s.sc.text, s.sc.end == engine::finish_reason::eos);
            s.params = c.spec.params;
            s.sink = sink;
        }
        ++n_requests_;
        return;
    }
    case command::kind::fork: {
        auto it = seqs_.find(c.src);
        if (it == seqs_.end()) return;
        if (it->second.id < 0) {   // ended earlier in this step: the fork's one final event, as the engine
            engine::token_event ev;
            ev.seq = c.ids[0];
            ev.finish = engine::finish_reason::cancelled;
            (*it->second.sink)(ev);
            return;
        }
        seq copy = it->second;
        copy.id = c.ids[0];
        if (c.params) copy.params = *c.params;
        seqs_[copy.id] = std::move(copy);
        return;
    }
    case command::kind::cancel:
        if (auto it = seqs_.find(c.ids[0]); it != seqs_.end() && it->second.id >= 0)
            finish(it->second, engine::finish_reason::cancelled, -1);
        return;
    case command::kind::pause:
        if (auto it = seqs_.find(c.ids[0]); it != seqs_.end()) it->second.is_paused = true;
        return;
    case command::kind::resume:
        if (auto it = seqs_.find(c.ids[0]); it != seqs_.end()) it->second.is_paused = false;
        return;
    case command::kind::inject:
        if (auto it = seqs_.find(c.ids[0]); it != seqs_.end()) {
            it->second.stream = stream_of(*this, it->second.sc.probe, true);
            it->second.injected.insert(it->second.injected.end(), c.tokens.begin(), c.tokens.end());
            it->second.pos = 0;
            it->second.ends_with_max_tokens = it->second.ends_with_kv_exhausted = false;
        }
        return;
    }
}

void scripted_decoder::finish(seq & s, engine::finish_reason why, int32_t token) {
    if (token < 0) {
        engine::token_event ev;
        ev.seq = s.id;
        ev.n_generated = s.n_generated;
        ev.finish = why;
        (*s.sink)(ev);
    }
    s.id = -1;   // erased at the end of the step
}

void scripted_decoder::emit(seq & s) {
    if (s.id < 0) return;
    const engine::generation_params & p = s.params;
    if (s.ends_with_kv_exhausted && s.pos >= s.stream.size()) return finish(s, engine::finish_reason::kv_exhausted, -1);
    const size_t i = s.pos++;
    int32_t tok = eos_token;
    if (i < s.stream.size())
        tok = s.stream[i];
    else if (p.ignore_eos && !s.stream.empty())
        tok = s.stream[i % s.stream.size()];
    ++s.n_generated;
    engine::token_event ev;
    ev.seq = s.id;
    ev.token = tok;
    ev.n_generated = s.n_generated;
    ev.injected = std::move(s.injected);
    s.injected.clear();
    const size_t at = s.stream.empty() ? i : i % s.stream.size();
    ev.signals.logprob = at < s.sc.logprobs.size() ? s.sc.logprobs[at] : s.sc.logprob;
    // Top log-probs: the chosen token, then the rest of the mass spread evenly over the others
    // (so a confident token has very unlikely runners-up, as with a real model).
    const int32_t k = p.sampling.n_top_logprobs;
    const float rest = std::log(std::max(1e-12f, (1.0f - std::exp(ev.signals.logprob)) / float(std::max(1, k - 1))));
    for (int32_t j = 0; j < k; ++j) ev.signals.top.emplace_back(j == 0 ? tok : 300 + j, j == 0 ? ev.signals.logprob : rest);
    // The engine's order of checks (scheduler.cpp emit).
    if (tok == eos_token && !p.ignore_eos) {
        ev.finish = engine::finish_reason::eos;
    } else if (std::find(p.stop_tokens.begin(), p.stop_tokens.end(), tok) != p.stop_tokens.end()) {
        ev.finish = engine::finish_reason::stop_token;
    } else if (!p.stop_strings.empty()) {
        s.text_tail += detokenize(std::span(&tok, 1));
        for (const auto & stop : p.stop_strings)
            if (s.text_tail.find(stop) != std::string::npos) ev.finish = engine::finish_reason::stop_string;
    }
    if (ev.finish == engine::finish_reason::none &&
        ((s.ends_with_max_tokens && s.pos >= s.stream.size()) || s.n_generated >= p.max_tokens))
        ev.finish = engine::finish_reason::max_tokens;
    if (ev.finish != engine::finish_reason::none) s.id = -1;
    (*s.sink)(ev);
}

}  // namespace tts::test
