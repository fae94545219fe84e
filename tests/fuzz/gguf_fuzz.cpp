// Fuzz target: the GGUF reader (gguf_file::from_bytes) and everything that reads a parsed
// file: every typed accessor on every key, model_config, tokenizer, chat template, weights.
// Any input must give a value or a status, never a crash, a leak or an out-of-bounds read.
#include <cstdint>
#include <vector>

#include "runtime/model/chat_template.h"
#include "runtime/model/gguf_file.h"
#include "runtime/model/model_config.h"
#include "runtime/model/tokenizer.h"
#include "runtime/model/weights.h"

using namespace tts::model;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    auto f = gguf_file::from_bytes(std::vector<uint8_t>(data, data + size), "fuzz.gguf");
    if (!f) return 0;
    const gguf_file & g = *f.value();
    for (const auto & [key, value] : g.metadata()) {
        (void)g.get_int(key);
        (void)g.get_float(key);
        (void)g.get_string(key);
        (void)g.get_bool(key);
        (void)g.get_float_array(key);
        (void)g.get_int_array(key);
        (void)g.get_string_array(key);
    }
    for (const gguf_tensor & t : g.tensors()) {
        if (t.n_bytes > 0) (void)t.data[t.n_bytes - 1];  // in bounds: ASan would say otherwise
    }
    auto cfg = model_config::from_gguf(g);
    if (cfg) (void)weights::load(f.value(), cfg.value());
    auto tok = tokenizer::from_gguf(g);
    if (!tok) return 0;
    const std::vector<token_id> ids = tok->encode("Hello, world! 123 <|im_end|>", true, true);
    (void)tok->decode(ids, true);
    auto chat = chat_template::from_gguf(g, tok.value());
    if (chat) {
        const chat_message msgs[] = {{"system", "Be brief."}, {"user", "What is 6*7?"}};
        (void)chat->render(msgs, true);
    }
    return 0;
}
