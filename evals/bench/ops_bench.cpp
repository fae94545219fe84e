// ops_bench: times the forward pass's non-matmul ops and the sampler at the shapes of real
// models, so a change to one of them can be measured alone (wall time here; instruction
// counts by running it under `valgrind --tool=callgrind --toggle-collect='*bench_body*'`).
//
//   build/evals/bench/ops_bench --shape qwen05 --op decode --k 8 --ctx 320
//
// Shapes: smollm2 (9 heads / 3 kv, head_dim 64, n_ff 1536, vocab 49152), qwen05 (14 / 2, 64,
// 4864, 151936), qwen15 (12 / 2, 128, 8960, 151936). Ops (one call = one layer, or one token):
//   decode   attention of K threads forked from a 256-token prompt, each --ctx tokens deep
//   prefill  attention of the 256-token prompt, causal
//   silu     the SwiGLU gate over K x n_ff
//   greedy   argmax + log-prob/entropy of one row of logits
//   topp     temperature 0.7, top-p 0.95, 20 top log-probs (the sweeps' settings)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/fp16.h"
#include "kernels/cpu/ops.h"
#include "runtime/engine/sampler.h"

namespace {

namespace cpu = tts::kernels::cpu;

struct shape {
    int32_t n_heads, n_kv_heads, head_dim, n_ff, n_vocab;
};

shape shape_of(const std::string & name) {
    if (name == "smollm2") return {9, 3, 64, 1536, 49152};
    if (name == "qwen15") return {12, 2, 128, 8960, 151936};
    return {14, 2, 64, 4864, 151936};
}

// K sequences sharing the first n_prompt / block_size pages, each n_ctx tokens long.
struct paged_kv {
    std::vector<uint16_t> k, v;
    std::vector<int32_t> indptr{0}, indices, lens;
    tts::kv::kv_view view;

    paged_kv(const shape & s, int32_t k_seqs, int32_t n_prompt, int32_t n_ctx, std::mt19937 & rng) {
        const int32_t bs = 16, shared = n_prompt / bs, per_seq = (n_ctx + bs - 1) / bs;
        int32_t next = shared;
        for (int32_t q = 0; q < k_seqs; ++q) {
            for (int32_t p = 0; p < per_seq; ++p) indices.push_back(p < shared ? p : next++);
            indptr.push_back(int32_t(indices.size()));
            lens.push_back(n_ctx);
        }
        view.n_layers = 1;
        view.n_kv_heads = s.n_kv_heads;
        view.head_dim = s.head_dim;
        view.block_size = bs;
        view.n_blocks = next;
        k.resize(view.layer_elems());
        v.resize(k.size());
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        for (auto & h : k) h = cpu::f32_to_f16(u(rng));
        for (auto & h : v) h = cpu::f32_to_f16(u(rng));
        view.k = k.data();
        view.v = v.data();
        view.n_seqs = k_seqs;
        view.page_indptr = indptr.data();
        view.page_indices = indices.data();
        view.seq_len = lens.data();
    }
};

// Logits like a language model's: a broad normal body and a few strong candidates.
std::vector<float> model_like_logits(int32_t n, std::mt19937 & rng) {
    std::normal_distribution<float> body(0.0f, 2.0f);
    std::vector<float> l(static_cast<size_t>(n));
    for (float & x : l) x = body(rng);
    for (int i = 0; i < 8; ++i) l[size_t(rng() % uint32_t(n))] = 14.0f + float(i);
    return l;
}

__attribute__((noinline)) void bench_body(const std::function<void()> & f) {
    f();
}

}  // namespace

int main(int argc, char ** argv) {
    std::string shape_name = "qwen05", op = "decode";
    int32_t k = 8, ctx = 320, threads = 2, reps = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], b = argv[i + 1];
        if (a == "--shape")
            shape_name = b;
        else if (a == "--op")
            op = b;
        else if (a == "--k")
            k = std::stoi(b);
        else if (a == "--ctx")
            ctx = std::stoi(b);
        else if (a == "--threads")
            threads = std::stoi(b);
        else if (a == "--reps")
            reps = std::stoi(b);
        else {
            std::fprintf(stderr, "ops_bench: unknown option %s (see the header of evals/bench/ops_bench.cpp)\n",
                         a.c_str());
            return 2;
        }
    }
    const shape s = shape_of(shape_name);
    std::mt19937 rng(1);
    cpu::thread_pool pool(threads);
    const int32_t n_prompt = 256;
    std::function<void()> body;

    const bool is_prefill = op == "prefill";
    paged_kv kv(s, is_prefill ? 1 : k, n_prompt, is_prefill ? n_prompt : ctx, rng);
    std::vector<int32_t> seq, pos;
    if (is_prefill) {
        for (int32_t p = 0; p < n_prompt; ++p) seq.push_back(0), pos.push_back(p);
    } else {
        for (int32_t q = 0; q < k; ++q) seq.push_back(q), pos.push_back(ctx - 1);
    }
    std::vector<float> q(seq.size() * size_t(s.n_heads) * s.head_dim), out(q.size());
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (float & x : q) x = u(rng);
    std::vector<float> gate(size_t(k) * s.n_ff), up(gate.size());
    for (float & x : gate) x = 4 * u(rng);
    for (float & x : up) x = u(rng);
    const std::vector<float> logits = model_like_logits(s.n_vocab, rng);
    tts::engine::sampler greedy({0.0f, 0, 1.0f, 0.0f, 0}, 7), topp({0.7f, 0, 0.95f, 0.0f, 20}, 7);
    tts::engine::token_signals sig;

    if (op == "decode" || op == "prefill") {
        body = [&] {
            cpu::paged_attention(pool, q.data(), kv.view, 0, s.n_heads, seq.data(), pos.data(), int64_t(seq.size()),
                                 0.125f, out.data());
        };
    } else if (op == "silu") {
        body = [&] { cpu::silu_mul(gate.data(), up.data(), gate.data(), int64_t(gate.size())); };
    } else if (op == "greedy") {
        body = [&] { greedy.sample(logits.data(), s.n_vocab, &sig); };
    } else if (op == "topp") {
        body = [&] { topp.sample(logits.data(), s.n_vocab, &sig); };
    } else {
        std::fprintf(stderr, "ops_bench: unknown --op %s\n", op.c_str());
        return 2;
    }
    std::vector<double> us;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        bench_body(body);
        us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(us.begin(), us.end());
    std::printf("%s %s k=%d ctx=%d threads=%d: median %.1f us, best %.1f us (%d reps)\n", shape_name.c_str(),
                op.c_str(), k, ctx, threads, us[us.size() / 2], us.front(), reps);
    return 0;
}
