// thread_pool_test: every share runs exactly once per region, across spin and sleep phases.
#include "kernels/cpu/thread_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using tts::kernels::cpu::thread_pool;

TEST_CASE("run calls fn once per ith and waits for all") {
    for (int n : {1, 2, 3, 4}) {
        thread_pool pool(n);
        CHECK(pool.size() == n);
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        for (int region = 0; region < 500; ++region) {
            pool.run([&](int ith, int nth) {
                CHECK(nth == n);
                hits[size_t(ith)].fetch_add(1);
            });
        }
        for (auto & h : hits) CHECK(h.load() == 500);
    }
}

TEST_CASE("workers wake up after sleeping") {
    thread_pool pool(2);
    std::atomic<int> sum{0};
    for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));   // longer than the spin window
        pool.run([&](int ith, int) { sum.fetch_add(ith + 1); });
    }
    CHECK(sum.load() == 3 * 3);
}

TEST_CASE("results written by workers are visible after run returns") {
    thread_pool pool(2);
    std::vector<int> out(1000);
    for (int round = 0; round < 100; ++round) {
        pool.run([&](int ith, int nth) {
            for (size_t i = size_t(ith); i < out.size(); i += size_t(nth)) out[i] = round;
        });
        for (int v : out) REQUIRE(v == round);
    }
}
