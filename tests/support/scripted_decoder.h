// scripted_decoder: a decoder_backend that plays predetermined token streams — no model.
//
// One token per byte of text (ids 0..255), plus eos_token (256, renders as nothing) and
// think_token (257, renders as "</think>", recognised by tokenize() only when reasoning mode
// is on). Each thread plays a script picked by (prompt text, thread index, seed, request
// index). Timing mimics the engine exactly: commands apply in order at step boundaries; at
// each step every running thread emits one token (the first in the step that applies its
// submit), in ascending sequence id; a thread's n-th token comes at its n-th step. A fork
// continues its source's script from the same point; a thread that receives injected tokens
// switches to its script's `probe` text (then EOS), which is how answer probes are scripted.
// Finish rules are the engine's (runtime/engine/scheduler.cpp emit): EOS unless ignore_eos
// (then EOS is an ordinary token and the script plays again from its start), a stop token,
// a stop string in the text, max_tokens; a script may also end `max_tokens` on its last token
// or `kv_exhausted` (a final event without a token, the step after its last token).
// tests/runtime/controller/decoder_backend_contract_test.cpp checks this double and the real
// engine against the same contract.
// With n_top_logprobs = k, token confidence is -(lp + (k-1) log((1 - e^lp)/(k-1))) / k.
//
// Runs its own decoding thread (like engine::start()); commands are thread-safe. Deterministic
// whatever the controller's timing, because each step only depends on the commands applied.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "runtime/controller/decoder_backend.h"

namespace tts::test {

struct script {
    std::string text;                  // the tokens, one per byte ("</think>" -> think_token in reasoning mode)
    float logprob = -0.5f;             // every token's log-prob, unless `logprobs` has it
    std::vector<float> logprobs;       // per token; missing entries use `logprob`
    engine::finish_reason end = engine::finish_reason::eos;  // eos: EOS token after the text;
                                                             // max_tokens: stop on its last token;
                                                             // kv_exhausted: fail after its last token
    std::string probe;                 // what the thread generates after an injection (then EOS)
};

struct scripted_request {
    std::string prompt;                // detokenised prompt
    int32_t thread_index = 0;
    uint64_t seed = 0;
    int32_t request_index = 0;         // submit order, from 0
};

class scripted_decoder final : public controller::decoder_backend {
public:
    static constexpr int32_t eos_token = 256;
    static constexpr int32_t think_token = 257;
    using picker = std::function<script(const scripted_request &)>;

    // Thread i of every request plays scripts[i % size].
    explicit scripted_decoder(std::vector<script> scripts, bool reasoning = false);
    explicit scripted_decoder(picker pick, bool reasoning = false);
    ~scripted_decoder() override;

    std::vector<controller::seq_id> submit(engine::request_spec spec) override;
    controller::seq_id fork(controller::seq_id src, std::optional<uint64_t> seed,
                            std::optional<engine::generation_params> params) override;
    void cancel(controller::seq_id id) override;
    void pause(controller::seq_id id) override;
    void resume(controller::seq_id id) override;
    void inject(controller::seq_id id, std::vector<int32_t> tokens) override;

    std::vector<int32_t> tokenize(std::string_view text) const override;
    std::string detokenize(std::span<const int32_t> tokens) const override;
    std::vector<int32_t> encode_prompt(std::string_view user_message) const override { return tokenize(user_message); }
    // "<system>S</system>\n" + the user message (only the user message when S is empty).
    std::vector<int32_t> encode_chat(std::string_view system, std::string_view user_message) const override;
    std::optional<int32_t> think_end_token() const override;
    size_t kv_bytes_per_token() const override { return 1024; }

    int64_t n_steps() const { return n_steps_; }
    int32_t n_live_for_testing();                       // sequences not finished
    std::vector<std::string> prompts_for_testing();     // every submitted prompt, in order

private:
    struct command;
    struct seq;
    void loop();
    bool step();
    void apply(command & c);
    void emit(seq & s);
    void finish(seq & s, engine::finish_reason why, int32_t token);

    picker pick_;
    bool is_reasoning_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<command> queue_;
    std::map<controller::seq_id, seq> seqs_;            // decoding thread only (mu_ not needed)
    std::vector<std::string> prompts_;
    std::atomic<controller::seq_id> next_id_{1};
    std::atomic<int64_t> n_steps_{0};
    std::atomic<int32_t> n_live_{0};
    int32_t n_requests_ = 0;
    bool is_stopping_ = false;
    std::thread thread_;
};

}  // namespace tts::test
