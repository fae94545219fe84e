#include "runtime/kv/block_pool.h"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdint>
#include <vector>

#include <doctest/doctest.h>

using namespace tts::kv;

namespace {

const kv_layout k_layout{.n_layers = 2, .n_kv_heads = 2, .head_dim = 4, .block_size = 4};

size_t offset(const block_pool & p, int layer, block_id page, int head, int slot) {
    const kv_layout & l = p.layout();
    return size_t(layer) * size_t(p.n_blocks_total()) * l.block_elems() + size_t(page) * l.block_elems() +
           (size_t(head) * l.block_size + size_t(slot)) * l.slot_elems();
}

// Writes value (K) and value + 1 (V) into every element of one slot, all layers and heads.
void fill_slot(block_pool & p, block_id page, int slot, uint16_t value) {
    for (int layer = 0; layer < p.layout().n_layers; ++layer)
        for (int head = 0; head < p.layout().n_kv_heads; ++head)
            for (int d = 0; d < p.layout().head_dim; ++d) {
                p.k_data()[offset(p, layer, page, head, slot) + d] = value;
                p.v_data()[offset(p, layer, page, head, slot) + d] = uint16_t(value + 1);
            }
}

bool slot_is(block_pool & p, block_id page, int slot, uint16_t value) {
    for (int layer = 0; layer < p.layout().n_layers; ++layer)
        for (int head = 0; head < p.layout().n_kv_heads; ++head)
            for (int d = 0; d < p.layout().head_dim; ++d)
                if (p.k_data()[offset(p, layer, page, head, slot) + d] != value ||
                    p.v_data()[offset(p, layer, page, head, slot) + d] != uint16_t(value + 1))
                    return false;
    return true;
}

struct fake_evictor : block_evictor {
    block_pool * pool = nullptr;
    std::vector<block_id> cached;
    int32_t n_calls = 0;
    int32_t n_evictable() const override { return int32_t(cached.size()); }
    int32_t evict_lru(int32_t n) override {
        ++n_calls;
        int32_t done = 0;
        while (done < n && !cached.empty()) {
            pool->release(cached.front());
            cached.erase(cached.begin());
            ++done;
        }
        return done;
    }
};

}  // namespace

TEST_CASE("layout byte arithmetic") {
    CHECK(k_layout.block_elems() == 2 * 4 * 4);
    CHECK(k_layout.bytes_per_block() == 2 * 2 * 32 * 2);   // K+V, 2 layers, 32 elems, f16
    CHECK(k_layout.bytes_for_blocks(3) == 3 * k_layout.bytes_per_block());
    CHECK(k_layout.blocks_for_tokens(0) == 0);
    CHECK(k_layout.blocks_for_tokens(4) == 1);
    CHECK(k_layout.blocks_for_tokens(5) == 2);
}

TEST_CASE("allocate until empty, release returns pages, accounting follows") {
    block_pool pool(k_layout, 4);
    CHECK(pool.n_blocks_free() == 4);
    CHECK(pool.bytes_total() == 4 * k_layout.bytes_per_block());
    CHECK(reinterpret_cast<uintptr_t>(pool.k_data()) % 64 == 0);
    CHECK(reinterpret_cast<uintptr_t>(pool.v_data()) % 64 == 0);
    std::vector<block_id> got;
    for (int i = 0; i < 4; ++i) {
        auto id = pool.try_allocate();
        REQUIRE(id);
        CHECK(pool.refcount(*id) == 1);
        got.push_back(*id);
    }
    CHECK(got == std::vector<block_id>{0, 1, 2, 3});
    CHECK_FALSE(pool.try_allocate());
    CHECK(pool.n_blocks_used() == 4);
    CHECK(pool.bytes_used() == 4 * k_layout.bytes_per_block());

    pool.retain(got[1]);
    pool.release(got[1]);
    CHECK(pool.refcount(got[1]) == 1);
    CHECK(pool.n_blocks_free() == 0);
    for (block_id id : got) pool.release(id);
    CHECK(pool.n_blocks_free() == 4);
    CHECK(pool.bytes_used() == 0);
    CHECK(pool.n_blocks_used_peak() == 4);
    CHECK(pool.bytes_used_peak() == 4 * k_layout.bytes_per_block());
}

