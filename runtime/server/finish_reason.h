// finish_reason: how the runtime's ways of ending map to OpenAI's `finish_reason`, in one place.
//
// OpenAI knows "stop" (a natural end or a stop sequence) and "length" (a token limit). A thread
// cancelled by its client gets "cancelled" (no OpenAI equivalent; the client is usually gone).
// The exact runtime reason stays visible in the `ttscale` extension objects. When the
// controller's finish classes change, this file is the only one to adapt. Pure functions.
#pragma once

#include "runtime/engine/sequence.h"
#include "strategies/verdict.h"

namespace tts::server {

// One thread: eos / stop token / stop string -> "stop"; max_tokens / out of KV -> "length";
// cancelled -> "cancelled". REQUIRES: r != none.
const char * openai_finish_reason(engine::finish_reason r);
// A strategy's answer: "length" when a budget stopped it early, "cancelled" when its client
// cancelled it, else "stop".
const char * openai_finish_reason(const strategy::verdict & v, bool is_cancelled);

}  // namespace tts::server
