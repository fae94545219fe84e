// event_queue: an unbounded multi-producer queue that suspends only the popping fiber.
//
// The decoding thread pushes (never blocks beyond a short std::mutex); a fiber on the
// controller thread pops, suspending while the queue is empty. close() wakes the popper, which
// then drains what is left and gets false. Boost.Fiber's buffered_channel is bounded and would
// block the engine thread when full; this is the unbounded variant built from its primitives.
#pragma once

#include <deque>
#include <mutex>

#include <boost/fiber/condition_variable.hpp>

namespace tts::controller {

template <typename T>
class event_queue {
public:
    // Any thread. Items pushed after close() are dropped.
    void push(T item) {
        {
            std::lock_guard lk(mu_);
            if (is_closed_) return;
            items_.push_back(std::move(item));
        }
        cv_.notify_one();
    }
    // One fiber. Returns false once the queue is closed and empty.
    bool pop(T & out) {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return !items_.empty() || is_closed_; });
        if (items_.empty()) return false;
        out = std::move(items_.front());
        items_.pop_front();
        return true;
    }
    void close() {
        {
            std::lock_guard lk(mu_);
            is_closed_ = true;
        }
        cv_.notify_all();
    }

private:
    std::mutex mu_;
    boost::fibers::condition_variable_any cv_;
    std::deque<T> items_;
    bool is_closed_ = false;
};

}  // namespace tts::controller
