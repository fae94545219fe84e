// The CUDA backend against the CPU backend on the real default model (label cuda; skipped
// without a GPU): logits, greedy decoding, batch invariance, device copy-on-write at forks,
// and no device memory or KV page left behind.
//
// The two backends differ legitimately: the CPU quantises activations to int8 blocks for its
// integer dot products, the CUDA kernels keep them in f32. So CPU-vs-CUDA checks use the
// criteria tests/reference uses against llama.cpp (logit differences bounded, teacher-forced
// argmax agreement with disagreements only at near-ties). The tight check is against an f32
// forward pass built from kernels/ref's naive ops (what the CUDA backend computes, up to f32
// summation order). Checks within the CUDA backend (batch invariance, prefill == step-by-step
// decode, fork) are bit-exact.
#include "runtime/model/cuda/cuda_forward.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "kernels/cuda/device.h"
#include "kernels/ref/reference.h"
#include "runtime/engine/engine.h"
#include "runtime/kv/kv_cache.h"

using namespace tts;
using engine::seq_id;

namespace {

const char * k_model = TTS_SOURCE_DIR "/models/SmolLM2-135M-Instruct.Q4_1.gguf";

// CPU vs CUDA. Measured on this model (prompt() + 32 CPU-greedy tokens, 50 positions, one
// run; the CPU backend against the kernels/ref f32 forward below, which the CUDA backend
// tracks): max |dlogit| 1.61, mean 0.239, argmax agreement 48/50, worst near-tie 0.21. Limits
// with the 1.5x headroom tests/reference uses against llama.cpp, and its near-tie rule.
constexpr double k_max_logit_diff = 2.5;
constexpr double k_mean_logit_diff = 0.36;
constexpr double k_near_tie = 1.0;
constexpr double k_min_argmax_agreement = 0.9;
// CUDA vs the kernels/ref f32 forward: only summation order and libdevice vs glibc exp/cos
// differ. Measured on the host with every matmul replaced by the exact replay of the CUDA
// tiled kernel (math::lane_dot + butterfly_sum32), same 50 positions: max 0.0125, mean
// 0.00137 (logits up to 37). Limits leave ~6x for the f32 attention / norms on the device.
// A real kernel bug (a wrong page, scale or sub-block) moves logits by whole units.
constexpr double k_max_ref_diff = 0.08;
constexpr double k_mean_ref_diff = 0.008;

std::unique_ptr<model::decoder> load(model::device_kind d) {
    REQUIRE_MESSAGE(std::filesystem::exists(k_model), "default model missing at " << k_model << " (make model)");
    auto r = model::decoder::load(k_model, 2, d);
    REQUIRE_MESSAGE(r.is_ok(), (r.is_ok() ? "" : r.error().message()));
    return std::move(r).value();
}
model::decoder & cpu() {
    static std::unique_ptr<model::decoder> d = load(model::device_kind::cpu);
    return *d;
}
// The default (tiled, batch-invariant) CUDA path, whatever the caller's environment says.
model::decoder & gpu() {
    static std::unique_ptr<model::decoder> d = [] {
        ::unsetenv("TTS_CUDA_GEMM");
        return load(model::device_kind::cuda);
    }();
    return *d;
}

std::vector<int32_t> prompt() {
    return cpu().vocab().encode("<|im_start|>user\nWhat is the capital of France? Explain briefly.<|im_end|>\n<|im_start|>assistant\n", true);
}

// Feeds all tokens through a fresh cache on d's storage in one batch; logits of every row
// from first_logit on, [n - first_logit, n_vocab].
std::vector<float> forced_logits(model::decoder & d, const std::vector<int32_t> & toks, size_t first_logit) {
    const auto & c = d.config();
    kv::kv_layout layout{c.n_layers, c.n_kv_heads, c.head_dim, 16};
    kv::kv_cache cache(layout, int32_t(layout.blocks_for_tokens(int64_t(toks.size()))), d.kv_storage());
    cache.add_sequence(0);
    const kv::seq_id ids[] = {0};
    model::batch b;
    for (size_t i = 0; i < toks.size(); ++i) b.add(toks[i], int32_t(i), 0, i >= first_logit);
    REQUIRE(cache.try_reserve(0, b.size()));
    std::vector<float> logits(b.logits_rows.size() * size_t(c.n_vocab));
    d.forward(b, cache.view(ids), logits.data());
    cache.free(0);
    return logits;
}

int32_t argmax(const float * row, int32_t n) { return int32_t(std::max_element(row, row + n) - row); }

// The forward pass of decoder.cpp with kernels/ref's naive ops (double sums, f32 activations,
// f16 K/V in a host cache): the oracle for the CUDA backend. Logits of every row.
std::vector<float> ref_logits(const std::vector<int32_t> & toks) {
    namespace ref = kernels::ref;
    const auto & c = cpu().config();
    auto file = model::gguf_file::open(k_model);
    REQUIRE(file.is_ok());
    auto wr = model::weights::load(file.value(), c);
    REQUIRE(wr.is_ok());
    const model::weights & w = wr.value();
    const int64_t n = int64_t(toks.size()), e = c.n_embd, hd = c.head_dim;
    const int64_t qd = int64_t(c.n_heads) * hd, kd = int64_t(c.n_kv_heads) * hd;
    kv::kv_layout layout{c.n_layers, c.n_kv_heads, c.head_dim, 16};
    kv::kv_cache cache(layout, int32_t(layout.blocks_for_tokens(n)));
    cache.add_sequence(0);
    REQUIRE(cache.try_reserve(0, int32_t(n)));
    const kv::seq_id ids[] = {0};
    const kv::kv_view & kv = cache.view(ids);
    std::vector<int32_t> pos(static_cast<size_t>(n)), seq(static_cast<size_t>(n), 0);
    for (int64_t i = 0; i < n; ++i) pos[size_t(i)] = int32_t(i);
    std::vector<float> x(size_t(n * e)), h(x.size()), out(x.size()), q(size_t(n * qd)), att(q.size());
    std::vector<float> k(size_t(n * kd)), v(k.size()), gate(size_t(n * c.n_ff)), up(gate.size());
    auto add = [](std::vector<float> & a, const float * b, int64_t rows, int64_t dim, bool broadcast) {
        for (int64_t i = 0; i < rows * dim; ++i) a[size_t(i)] += b[broadcast ? i % dim : i];
    };
    ref::embed_rows(w.token_embd, toks.data(), n, x.data());
    for (int32_t il = 0; il < c.n_layers; ++il) {
        const model::layer_weights & l = w.layers[size_t(il)];
        ref::rmsnorm(x.data(), l.attn_norm, h.data(), n, e, c.rms_eps);
        ref::matmul(l.wq, h.data(), n, q.data());
        ref::matmul(l.wk, h.data(), n, k.data());
        ref::matmul(l.wv, h.data(), n, v.data());
        if (l.bq) add(q, l.bq, n, qd, true), add(k, l.bk, n, kd, true), add(v, l.bv, n, kd, true);
        if (c.has_qk_norm) {
            ref::rmsnorm(q.data(), l.q_norm, q.data(), n * c.n_heads, hd, c.rms_eps);
            ref::rmsnorm(k.data(), l.k_norm, k.data(), n * c.n_kv_heads, hd, c.rms_eps);
        }
        ref::rope(q.data(), n, c.n_heads, hd, pos.data(), c.rope_freq_base, c.rope);
        ref::rope(k.data(), n, c.n_kv_heads, hd, pos.data(), c.rope_freq_base, c.rope);
        ref::kv_append(kv, il, k.data(), v.data(), seq.data(), pos.data(), n);
        ref::paged_attention(q.data(), kv, il, c.n_heads, seq.data(), pos.data(), n, 1.0f / std::sqrt(float(hd)), att.data());
        ref::matmul(l.wo, att.data(), n, out.data());
        add(x, out.data(), n, e, false);
        ref::rmsnorm(x.data(), l.ffn_norm, h.data(), n, e, c.rms_eps);
        ref::matmul(l.w_gate, h.data(), n, gate.data());
        ref::matmul(l.w_up, h.data(), n, up.data());
        ref::silu_mul(gate.data(), up.data(), gate.data(), n * c.n_ff);
        ref::matmul(l.w_down, gate.data(), n, out.data());
        add(x, out.data(), n, e, false);
    }
    ref::rmsnorm(x.data(), w.output_norm, h.data(), n, e, c.rms_eps);
    std::vector<float> logits(size_t(n) * size_t(c.n_vocab));
    ref::matmul(w.output, h.data(), n, logits.data());
    cache.free(0);
    return logits;
}

// max and mean |a - b|.
std::pair<double, double> diff(const std::vector<float> & a, const std::vector<float> & b) {
    REQUIRE(a.size() == b.size());
    double mx = 0, sum = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        const double d = std::fabs(double(a[i]) - double(b[i]));
        mx = std::max(mx, d);
        sum += d;
    }
    return {mx, sum / double(a.size())};
}

