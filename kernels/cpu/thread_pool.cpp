// thread_pool: generation-counter handoff; workers spin ~2 ms, then futex-sleep.
//
// run() publishes fn and bumps `generation`; a worker that sees a new generation runs its
// share and decrements `n_pending`; the caller runs share 0 and spins until n_pending is 0.
// While workers spin the handoff is a couple of cache-line transfers (~1 us). A worker that
// has seen no work for k_spin_ns sleeps in atomic::wait on the generation; run() only pays
// the notify syscall when some worker is asleep.
//
// Spinning vs yielding: a worker pause-spins for k_yield_ns of idleness (sched_yield there costs
// ~100 us per region on a loaded host: the scheduler hands the core to another process), then
// yield-spins until k_spin_ns, then sleeps. The caller waiting for stragglers pause-spins for
// k_pause_spins rounds, then yields: a long wait means the worker lacks a core, maybe ours.
#include "kernels/cpu/thread_pool.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "runtime/base/check.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TTS_CPU_RELAX() _mm_pause()
#else
#define TTS_CPU_RELAX() ((void)0)
#endif

namespace tts::kernels::cpu {

namespace {
constexpr int64_t k_yield_ns = 200'000;    // worker idle time before it starts yielding
constexpr int64_t k_spin_ns = 2'000'000;   // worker idle time before it sleeps
constexpr int k_pause_spins = 4000;        // caller: ~50-100 us of pause before it yields

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
}  // namespace

struct thread_pool::state {
    alignas(64) std::atomic<uint64_t> generation{0};
    alignas(64) std::atomic<int> n_pending{0};
    alignas(64) std::atomic<int> n_sleeping{0};
    const std::function<void(int, int)> * fn = nullptr;   // valid while a region runs
    bool stop = false;                                    // written before a generation bump
    std::vector<std::thread> workers;

    void worker_loop(int ith, int nth) {
        uint64_t seen = 0;
        for (;;) {
            uint64_t gen = wait_for_new_generation(seen);
            seen = gen;
            if (stop) return;
            (*fn)(ith, nth);
            n_pending.fetch_sub(1, std::memory_order_acq_rel);
        }
    }

    uint64_t wait_for_new_generation(uint64_t seen) {
        int64_t spin_start = now_ns();
        bool is_yielding = false;
        for (int i = 0;; ++i) {
            uint64_t gen = generation.load(std::memory_order_acquire);
            if (gen != seen) return gen;
            if (!is_yielding) TTS_CPU_RELAX();
            else std::this_thread::yield();
            if ((i & 255) != 255) continue;
            const int64_t idle = now_ns() - spin_start;
            is_yielding = idle > k_yield_ns;
            if (idle > k_spin_ns) {
                n_sleeping.fetch_add(1, std::memory_order_seq_cst);
                generation.wait(seen, std::memory_order_seq_cst);
                n_sleeping.fetch_sub(1, std::memory_order_seq_cst);
                spin_start = now_ns();
                is_yielding = false;
            }
        }
    }

    void publish() {
        generation.fetch_add(1, std::memory_order_seq_cst);
        if (n_sleeping.load(std::memory_order_seq_cst) > 0) generation.notify_all();
    }
};

thread_pool::thread_pool(int n_threads) : n_threads_(n_threads), state_(new state) {
    TTS_CHECK(n_threads >= 1, "thread_pool needs at least one thread, got %d", n_threads);
    for (int i = 1; i < n_threads; ++i) {
        state_->workers.emplace_back([this, i, n_threads] { state_->worker_loop(i, n_threads); });
    }
}

thread_pool::~thread_pool() {
    state_->stop = true;
    state_->publish();
    for (std::thread & t : state_->workers) t.join();
    delete state_;
}

void thread_pool::run(const std::function<void(int ith, int nth)> & fn) {
    if (n_threads_ == 1) {
        fn(0, 1);
        return;
    }
    state_->fn = &fn;
    state_->n_pending.store(n_threads_ - 1, std::memory_order_relaxed);
    state_->publish();
    fn(0, n_threads_);
    for (int i = 0; state_->n_pending.load(std::memory_order_acquire) != 0; ++i) {
        if (i < k_pause_spins) TTS_CPU_RELAX();
        else std::this_thread::yield();
    }
}

}  // namespace tts::kernels::cpu
