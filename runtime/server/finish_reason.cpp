// finish_reason: runtime endings -> OpenAI finish_reason strings.
#include "runtime/server/finish_reason.h"

namespace tts::server {

const char * openai_finish_reason(engine::finish_reason r) {
    switch (r) {
    case engine::finish_reason::eos:
    case engine::finish_reason::stop_token:
    case engine::finish_reason::stop_string:
    case engine::finish_reason::none: return "stop";
    case engine::finish_reason::max_tokens:
    case engine::finish_reason::kv_exhausted: return "length";
    case engine::finish_reason::cancelled: return "cancelled";
    }
    return "stop";
}

const char * openai_finish_reason(const strategy::verdict & v, bool is_cancelled) {
    if (is_cancelled) return "cancelled";
    if (v.status.rfind("budget", 0) == 0) return "length";
    return "stop";
}

}  // namespace tts::server
