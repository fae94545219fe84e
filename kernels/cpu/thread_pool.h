// thread_pool: the CPU backend's fixed set of workers, one parallel region at a time.
//
// run(fn) calls fn(ith, nth) once for every ith in [0, nth): ith 0 on the calling thread,
// the others on the pool's workers, and returns when all calls have returned. Workers
// spin briefly between regions (a decode step runs hundreds of short regions) and then
// sleep. Only one thread may call run() at a time: the engine thread.
#pragma once

#include <functional>

namespace tts::kernels::cpu {

class thread_pool {
public:
    explicit thread_pool(int n_threads);   // n_threads >= 1, counting the caller
    ~thread_pool();
    thread_pool(const thread_pool &) = delete;
    thread_pool & operator=(const thread_pool &) = delete;

    int size() const { return n_threads_; }
    void run(const std::function<void(int ith, int nth)> & fn);

private:
    struct state;
    int n_threads_;
    state * state_;
};

}  // namespace tts::kernels::cpu
