// The ttscale subcommands. Each registers its options on the CLI11 app and returns the exit
// code of its run; main.cpp only wires them together.
#pragma once

#include <CLI/CLI.hpp>

namespace tts::cli {

// `ttscale generate`: decode a completion (or K completions sharing the prompt) and stream it.
void add_generate(CLI::App & app, int & exit_code);
// `ttscale bench`: K threads sharing a prompt, side by side with llama.cpp.
void add_bench(CLI::App & app, int & exit_code);
// `ttscale eval` / `report` / `replay` / `merge`: sweeps, their reports, offline replay, shard merge.
void add_eval(CLI::App & app, int & exit_code);
void add_report(CLI::App & app, int & exit_code);
void add_replay(CLI::App & app, int & exit_code);
void add_merge(CLI::App & app, int & exit_code);
// `ttscale run`: one problem through one strategy; answer, vote table, cost.
void add_run(CLI::App & app, int & exit_code);
// `ttscale serve`: the OpenAI-compatible HTTP API with strategies (runtime/server/).
void add_serve(CLI::App & app, int & exit_code);

}  // namespace tts::cli
