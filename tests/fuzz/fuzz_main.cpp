// fuzz_main: runs a fuzz target over files, without libFuzzer. The normal build links each
// target with this driver, and CTest runs it over the target's seed corpus and its regression
// inputs (crashes found by fuzzing, kept after the fix), so they stay covered by `make test`.
// Usage: <target>_replay PATH... (files, or folders read recursively). Exit 0 when every input
// ran; an input that breaks the target aborts, naming the file first. Like libFuzzer's
// -rss_limit_mb, memory is capped (2 GiB of address space, except under ASan, which reserves
// far more), so an input that makes the target allocate gigabytes fails here too.
#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size);

namespace fs = std::filesystem;

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TTS_FUZZ_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TTS_FUZZ_UNDER_ASAN 1
#endif

int main(int argc, char ** argv) {
#ifndef TTS_FUZZ_UNDER_ASAN
    const rlimit cap{rlim_t(2) << 30, rlim_t(2) << 30};
    setrlimit(RLIMIT_AS, &cap);
#endif
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        const fs::path p = argv[i];
        if (fs::is_directory(p)) {
            for (const auto & e : fs::recursive_directory_iterator(p))
                if (e.is_regular_file()) files.push_back(e.path());
        } else if (fs::is_regular_file(p)) {
            files.push_back(p);
        } else {
            std::fprintf(stderr, "no such input: %s\n", argv[i]);
            return 2;
        }
    }
    if (files.empty()) {
        std::fprintf(stderr, "no inputs\n");
        return 2;
    }
    for (const fs::path & f : files) {
        std::ifstream in(f, std::ios::binary);
        const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::fprintf(stderr, "%s\n", f.c_str());
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
    }
    std::fprintf(stderr, "%zu inputs ran\n", files.size());
    return 0;
}
