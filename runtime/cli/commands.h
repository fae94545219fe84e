// The ttscale subcommands. Each registers its options on the CLI11 app and returns the exit
// code of its run; main.cpp only wires them together.
#pragma once

#include <CLI/CLI.hpp>

namespace tts::cli {

// `ttscale generate`: decode a completion (or K completions sharing the prompt) and stream it.
void add_generate(CLI::App & app, int & exit_code);

}  // namespace tts::cli