// Greedy continuation on the CPU, one token per forward.
std::vector<int32_t> cpu_greedy(const std::vector<int32_t> & p, int n) {
    std::vector<int32_t> toks = p, out;
    for (int i = 0; i < n; ++i) {
        const std::vector<float> l = forced_logits(cpu(), toks, toks.size() - 1);
        out.push_back(argmax(l.data(), cpu().config().n_vocab));
        toks.push_back(out.back());
    }
    return out;
}

// Along `cont` after p, how often d's argmax is cont's token; fails where it is not and the
// token is further than k_near_tie below d's top logit.
double teacher_forced_agreement(model::decoder & d, const std::vector<int32_t> & p, const std::vector<int32_t> & cont) {
    std::vector<int32_t> toks = p;
    toks.insert(toks.end(), cont.begin(), cont.end() - 1);
    const std::vector<float> l = forced_logits(d, toks, p.size() - 1);
    const int32_t nv = d.config().n_vocab;
    int n_agree = 0;
    for (size_t i = 0; i < cont.size(); ++i) {
        const float * row = l.data() + i * size_t(nv);
        const int32_t top = argmax(row, nv);
        n_agree += top == cont[i];
        CHECK_MESSAGE(row[top] - row[cont[i]] <= k_near_tie, "position " << i << ": token " << cont[i] << " is "
                                                                          << row[top] - row[cont[i]] << " below the top");
    }
    return double(n_agree) / double(cont.size());
}

