// eval_test_util: temporary directories and a toy dataset for the evals tests.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "evals/store.h"

namespace tts::eval::testing {

// A fresh directory under the system temp dir, removed on destruction.
struct temp_dir {
    std::filesystem::path path;
    explicit temp_dir(const std::string & tag) {
        path = std::filesystem::temp_directory_path() / ("ttscale_" + tag + "_" + std::to_string(::getpid()));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
    std::string file(const std::string & name) const { return (path / name).string(); }
};

inline std::string write_toy_dataset(const temp_dir & d, int n) {
    const std::string p = d.file("toy.jsonl");
    std::ofstream out(p);
    for (int i = 1; i <= n; ++i) out << "{\"q\": \"What is " << i << " + " << i << "?\", \"a\": " << 2 * i << "}\n";
    return p;
}

// Every stored field but timestamps, one line per cell, for equality checks between runs.
inline std::string dump_cells(const store & s) {
    std::string out;
    const std::vector<stored_cell> cells = s.try_load_cells(true).value();
    for (const stored_cell & c : cells) {
        out += c.key + " " + std::to_string(c.ordinal) + " " + c.status + " " + c.answer.value_or("-") + " " + c.gold + " " +
               std::to_string(c.is_correct) + " " + std::to_string(c.n_tokens_total) + " " + std::to_string(c.n_tokens_sequential) +
               " " + std::to_string(c.wall_seconds) + " " + std::to_string(c.kv_bytes_peak) + " " + c.votes_json + " " + c.params_json;
        for (const stored_thread & t : c.threads)
            out += " [" + std::to_string(t.thread_index) + " " + std::to_string(t.n_tokens) + " " + t.answer.value_or("-") + " " +
                   std::to_string(t.finish_rank) + "]";
        out += "\n";
    }
    return out;
}

}  // namespace tts::eval::testing
