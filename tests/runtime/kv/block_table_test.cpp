#include "runtime/kv/block_table.h"

#include <cstdint>
#include <vector>

#include <doctest/doctest.h>

using namespace tts::kv;

namespace {

const kv_layout k_layout{.n_layers = 3, .n_kv_heads = 2, .head_dim = 4, .block_size = 4};

uint16_t * at(block_pool & p, uint16_t * base, int layer, block_id page, int head, int slot) {
    const kv_layout & l = p.layout();
    return base + size_t(layer) * size_t(p.n_blocks_total()) * l.block_elems() + size_t(page) * l.block_elems() +
           (size_t(head) * l.block_size + size_t(slot)) * l.slot_elems();
}

// Value stored for (layer, head, slot, dim) of a page, distinct for K and V.
uint16_t pattern(int tag, int layer, int head, int slot, int d, bool is_v) {
    return uint16_t(tag * 1000 + layer * 200 + head * 50 + slot * 8 + d + (is_v ? 500 : 0));
}

void fill_page(block_pool & p, block_id page, int tag) {
    const kv_layout & l = p.layout();
    for (int layer = 0; layer < l.n_layers; ++layer)
        for (int head = 0; head < l.n_kv_heads; ++head)
            for (int s = 0; s < l.block_size; ++s)
                for (int d = 0; d < l.head_dim; ++d) {
                    at(p, p.k_data(), layer, page, head, s)[d] = pattern(tag, layer, head, s, d, false);
                    at(p, p.v_data(), layer, page, head, s)[d] = pattern(tag, layer, head, s, d, true);
                }
}

// True when slots [0, n_slots) of page hold tag's pattern.
bool page_has(block_pool & p, block_id page, int tag, int n_slots) {
    const kv_layout & l = p.layout();
    for (int layer = 0; layer < l.n_layers; ++layer)
        for (int head = 0; head < l.n_kv_heads; ++head)
            for (int s = 0; s < n_slots; ++s)
                for (int d = 0; d < l.head_dim; ++d)
                    if (at(p, p.k_data(), layer, page, head, s)[d] != pattern(tag, layer, head, s, d, false) ||
                        at(p, p.v_data(), layer, page, head, s)[d] != pattern(tag, layer, head, s, d, true))
                        return false;
    return true;
}

}  // namespace

TEST_CASE("try_reserve allocates only when crossing a page boundary") {
    block_pool pool(k_layout, 8);
    {
        block_table t(pool);
        CHECK(t.try_reserve(0));
        CHECK(t.empty());
        CHECK(t.try_reserve(1));
        CHECK(t.n_blocks() == 1);
        CHECK(t.try_reserve(3));
        CHECK(t.n_blocks() == 1);
        CHECK(t.n_tokens() == 4);
        CHECK(t.try_reserve(1));
        CHECK(t.n_blocks() == 2);
        CHECK(t.try_reserve(10));   // 15 tokens
        CHECK(t.n_blocks() == 4);
        CHECK(t.n_tokens() == 15);
        CHECK(pool.n_blocks_free() == 4);
    }
    CHECK(pool.n_blocks_free() == 8);   // the destructor released everything
}

TEST_CASE("fork at an exact page multiple shares everything and copies nothing") {
    block_pool pool(k_layout, 8);
    block_table parent(pool);
    REQUIRE(parent.try_reserve(8));
    fill_page(pool, parent.blocks()[0], 1);
    fill_page(pool, parent.blocks()[1], 2);
    block_table child = parent.fork();
    CHECK(child.blocks() == parent.blocks());
    CHECK(child.n_tokens() == 8);
    CHECK(pool.refcount(parent.blocks()[0]) == 2);
    CHECK(pool.n_blocks_used() == 2);
    CHECK(child.n_blocks_to_copy() == 0);

    REQUIRE(child.try_reserve(1));
    CHECK(pool.n_blocks_used() == 3);   // one new page, no copy
    CHECK(child.blocks()[0] == parent.blocks()[0]);
    CHECK(child.blocks()[1] == parent.blocks()[1]);
    CHECK(child.blocks()[2] != parent.blocks()[1]);
    CHECK(page_has(pool, parent.blocks()[1], 2, 4));
    child.release_all();
    parent.release_all();
    CHECK(pool.n_blocks_free() == 8);
}

