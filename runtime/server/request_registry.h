// request_registry: the requests in flight, by id, so that POST /v1/cancel/{id} and shutdown can
// cancel them.
//
// A handler registers its request for its whole life (register_request returns a guard that
// unregisters); cancel(id) calls the request's cancel function, which cancels every thread of
// the request (their KV pages are free within one engine step). All calls on the server's
// io/fiber thread; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace tts::server {

class request_registry {
public:
    using cancel_fn = std::function<void(const char * reason)>;   // reason: "api", "shutdown", ...

    class guard {
    public:
        guard(request_registry & r, std::string id) : r_(&r), id_(std::move(id)) {}
        guard(guard && o) noexcept : r_(o.r_), id_(std::move(o.id_)) { o.r_ = nullptr; }
        guard(const guard &) = delete;
        ~guard() { if (r_) r_->items_.erase(id_); }

    private:
        request_registry * r_;
        std::string id_;
    };

    // REQUIRES: id not registered.
    [[nodiscard]] guard register_request(const std::string & id, cancel_fn cancel) {
        items_.emplace(id, std::move(cancel));
        return guard(*this, id);
    }
    // Cancels the request; false when no request has that id (finished or never existed).
    bool cancel(const std::string & id, const char * reason) {
        auto it = items_.find(id);
        if (it == items_.end()) return false;
        it->second(reason);
        return true;
    }
    void cancel_all(const char * reason) {
        auto copy = items_;   // a cancel may finish (and unregister) a request
        for (auto & [id, fn] : copy) fn(reason);
    }
    size_t size() const { return items_.size(); }

private:
    std::map<std::string, cancel_fn> items_;
};

}  // namespace tts::server