TEST_CASE("construct from a byte budget") {
    block_pool pool = block_pool::from_byte_budget(k_layout, 5 * k_layout.bytes_per_block() + 7);
    CHECK(pool.n_blocks_total() == 5);
    block_pool none = block_pool::from_byte_budget(k_layout, 1);
    CHECK(none.n_blocks_total() == 0);
    CHECK_FALSE(none.try_allocate());
}

TEST_CASE("copy_block copies the first n slots of every layer and head, source intact") {
    block_pool pool(k_layout, 2);
    block_id src = *pool.try_allocate(), dst = *pool.try_allocate();
    for (int s = 0; s < 4; ++s) fill_slot(pool, src, s, uint16_t(10 + s));
    for (int s = 0; s < 4; ++s) fill_slot(pool, dst, s, 99);
    pool.copy_block(src, dst, 3);
    for (int s = 0; s < 3; ++s) CHECK(slot_is(pool, dst, s, uint16_t(10 + s)));
    CHECK(slot_is(pool, dst, 3, 99));
    for (int s = 0; s < 4; ++s) CHECK(slot_is(pool, src, s, uint16_t(10 + s)));
    pool.release(src);
    pool.release(dst);
}

TEST_CASE("an empty free list asks the evictor") {
    block_pool pool(k_layout, 2);
    fake_evictor ev;
    ev.pool = &pool;
    pool.set_evictor(&ev);
    block_id a = *pool.try_allocate(), b = *pool.try_allocate();
    ev.cached = {a};
    CHECK(pool.n_blocks_available() == 1);
    auto c = pool.try_allocate();
    REQUIRE(c);
    CHECK(*c == a);
    CHECK(ev.n_calls == 1);
    CHECK_FALSE(pool.try_allocate());   // nothing left to evict
    pool.release(*c);
    pool.release(b);
    pool.set_evictor(nullptr);
    CHECK(pool.n_blocks_free() == 2);
}

TEST_CASE("refcount underflow is a TTS_CHECK") {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        std::freopen("/dev/null", "w", stderr);
        block_pool pool(k_layout, 1);
        block_id id = *pool.try_allocate();
        pool.release(id);
        pool.release(id);   // underflow: aborts
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
}

namespace {

// Host memory underneath, but records what the pool asks of its storage.
struct recording_storage final : kv_storage {
    int n_allocs = 0, n_frees = 0, n_copies = 0;
    size_t last_run = 0, last_runs = 0, last_pitch = 0;
    uint16_t * allocate(size_t n) override {
        ++n_allocs;
        return host_kv_storage().allocate(n);
    }
    void deallocate(uint16_t * p) override {
        ++n_frees;
        host_kv_storage().deallocate(p);
    }
    void copy_runs(uint16_t * dst, const uint16_t * src, size_t run, size_t n_runs, size_t pitch) override {
        ++n_copies;
        last_run = run, last_runs = n_runs, last_pitch = pitch;
        host_kv_storage().copy_runs(dst, src, run, n_runs, pitch);
    }
    bool is_host() const override { return true; }
};

}  // namespace

TEST_CASE("a pool takes its K/V arrays and copy-on-write copies from its kv_storage") {
    // A backend keeping K/V in device memory relies on this: if the pool allocated or copied
    // behind the storage's back, device pages would miss the copy a fork's first write needs.
    recording_storage st;
    {
        block_pool pool(k_layout, 2, st);
        CHECK(st.n_allocs == 2);   // K and V
        CHECK(&pool.storage() == &st);
        block_id src = *pool.try_allocate(), dst = *pool.try_allocate();
        for (int s = 0; s < 4; ++s) fill_slot(pool, src, s, uint16_t(20 + s));
        pool.copy_block(src, dst, 3);
        CHECK(st.n_copies == 2 * k_layout.n_layers);   // one strided copy per (K|V, layer)
        CHECK(st.last_run == 3 * k_layout.head_dim * 2);
        CHECK(st.last_runs == size_t(k_layout.n_kv_heads));
        CHECK(st.last_pitch == size_t(k_layout.block_size) * k_layout.head_dim * 2);
        for (int s = 0; s < 3; ++s) CHECK(slot_is(pool, dst, s, uint16_t(20 + s)));
        pool.copy_block(src, dst, 0);   // nothing to copy: no call
        CHECK(st.n_copies == 2 * k_layout.n_layers);
        pool.release(src);
        pool.release(dst);
    }
    CHECK(st.n_frees == 2);
}