TEST_CASE("writing into a shared partial page copies it, leaving the source intact") {
    block_pool pool(k_layout, 8);
    block_table parent(pool);
    REQUIRE(parent.try_reserve(6));   // page 0 full, page 1 holds 2 slots
    fill_page(pool, parent.blocks()[0], 1);
    fill_page(pool, parent.blocks()[1], 2);
    block_table child = parent.fork();
    const block_id shared = parent.blocks()[1];
    CHECK(child.n_blocks_to_copy() == 1);

    REQUIRE(child.try_reserve(1));
    CHECK(child.n_tokens() == 7);
    CHECK(child.blocks()[0] == parent.blocks()[0]);   // full page still shared
    CHECK(child.blocks()[1] != shared);
    CHECK(page_has(pool, child.blocks()[1], 2, 2));    // the two written slots were copied
    CHECK(page_has(pool, shared, 2, 4));               // source untouched
    CHECK(pool.refcount(shared) == 1);
    CHECK(pool.refcount(parent.blocks()[0]) == 2);
    CHECK(pool.n_blocks_used() == 3);

    // The parent is now the only holder of its partial page: no copy for it.
    CHECK(parent.n_blocks_to_copy() == 0);
    REQUIRE(parent.try_reserve(2));
    CHECK(parent.blocks()[1] == shared);
    CHECK(pool.n_blocks_used() == 3);
    parent.release_all();
    child.release_all();
    CHECK(pool.n_blocks_free() == 8);
}

TEST_CASE("out of pool: try_reserve fails with nothing changed") {
    block_pool pool(k_layout, 3);
    block_table a(pool);
    REQUIRE(a.try_reserve(6));   // 2 pages, last partial
    block_table b = a.fork();
    CHECK_FALSE(b.try_reserve(7));   // would need COW + 2 new pages = 3 > 1 free
    CHECK(b.n_tokens() == 6);
    CHECK(b.blocks() == a.blocks());
    CHECK(pool.n_blocks_free() == 1);
    CHECK(pool.refcount(a.blocks()[1]) == 2);

    REQUIRE(b.try_reserve(2));   // COW only, fits in the last free page
    CHECK(pool.n_blocks_free() == 0);
    CHECK_FALSE(a.try_reserve(3));   // a's page is private now but it needs a new one
    CHECK(a.n_tokens() == 6);
    CHECK(a.try_reserve(2));         // fills its private partial page, no allocation
    a.release_all();
    b.release_all();
    CHECK(pool.n_blocks_free() == 3);
}

TEST_CASE("fork tree cancelled mid-way leaks nothing") {
    block_pool pool(k_layout, 64);
    const int32_t start = pool.n_blocks_free();
    {
        block_table root(pool);
        REQUIRE(root.try_reserve(10));
        std::vector<block_table> kids;
        for (int i = 0; i < 4; ++i) kids.push_back(root.fork());
        for (int i = 0; i < 4; ++i) REQUIRE(kids[size_t(i)].try_reserve(i * 3 + 1));
        std::vector<block_table> grandkids;
        for (auto & k : kids) grandkids.push_back(k.fork());
        kids[1].release_all();   // cancel in the middle
        root.release_all();
        for (auto & g : grandkids) REQUIRE(g.try_reserve(5));
        kids.erase(kids.begin());   // moved-from / destroyed tables release what they still hold
        CHECK(pool.n_blocks_used() > 0);
    }
    CHECK(pool.n_blocks_free() == start);
}

TEST_CASE("move transfers the references") {
    block_pool pool(k_layout, 4);
    block_table a(pool);
    REQUIRE(a.try_reserve(5));
    block_table b(std::move(a));
    CHECK(a.empty());
    CHECK(b.n_tokens() == 5);
    block_table c(pool);
    REQUIRE(c.try_reserve(1));
    c = std::move(b);   // c's old page is released
    CHECK(pool.n_blocks_used() == 2);
    c.release_all();
    CHECK(pool.n_blocks_free() == 4);
}