struct recorder {
    std::map<seq_id, std::vector<int32_t>> tokens;
    std::map<seq_id, engine::finish_reason> finish;
    engine::event_sink sink() {
        return [this](const engine::token_event & e) {
            if (e.token >= 0) tokens[e.seq].push_back(e.token);
            if (e.finish != engine::finish_reason::none) finish[e.seq] = e.finish;
        };
    }
};

engine::request_spec spec(recorder & r, int32_t n, int32_t max_tokens, float temperature, uint64_t seed = 42) {
    engine::request_spec s;
    s.prompt = prompt();
    s.params.sampling.temperature = temperature;
    s.params.sampling.top_p = 0.95f;
    s.params.max_tokens = max_tokens;
    s.params.ignore_eos = true;
    s.n_threads = n;
    s.seed = seed;
    s.sink = r.sink();
    return s;
}

model::device_kv_storage & device_storage(model::decoder & d) {
    auto * s = dynamic_cast<model::device_kv_storage *>(&d.kv_storage());
    REQUIRE(s != nullptr);
    return *s;
}

// Tokens of each thread of an n-thread request run alone in a fresh engine on the GPU; checks
// that the pool's pages and the device memory all come back.
std::vector<std::vector<int32_t>> run_request(int32_t n, int32_t max_tokens, float temperature) {
    std::vector<std::vector<int32_t>> out;
    model::decoder & d = gpu();   // weights uploaded before measuring
    size_t free_before = 0, free_after = 0, total = 0;
    kernels::cuda::device_memory(free_before, total);
    {
        engine::engine e(d, {});   // a 512 MiB device KV pool
        const int32_t pages0 = e.cache_for_testing().n_blocks_free();
        recorder r;
        auto ids = e.submit(spec(r, n, max_tokens, temperature));
        e.run_until_idle();
        e.cache_for_testing().clear_prefix_cache();
        CHECK(e.cache_for_testing().n_blocks_free() == pages0);   // no KV page leaks
        for (seq_id id : ids) {
            CHECK(r.finish[id] == engine::finish_reason::max_tokens);
            out.push_back(r.tokens[id]);
        }
    }
    CHECK(device_storage(d).n_bytes_allocated() == 0);   // the pool's device arrays are freed
    // ... and the device has the memory back. Slack: the decoder's step scratch may grow on a
    // first larger step and stays with the decoder (tens of MiB at most; the pool is 512 MiB).
    kernels::cuda::device_memory(free_after, total);
    CHECK(free_after + (size_t(64) << 20) >= free_before);
    return out;
}

}  // namespace

