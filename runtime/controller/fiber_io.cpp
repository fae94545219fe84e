// fiber_io: a round-robin fiber scheduler that sleeps in Asio instead of a condition variable,
// after the Boost.Fiber `asio/round_robin.hpp` example, with a thread-safe notify() (post).
#include "runtime/controller/fiber_io.h"

#include <chrono>
#include <exception>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/fiber/all.hpp>

namespace tts::controller {
namespace {

class asio_round_robin final : public boost::fibers::algo::algorithm {
public:
    explicit asio_round_robin(boost::asio::io_context & io) : io_(io), timer_(io) {}

    void awakened(boost::fibers::context * ctx) noexcept override {
        ctx->ready_link(rqueue_);
        if (!ctx->is_context(boost::fibers::type::dispatcher_context)) ++n_ready_;
    }
    boost::fibers::context * pick_next() noexcept override {
        if (rqueue_.empty()) return nullptr;
        boost::fibers::context * ctx = &rqueue_.front();
        rqueue_.pop_front();
        if (!ctx->is_context(boost::fibers::type::dispatcher_context)) --n_ready_;
        return ctx;
    }
    bool has_ready_fibers() const noexcept override { return n_ready_ > 0; }

    // Called by the dispatcher when no fiber is ready: hand the thread back to the io loop.
    void suspend_until(std::chrono::steady_clock::time_point const & t) noexcept override {
        if (t != std::chrono::steady_clock::time_point::max() && t != wake_at_) {
            wake_at_ = t;
            timer_.expires_at(t);
            timer_.async_wait([](const boost::system::error_code &) {});
        }
        cv_.notify_one();
    }
    // Any thread: a fiber became ready remotely; wake run_one().
    void notify() noexcept override {
        boost::asio::post(io_, [] {});
    }

    // The io loop, run by the thread's main fiber: let every ready fiber run (the dispatcher
    // then calls suspend_until(), which arms the timer for the earliest sleeping fiber and
    // wakes us), then sleep in Asio until an I/O completion, that timer, or notify()'s post.
    void loop(const bool & done) {
        while (!done && !io_.stopped()) {
            while (io_.poll()) {}
            {
                std::unique_lock<boost::fibers::mutex> lk(mtx_);
                cv_.wait(lk);
            }
            if (done) break;
            io_.run_one();
        }
    }

private:
    boost::asio::io_context & io_;
    boost::asio::steady_timer timer_;
    std::chrono::steady_clock::time_point wake_at_{};
    boost::fibers::scheduler::ready_queue_type rqueue_;
    int n_ready_ = 0;
    boost::fibers::mutex mtx_;
    boost::fibers::condition_variable cv_;
};

}  // namespace

void run_fibers_with_io(boost::asio::io_context & io, std::function<void()> main_fn) {
    auto * algo = new asio_round_robin(io);   // owned by the fiber scheduler
    boost::fibers::context::active()->get_scheduler()->set_algo(
        boost::fibers::algo::algorithm::ptr_t(algo));
    auto guard = boost::asio::make_work_guard(io);
    bool done = false;
    std::exception_ptr error;
    boost::fibers::fiber main_fiber([&] {
        try {
            main_fn();
        } catch (...) {
            error = std::current_exception();
        }
        done = true;
        boost::asio::post(io, [] {});
    });
    algo->loop(done);
    main_fiber.join();
    guard.reset();

    if (error) std::rethrow_exception(error);
}

}  // namespace tts::controller
