// Fuzz target: dataset JSONL (evals/dataset) from arbitrary text, under each field mapping the
// shipped datasets use (byte 0 picks it). Any text must give problems or a status naming the
// file and line; a dataset's subsets must hold only its own problems.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "evals/dataset.h"

using namespace tts::eval;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    if (size == 0) return 0;
    static const char * const names[] = {"gsm8k", "multiarith", "singleop", "amc23", "aime24"};
    dataset_fields fields;
    if (auto known = try_known_fields(names[data[0] % 5])) fields = known.value();
    const std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
    auto d = try_parse_dataset(text, "fuzz.jsonl", fields);
    if (!d) {
        if (d.error().message().find("fuzz.jsonl") == std::string::npos) {
            std::fprintf(stderr, "dataset_fuzz: error without the file name: %s\n", d.error().message().c_str());
            std::abort();
        }
        return 0;
    }
    subset_spec s;
    s.how = subset_spec::mode::random;
    s.n = size % 7;
    s.seed = size;
    const dataset sub = select_subset(d.value(), s);
    if (sub.problems.size() > d->problems.size()) std::abort();
    return 0;
}
