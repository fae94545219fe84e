// backend_pool: auxiliary models (judges, verifiers) loaded once per process, by path.
//
// A strategy that needs a second model (DeepPrune's judge, docs/strategies.md P11) asks the
// pool for a decoder_backend over that GGUF file and runs a session of its own on it. The
// first request for a path loads the model and starts its engine thread; later requests get
// the same backend. Entries live until the process exits (or clear_for_testing()).
//
// Threading: try_get() may be called from any thread; it blocks the caller while a model
// loads (seconds, once per path). Backends are thread-safe like the engine.
#pragma once

#include <string>

#include "runtime/base/status.h"
#include "runtime/controller/decoder_backend.h"

namespace tts::controller {

struct aux_model_options {
    int n_threads = 2;                    // CPU workers of the model's decoder
    size_t kv_bytes = size_t(256) << 20;  // its own KV pool
};

// The backend of the model at `path`, loading it on first use. Errors name the file.
result<decoder_backend *> try_get_aux_backend(const std::string & path, const aux_model_options & o = {});

// Stops and frees every loaded model. REQUIRES: no session uses one.
void clear_aux_backends_for_testing();

}  // namespace tts::controller