TEST_CASE("logits: the f32 reference forward tightly, the CPU backend within its int8 spread") {
    const std::vector<int32_t> p = prompt(), cont = cpu_greedy(p, 32);
    std::vector<int32_t> toks = p;
    toks.insert(toks.end(), cont.begin(), cont.end() - 1);
    const std::vector<float> g = forced_logits(gpu(), toks, 0);
    const auto [ref_max, ref_mean] = diff(g, ref_logits(toks));
    MESSAGE("CUDA vs kernels/ref f32 forward over " << toks.size() << " positions: max |dlogit| " << ref_max << ", mean "
                                                    << ref_mean);
    CHECK(ref_max <= k_max_ref_diff);
    CHECK(ref_mean <= k_mean_ref_diff);
    const auto [cpu_max, cpu_mean] = diff(g, forced_logits(cpu(), toks, 0));
    MESSAGE("CUDA vs CPU backend: max |dlogit| " << cpu_max << ", mean " << cpu_mean);
    CHECK(cpu_max <= k_max_logit_diff);
    CHECK(cpu_mean <= k_mean_logit_diff);
    const double agree = teacher_forced_agreement(gpu(), p, cont);
    MESSAGE("CUDA argmax along the CPU's greedy continuation: " << agree * 100 << "%");
    CHECK(agree >= k_min_argmax_agreement);
}

TEST_CASE("prefill in one batch and step-by-step decode give the same logits bits") {
    // Batch invariance within the CUDA backend: a token's computation does not depend on how
    // many tokens share its forward pass.
    const std::vector<int32_t> p = prompt();
    const auto & c = gpu().config();
    const std::vector<float> all = forced_logits(gpu(), p, 0);
    kv::kv_layout layout{c.n_layers, c.n_kv_heads, c.head_dim, 16};
    kv::kv_cache cache(layout, int32_t(layout.blocks_for_tokens(int64_t(p.size()))), gpu().kv_storage());
    cache.add_sequence(0);
    const kv::seq_id ids[] = {0};
    std::vector<float> one(size_t(c.n_vocab));
    int64_t n_diff_rows = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        model::batch b;
        b.add(p[i], int32_t(i), 0, true);
        REQUIRE(cache.try_reserve(0, 1));
        gpu().forward(b, cache.view(ids), one.data());
        n_diff_rows += std::memcmp(one.data(), all.data() + i * size_t(c.n_vocab), one.size() * sizeof(float)) != 0;
    }
    cache.free(0);
    CHECK(n_diff_rows == 0);
}

TEST_CASE("greedy, 4 threads sharing the prompt's partial page: identical, and the CPU agrees teacher-forced") {
    // Each thread's first token is written into a copy of the shared partial last page (device
    // copy-on-write). A missing or misplaced copy leaves garbage K/V there, which derails the
    // continuation far beyond a near-tie.
    const std::vector<int32_t> p = prompt();
    REQUIRE(p.size() % 16 != 0);
    auto threads = run_request(4, 32, 0.0f);
    for (int i = 1; i < 4; ++i) CHECK(threads[i] == threads[0]);
    const double agree = teacher_forced_agreement(cpu(), p, threads[0]);
    MESSAGE("CPU argmax along the CUDA greedy continuation: " << agree * 100 << "%");
    CHECK(agree >= k_min_argmax_agreement);
}

