// engine_backend: text helpers over the model's tokenizer and chat template.
#include "runtime/controller/engine_backend.h"

#include "runtime/kv/kv_layout.h"

namespace tts::controller {

engine_backend::engine_backend(engine::engine & eng, model::decoder & dec) : eng_(eng), dec_(dec) {
    const model::chat_template & chat = dec.chat();
    if (chat.is_reasoning()) think_end_ = dec.vocab().find_token(chat.think_end());
}

std::vector<int32_t> engine_backend::tokenize(std::string_view text) const {
    return dec_.vocab().encode(text, /*parse_special=*/true, /*add_special=*/false);
}

std::string engine_backend::detokenize(std::span<const int32_t> tokens) const {
    return dec_.vocab().decode(tokens, /*render_control=*/false);
}

std::vector<int32_t> engine_backend::encode_chat(std::string_view system, std::string_view user_message) const {
    std::vector<model::chat_message> msgs;
    if (!system.empty()) msgs.push_back({"system", std::string(system)});
    msgs.push_back({"user", std::string(user_message)});
    return tokenize(dec_.chat().render(msgs, /*add_generation_prompt=*/true));
}

size_t engine_backend::kv_bytes_per_token() const {
    const auto & c = dec_.config();
    return size_t(2) * c.n_layers * c.n_kv_heads * c.head_dim * kv::kv_layout::bytes_per_elem(kv::kv_dtype::f16);
}

}  // namespace tts::controller
