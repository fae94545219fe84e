// engine_backend: decoder_backend over a real engine::engine and its model::decoder.
//
// Borrows both; the caller owns them and keeps them alive longer than the backend. The engine
// should be running its own thread (engine::start()). Thread-safe like the engine.
#pragma once

#include "runtime/controller/decoder_backend.h"
#include "runtime/model/decoder.h"

namespace tts::controller {

class engine_backend final : public decoder_backend {
public:
    engine_backend(engine::engine & eng, model::decoder & dec);

    std::vector<seq_id> submit(engine::request_spec spec) override { return eng_.submit(std::move(spec)); }
    seq_id fork(seq_id src, std::optional<uint64_t> seed, std::optional<engine::generation_params> p) override {
        return eng_.fork(src, seed, std::move(p));
    }
    void cancel(seq_id id) override { eng_.cancel(id); }
    void pause(seq_id id) override { eng_.pause(id); }
    void resume(seq_id id) override { eng_.resume(id); }
    void inject(seq_id id, std::vector<int32_t> tokens) override { eng_.inject(id, std::move(tokens)); }

    std::vector<int32_t> tokenize(std::string_view text) const override;
    std::string detokenize(std::span<const int32_t> tokens) const override;
    std::vector<int32_t> encode_prompt(std::string_view user_message) const override {
        return encode_chat("", user_message);
    }
    std::vector<int32_t> encode_chat(std::string_view system, std::string_view user_message) const override;
    std::optional<int32_t> think_end_token() const override { return think_end_; }
    size_t kv_bytes_per_token() const override;

private:
    engine::engine & eng_;
    model::decoder & dec_;
    std::optional<int32_t> think_end_;
};

}  // namespace tts::controller