TEST_CASE("batch invariance: a sampled thread's tokens do not depend on its siblings") {
    auto one = run_request(1, 24, 0.9f);
    auto eight = run_request(8, 24, 0.9f);
    CHECK(one[0] == eight[0]);
    int n_distinct = 0;
    for (int i = 1; i < 8; ++i) n_distinct += eight[i] != eight[0];
    CHECK(n_distinct >= 6);   // sampled threads really differ
}

TEST_CASE("beside an unrelated request, and from the prefix cache, threads are unchanged") {
    auto alone = run_request(4, 16, 0.9f);
    engine::engine e(gpu(), {});
    recorder r1, r2, other;
    engine::request_spec unrelated = spec(other, 3, 20, 0.9f, 7);
    unrelated.prompt = gpu().vocab().encode("The quick brown fox jumps over the lazy dog. Then", true);
    e.submit(std::move(unrelated));
    auto a = e.submit(spec(r1, 4, 16, 0.9f));
    e.run_until_idle();
    auto b = e.submit(spec(r2, 4, 16, 0.9f));
    e.run_until_idle();
    CHECK(e.stats().n_prefix_tokens_reused >= 16);
    for (int i = 0; i < 4; ++i) {
        CHECK(r1.tokens[a[i]] == alone[i]);
        CHECK(r2.tokens[b[i]] == alone[i]);
    }
}

TEST_CASE("fork mid-generation continues exactly like the parent (device copy-on-write)") {
    engine::engine e(gpu(), {});
    const int32_t free0 = e.cache_for_testing().n_blocks_free();
    recorder r;
    auto ids = e.submit(spec(r, 1, 40, 0.9f));
    for (int i = 0; i < 12; ++i) e.step();
    const size_t at = r.tokens[ids[0]].size();
    seq_id child = e.fork(ids[0], std::nullopt);
    e.run_until_idle();
    const auto & parent = r.tokens[ids[0]];
    REQUIRE(parent.size() == 40);
    CHECK(std::vector<int32_t>(parent.begin() + long(at), parent.end()) == r.tokens[child]);
    e.cache_for_testing().clear_prefix_cache();
    CHECK(e.cache_for_testing().n_blocks_free() == free0);
}

TEST_CASE("TTS_CUDA_GEMM=cublas: prefill through cuBLAS stays close to the tiled kernels") {
    ::setenv("TTS_CUDA_GEMM", "cublas", 1);
    std::unique_ptr<model::decoder> cb = load(model::device_kind::cuda);
    ::unsetenv("TTS_CUDA_GEMM");
    REQUIRE(cb->device_description().find("cuBLAS") != std::string::npos);
    std::vector<int32_t> toks = prompt();
    toks.insert(toks.end(), toks.begin(), toks.end());   // >= k_cublas_min_tokens rows
    REQUIRE(toks.size() >= size_t(model::cuda_forward::k_cublas_min_tokens));
    const std::vector<float> a = forced_logits(gpu(), toks, 0), b = forced_logits(*cb, toks, 0);
    double max_diff = 0;
    for (size_t i = 0; i < a.size(); ++i) max_diff = std::max(max_diff, std::fabs(double(a[i]) - double(b[i])));
    MESSAGE("tiled vs cuBLAS: max |dlogit| " << max_diff);
    // Both f32 throughout; only the summation order differs (same scale as k_max_ref_diff).
    CHECK(max_diff <= k_max_ref_diff);
}

TEST_CASE("the CUDA decoder hands the engine device KV storage, the CPU decoder host memory") {
    // The engine builds its pool on decoder::kv_storage(); host storage under a CUDA decoder
    // would have the kernels dereference host pointers (forward() refuses it with a TTS_CHECK).
    CHECK_FALSE(gpu().kv_storage().is_host());
    CHECK(cpu().kv_storage().is_host());
    CHECK(gpu().device() == model::device_kind::cuda);
}
