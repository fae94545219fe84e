// backend_pool: a process-wide map path -> (decoder, running engine, engine_backend).
#include "runtime/controller/backend_pool.h"

#include <map>
#include <memory>
#include <mutex>

#include "runtime/controller/engine_backend.h"

namespace tts::controller {
namespace {

struct aux_model {
    std::unique_ptr<model::decoder> dec;
    std::unique_ptr<engine::engine> eng;
    std::unique_ptr<engine_backend> backend;
    ~aux_model() {
        backend.reset();
        if (eng) eng->stop();
    }
};

std::mutex g_mu;
std::map<std::string, std::unique_ptr<aux_model>> & models() {
    static std::map<std::string, std::unique_ptr<aux_model>> m;   // destroyed at exit: engines stop
    return m;
}

}  // namespace

result<decoder_backend *> try_get_aux_backend(const std::string & path, const aux_model_options & o) {
    std::lock_guard lock(g_mu);
    auto it = models().find(path);
    if (it != models().end()) return static_cast<decoder_backend *>(it->second->backend.get());
    auto dec = model::decoder::load(path, o.n_threads);
    if (!dec) return dec.error();
    auto m = std::make_unique<aux_model>();
    m->dec = std::move(dec).value();
    engine::engine_options eo;
    eo.kv_bytes = o.kv_bytes;
    m->eng = std::make_unique<engine::engine>(*m->dec, eo);
    m->eng->start();
    m->backend = std::make_unique<engine_backend>(*m->eng, *m->dec);
    decoder_backend * b = m->backend.get();
    models().emplace(path, std::move(m));
    return b;
}

void clear_aux_backends_for_testing() {
    std::lock_guard lock(g_mu);
    models().clear();
}

}  // namespace tts::controller
