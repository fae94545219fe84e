// paged_attention: causal GQA decode/prefill attention over each token's own pages, reading
// every page shared by several tokens of the batch once.
//
// Tokens are ordered so that those reading the same pages are adjacent (by their sequence's
// page list, then position): the K threads forked from one prompt, or the tokens of one
// prefill chunk. Work units are (run of adjacent tokens, kv head, range of that head's query
// heads). A unit walks page levels 0, 1, 2, ...: at each level it widens each distinct page
// once and folds it into the state of every token of the unit that reads it (attn_tile_ops).
// So a token's state sees its own pages in logical order through the same per-page arithmetic
// as if it were alone: its bits never depend on the rest of the batch, the unit it fell in,
// or the thread count. Units are handed out dynamically, costliest first.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "kernels/cpu/attention_partial.h"
#include "kernels/cpu/ops.h"
#include "runtime/base/check.h"

namespace tts::kernels::cpu {

namespace {

struct work_unit {
    int32_t t0, t1;   // tokens order[t0, t1)
    int32_t kvh;
    int32_t h0, h1;   // query heads kvh * group + [h0, h1)
    int64_t cost;     // heads x pages read, for ordering
};

int32_t n_pages_of(const kv::kv_view & kv, int32_t pos) { return pos / kv.block_size + 1; }

// Token indices, tokens that share pages adjacent: sequences compare by their page lists
// (lexicographically, so every prefix's readers form one run), then index; tokens of one
// sequence by position.
std::vector<int32_t> order_tokens(const kv::kv_view & kv, const int32_t * seq, const int32_t * pos, int64_t n) {
    std::vector<int32_t> order(static_cast<size_t>(n));
    for (int32_t i = 0; i < int32_t(n); ++i) order[size_t(i)] = i;
    auto before = [&](int32_t a, int32_t b) {
        const int32_t sa = seq[a], sb = seq[b];
        if (sa == sb) return pos[a] < pos[b] || (pos[a] == pos[b] && a < b);
        const int32_t * pa = kv.page_indices + kv.page_indptr[sa];
        const int32_t * pb = kv.page_indices + kv.page_indptr[sb];
        const int32_t na = kv.page_indptr[sa + 1] - kv.page_indptr[sa], nb = kv.page_indptr[sb + 1] - kv.page_indptr[sb];
        for (int32_t i = 0; i < std::min(na, nb); ++i)
            if (pa[i] != pb[i]) return pa[i] < pb[i];
        return na != nb ? na < nb : sa < sb;
    };
    std::sort(order.begin(), order.end(), before);
    return order;
}

// Cuts the ordered tokens into runs of at most max_run sharing a first page.
std::vector<std::pair<int32_t, int32_t>> cut_runs(const kv::kv_view & kv, const std::vector<int32_t> & order,
                                                  const int32_t * seq, int32_t max_run) {
    std::vector<std::pair<int32_t, int32_t>> runs;
    const int32_t n = int32_t(order.size());
    for (int32_t t0 = 0; t0 < n;) {
        const int32_t first_page = kv.page_indices[kv.page_indptr[seq[order[size_t(t0)]]]];
        int32_t t1 = t0 + 1;
        while (t1 < n && t1 - t0 < max_run && kv.page_indices[kv.page_indptr[seq[order[size_t(t1)]]]] == first_page) ++t1;
        runs.emplace_back(t0, t1);
        t0 = t1;
    }
    return runs;
}

// Enough units for the pool to balance (>= 2 per thread where the batch allows it): shorter
// runs first, then the query heads of a kv head split.
std::vector<work_unit> plan_units(const kv::kv_view & kv, const std::vector<int32_t> & order, const int32_t * seq,
                                  const int32_t * pos, int32_t group, int nth) {
    const int32_t target = 2 * nth;
    // A unit's state is run x heads x (head_dim + 2) floats: keep it near 64 KiB.
    int32_t max_run = std::clamp(16384 / (group * (kv.head_dim + 2)), 1, 32);
    auto runs = cut_runs(kv, order, seq, max_run);
    while (int32_t(runs.size()) * kv.n_kv_heads < target && max_run > 1) {
        max_run = (max_run + 1) / 2;
        runs = cut_runs(kv, order, seq, max_run);
    }
    const int32_t n_units = int32_t(runs.size()) * kv.n_kv_heads;
    const int32_t head_splits = n_units >= target ? 1 : std::min(group, (target + n_units - 1) / n_units);
    std::vector<work_unit> units;
    for (auto [t0, t1] : runs) {
        int64_t pages = 0;
        for (int32_t i = t0; i < t1; ++i) pages += n_pages_of(kv, pos[order[size_t(i)]]);
        for (int32_t kvh = 0; kvh < kv.n_kv_heads; ++kvh) {
            for (int32_t s = 0; s < head_splits; ++s) {
                const int32_t h0 = group * s / head_splits, h1 = group * (s + 1) / head_splits;
                units.push_back({t0, t1, kvh, h0, h1, pages * (h1 - h0)});
            }
        }
    }
    std::stable_sort(units.begin(), units.end(), [](const work_unit & a, const work_unit & b) { return a.cost > b.cost; });
    return units;
}

struct unit_args {
    const attn_tile_ops * ops;
    const float * q;
    const kv::kv_view * kv;
    int32_t layer;
    int64_t n_heads;
    int32_t group;
    const int32_t * seq;
    const int32_t * pos;
    const int32_t * order;
    float scale;
    float * out;
};

void run_unit(const unit_args & a, const work_unit & u, std::vector<float> & buf) {
    const kv::kv_view & kv = *a.kv;
    const int32_t d = kv.head_dim, bs = kv.block_size, n_t = u.t1 - u.t0, n_h = u.h1 - u.h0;
    const int32_t head0 = u.kvh * a.group + u.h0;
    const size_t n_state = size_t(n_t) * n_h;
    buf.resize(2 * n_state + n_state * d + 2 * size_t(bs) * d + size_t(n_h) * (bs + 1));
    float * m = buf.data();                       // [n_t, n_h]
    float * l = m + n_state;                      // [n_t, n_h]
    float * acc = l + n_state;                    // [n_t, n_h, head_dim]
    float * kt = acc + n_state * d;               // [head_dim, block_size]
    float * vf = kt + size_t(bs) * d;             // [block_size, head_dim]
    float * tile_scratch = vf + size_t(bs) * d;   // [n_h, block_size + 1]
    std::fill(m, m + n_state, -INFINITY);
    std::fill(l, l + n_state, 0.0f);
    std::fill(acc, acc + n_state * d, 0.0f);
    int32_t n_levels = 0;
    for (int32_t i = u.t0; i < u.t1; ++i) n_levels = std::max(n_levels, n_pages_of(kv, a.pos[a.order[i]]));
    for (int32_t lvl = 0; lvl < n_levels; ++lvl) {
        int32_t widened = -1;
        for (int32_t i = 0; i < n_t; ++i) {
            const int32_t t = a.order[u.t0 + i], p = a.pos[t];
            if (n_pages_of(kv, p) <= lvl) continue;
            const int32_t page = kv.page_indices[kv.page_indptr[a.seq[t]] + lvl];
            if (page != widened) {
                const size_t off = kv.offset(a.layer, page, u.kvh, 0);
                a.ops->widen(kv.k + off, kv.v + off, bs, d, kt, vf);
                widened = page;
            }
            const int32_t n = std::min(bs, p + 1 - lvl * bs);
            const size_t si = size_t(i) * n_h;
            a.ops->attend(a.q + (t * a.n_heads + head0) * d, n_h, kt, vf, bs, d, n, a.scale, m + si, l + si,
                          acc + si * d, tile_scratch);
        }
    }
    for (int32_t i = 0; i < n_t; ++i) {
        const size_t si = size_t(i) * n_h;
        const attn_partial st{n_h, d, m + si, l + si, acc + si * d};
        finish(st, a.out + (a.order[u.t0 + i] * a.n_heads + head0) * d);
    }
}

}  // namespace

void paged_attention(thread_pool & pool, const float * q, const kv::kv_view & kv, int32_t layer, int64_t n_heads,
                     const int32_t * tok_seq, const int32_t * tok_pos, int64_t n_tok, float scale, float * out) {
    TTS_CHECK(kv.n_kv_heads > 0 && n_heads % kv.n_kv_heads == 0, "paged_attention: %lld heads over %d kv heads",
              (long long)n_heads, kv.n_kv_heads);
    TTS_CHECK(layer >= 0 && layer < kv.n_layers, "paged_attention: layer %d of %d", layer, kv.n_layers);
    for (int64_t t = 0; t < n_tok; ++t) {
        const int32_t s = tok_seq[t];
        TTS_CHECK(s >= 0 && s < kv.n_seqs, "paged_attention: sequence %d of %d", s, kv.n_seqs);
        TTS_CHECK(tok_pos[t] >= 0 && tok_pos[t] < kv.seq_len[s] &&
                      tok_pos[t] / kv.block_size < kv.page_indptr[s + 1] - kv.page_indptr[s],
                  "paged_attention: position %d outside sequence %d (len %d)", tok_pos[t], s, kv.seq_len[s]);
    }
    if (n_tok == 0) return;
    const int32_t group = int32_t(n_heads / kv.n_kv_heads);
    const std::vector<int32_t> order = order_tokens(kv, tok_seq, tok_pos, n_tok);
    const std::vector<work_unit> units = plan_units(kv, order, tok_seq, tok_pos, group, pool.size());
    const unit_args args{&attn_tile_ops_for(simd_level_active(), kv.block_size, kv.head_dim),
                         q, &kv, layer, n_heads, group, tok_seq, tok_pos, order.data(), scale, out};
    std::atomic<size_t> next{0};
    pool.run([&](int, int) {
        static thread_local std::vector<float> buf;   // pool threads are long-lived: reuse
        for (size_t u; (u = next.fetch_add(1, std::memory_order_relaxed)) < units.size();) run_unit(args, units[u], buf);
    });
}

}  // namespace tts::kernels::cpu
