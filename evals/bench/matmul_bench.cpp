// matmul_bench: speed of cpu::matmul per weight type, token count and SIMD level (not a test).
//
// For each type and token count it times y = x W^T on random weights of the given shape for at
// least --min-ms (after one warm-up call) and prints the best of --reps such runs (neighbours
// only ever slow a run down) as
//   ms/call, GB/s  = weight bytes read per call / time   (the decode bound: memory),
//   GOP/s = 2 * n_out * n_in * n_tok / time             (the prefill bound: int8 compute).
// Compare with /work/shared/docs/performance.md: ~25-55 GB/s and ~880 GOP/s on 2 cores.
// On a shared, loaded machine wall time mostly measures the neighbours: --clock cpu divides
// the process CPU time by the thread count instead (work done, not waiting for a core).
// Usage: matmul_bench [--types q4_0,q5_0,...] [--tokens 1,8,256] [--shape 4864x896]
//                     [--threads 2] [--level scalar|avx2|avx512|all] [--min-ms 200] [--reps 3]
//                     [--clock wall|cpu]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/cpu/ops.h"
#include "kernels/cpu/simd_level.h"
#include "kernels/dtype.h"
#include "kernels/ref/reference.h"

namespace {

using namespace tts::kernels;

struct options {
    std::vector<dtype> types{dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q5_1,
                             dtype::q8_0, dtype::q4_k, dtype::q5_k, dtype::q6_k};
    std::vector<int64_t> tokens{1, 8, 256};
    int64_t n_out = 4864, n_in = 896;  // Qwen2.5-0.5B ffn_gate / ffn_up (n_in = 1536 for K-quants)
    bool shape_given = false;
    int threads = 2;
    std::string level = "best";
    double min_ms = 200;
    int reps = 3;
    bool cpu_clock = false;
};

std::vector<std::string> split(const std::string & s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string part; std::getline(ss, part, ',');) out.push_back(part);
    return out;
}

bool parse_type(const std::string & name, dtype & t) {
    for (uint32_t id = 0; id < 40; ++id) {
        if (!weight_dtype(id)) continue;
        std::string n = dtype_name(id);
        std::transform(n.begin(), n.end(), n.begin(), ::tolower);
        if (n == name) {
            t = dtype(id);
            return true;
        }
    }
    return false;
}

[[noreturn]] void usage(const char * why) {
    std::fprintf(stderr,
                 "matmul_bench: %s\nusage: matmul_bench [--types q4_0,q5_k,...] [--tokens 1,8,256] "
                 "[--shape OUTxIN] [--threads N] [--level scalar|avx2|avx512|all] [--min-ms MS] [--reps N]\n",
                 why);
    std::exit(2);
}

options parse(int argc, char ** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) usage(("missing value after " + a).c_str());
        const std::string v = argv[++i];
        if (a == "--types") {
            o.types.clear();
            for (const std::string & n : split(v)) {
                dtype t;
                if (!parse_type(n, t)) usage(("unknown type " + n).c_str());
                o.types.push_back(t);
            }
        } else if (a == "--tokens") {
            o.tokens.clear();
            for (const std::string & n : split(v)) o.tokens.push_back(std::atoll(n.c_str()));
        } else if (a == "--shape") {
            if (std::sscanf(v.c_str(), "%ldx%ld", &o.n_out, &o.n_in) != 2) usage("--shape wants OUTxIN");
            o.shape_given = true;
        } else if (a == "--threads")
            o.threads = std::atoi(v.c_str());
        else if (a == "--level")
            o.level = v;
        else if (a == "--min-ms")
            o.min_ms = std::atof(v.c_str());
        else if (a == "--reps")
            o.reps = std::atoi(v.c_str());
        else if (a == "--clock" && (v == "cpu" || v == "wall"))
            o.cpu_clock = v == "cpu";
        else
            usage(("unknown option " + a).c_str());
    }
    return o;
}

