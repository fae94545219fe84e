// Fuzz target: sweep YAML (evals/sweep_config) from arbitrary text. Any text must give a
// config or a status naming the file; a config must serialise (canonical JSON, hash) and
// parse again from its own source text to the same hash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "evals/sweep_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    auto c = tts::eval::try_parse_sweep_config(text, "fuzz.yaml");
    if (!c) {
        if (c.error().message().find("fuzz.yaml") == std::string::npos) {
            std::fprintf(stderr, "sweep_config_fuzz: error without the file name: %s\n", c.error().message().c_str());
            std::abort();
        }
        return 0;
    }
    const std::string hash = c->hash();
    (void)c->canonical_json();
    auto again = tts::eval::try_parse_sweep_config(c->source_text, "fuzz.yaml");
    if (!again || again->hash() != hash) {
        std::fprintf(stderr, "sweep_config_fuzz: a config does not parse again to the same hash\n");
        std::abort();
    }
    return 0;
}
