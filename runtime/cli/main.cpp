// ttscale: the command-line front end. One subcommand per file in this folder.
#include <cstdio>

#include "runtime/cli/commands.h"

int main(int argc, char ** argv) {
    CLI::App app{"ttscale: parallel reasoning runtime for test-time scaling"};
    app.require_subcommand(1);
    int exit_code = 0;
    tts::cli::add_generate(app, exit_code);
    tts::cli::add_run(app, exit_code);
    tts::cli::add_serve(app, exit_code);
    tts::cli::add_bench(app, exit_code);
    tts::cli::add_eval(app, exit_code);
    tts::cli::add_report(app, exit_code);
    tts::cli::add_replay(app, exit_code);
    tts::cli::add_merge(app, exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError & e) {
        return app.exit(e);
    }
    return exit_code;
}
