// Fuzz target: chat template family detection and rendering.
// Input: byte 0 holds flags (add_generation_prompt, which arch name), then NUL-separated
// fields: the template text, then (role, content) pairs. Any template text must give a
// template or a status; any messages must render, and the rendered text must tokenize.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/model/chat_template.h"
#include "tests/fuzz/fuzz_vocab.h"

using namespace tts;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    if (size == 0) return 0;
    const uint8_t flags = data[0];
    std::vector<std::string_view> fields;
    std::string_view rest(reinterpret_cast<const char *>(data + 1), size - 1);
    while (!rest.empty()) {
        const size_t nul = rest.find('\0');
        fields.push_back(rest.substr(0, nul));
        if (nul == std::string_view::npos) break;
        rest.remove_prefix(nul + 1);
    }
    if (fields.empty()) fields.emplace_back();
    static const char * const archs[] = {"llama", "qwen2", "qwen3", ""};
    const model::tokenizer & tok = fuzz::byte_bpe("gpt2");
    auto t = model::chat_template::from_text(fields[0], archs[(flags >> 1) % 4], tok, "fuzz template");
    if (!t) return 0;
    static const char * const roles[] = {"system", "user", "assistant"};
    std::vector<model::chat_message> msgs;
    for (size_t i = 1; i + 1 < fields.size() + 1; i += 2) {
        const std::string_view role = fields[i];
        const std::string content(i + 1 < fields.size() ? fields[i + 1] : std::string_view());
        // Mostly the three real roles; sometimes whatever the input says.
        msgs.push_back({role.size() == 1 ? roles[uint8_t(role[0]) % 3] : std::string(role), content});
    }
    const std::string text = t->render(msgs, flags & 1);
    (void)tok.encode(text, true, false);
    (void)t->family_name();
    return 0;
}