// Random payload bytes with sane f16 scales written over each block's scale fields.
std::vector<uint8_t> random_weights(std::mt19937 & rng, dtype t, int64_t n_out, int64_t n_in) {
    std::vector<uint8_t> w(row_bytes(uint32_t(t), n_in) * size_t(n_out));
    std::uniform_int_distribution<int> byte(0, 255);
    for (uint8_t & b : w) b = uint8_t(byte(rng));
    const uint16_t d = ref::f32_to_f16(0.01f), m = ref::f32_to_f16(-0.05f);
    const size_t bb = block_bytes(uint32_t(t));
    for (size_t off = 0; off < w.size(); off += bb) {
        uint8_t * b = &w[off];
        switch (t) {
            case dtype::q4_1:
            case dtype::q5_1:
                std::memcpy(b + 2, &m, 2);
                [[fallthrough]];
            case dtype::q4_0:
            case dtype::q5_0:
            case dtype::q8_0:
            case dtype::q4_k:
            case dtype::q5_k:
                std::memcpy(b, &d, 2);
                if (t == dtype::q4_k || t == dtype::q5_k) std::memcpy(b + 2, &d, 2);
                break;
            case dtype::q6_k:
                std::memcpy(b + 208, &d, 2);
                break;
            default:
                break;
        }
    }
    return w;
}

double process_cpu_ms() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) * 1e-6;
}

// Milliseconds per call: wall time, or process CPU time / threads.
double time_ms(cpu::thread_pool & pool, const cpu::weight_view & w, const std::vector<float> & x, int64_t n_tok,
               std::vector<float> & y, const options & o) {
    using clock = std::chrono::steady_clock;
    cpu::matmul(pool, w, x.data(), n_tok, y.data());  // warm-up
    int calls = 0;
    const auto t0 = clock::now();
    const double c0 = process_cpu_ms();
    double ms = 0, used = 0;
    do {
        cpu::matmul(pool, w, x.data(), n_tok, y.data());
        ++calls;
        ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
        used = o.cpu_clock ? (process_cpu_ms() - c0) / o.threads : ms;
    } while (used < o.min_ms);
    return used / calls;
}

}  // namespace

int main(int argc, char ** argv) {
    const options o = parse(argc, argv);
    std::vector<cpu::simd_level> levels;
    if (o.level == "all") {
        for (int l = 0; l <= int(cpu::simd_level_supported()); ++l) levels.push_back(cpu::simd_level(l));
    } else if (o.level == "best") {
        levels.push_back(cpu::simd_level_supported());
    } else {
        bool found = false;
        for (int l = 0; l <= int(cpu::simd_level_supported()); ++l) {
            if (o.level == cpu::simd_level_name(cpu::simd_level(l))) levels.push_back(cpu::simd_level(l)), found = true;
        }
        if (!found) usage(("level not supported here: " + o.level).c_str());
    }
    cpu::thread_pool pool(o.threads);
    std::printf("%-6s %-7s %11s %6s %10s %8s %8s\n", "type", "level", "shape", "n_tok", "ms/call", "GB/s", "GOP/s");
    for (dtype t : o.types) {
        int64_t n_in = o.n_in;
        if (!o.shape_given && block_elems(uint32_t(t)) == 256) n_in = 1536;
        if (n_in % block_elems(uint32_t(t)) != 0) usage("n_in is not a whole number of blocks for a type");
        std::mt19937 rng(uint32_t(t) * 7 + 1);
        const std::vector<uint8_t> wdata = random_weights(rng, t, o.n_out, n_in);
        const cpu::weight_view w{wdata.data(), t, o.n_out, n_in};
        for (int64_t n_tok : o.tokens) {
            std::uniform_real_distribution<float> u(-1.0f, 1.0f);
            std::vector<float> x(size_t(n_tok * n_in)), y(size_t(n_tok * o.n_out));
            for (float & v : x) v = u(rng);
            for (cpu::simd_level level : levels) {
                cpu::set_simd_level_for_testing(level);
                std::vector<double> ms;
                for (int r = 0; r < std::max(1, o.reps); ++r) ms.push_back(time_ms(pool, w, x, n_tok, y, o));
                std::sort(ms.begin(), ms.end());
                const double med = ms[0];
                const double gb = double(wdata.size()) / (med * 1e6);
                const double gop = 2.0 * double(o.n_out) * double(n_in) * double(n_tok) / (med * 1e6);
                char shape[32];
                std::snprintf(shape, sizeof shape, "%ldx%ld", long(o.n_out), long(n_in));
                std::printf("%-6s %-7s %11s %6ld %10.3f %8.2f %8.1f\n", dtype_name(uint32_t(t)),
                            cpu::simd_level_name(level), shape, long(n_tok), med, gb, gop);
                std::fflush(stdout);
            }
        }
    }
    return 0;
}
