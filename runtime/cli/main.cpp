// ttscale: the command-line front end. One subcommand per file in this folder.
//
// Subcommands report expected failures as messages and exit codes. Anything thrown past them
// (a bug, bad_alloc) is caught here: a message on stderr and exit code 70, never a bare
// std::terminate. A thread that lets an exception escape reaches the terminate handler below,
// which says so before exiting.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>

#include "runtime/cli/commands.h"

namespace {

constexpr int k_internal_error = 70;  // EX_SOFTWARE

[[noreturn]] void on_terminate() {
    std::string what = "std::terminate called without an active exception";
    if (std::exception_ptr e = std::current_exception()) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception & x) {
            what = std::string("uncaught exception: ") + x.what();
        } catch (...) {
            what = "uncaught non-standard exception";
        }
    }
    std::fprintf(stderr, "ttscale: fatal: %s\n", what.c_str());
    std::fflush(stderr);
    std::_Exit(k_internal_error);
}

}  // namespace

int main(int argc, char ** argv) {
    std::set_terminate(on_terminate);
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
    } catch (const std::bad_alloc &) {
        std::fprintf(stderr, "ttscale: out of memory\n");
        return k_internal_error;
    } catch (const std::exception & e) {
        std::fprintf(stderr, "ttscale: internal error: %s\n", e.what());
        return k_internal_error;
    } catch (...) {
        std::fprintf(stderr, "ttscale: internal error: a non-standard exception\n");
        return k_internal_error;
    }
    return exit_code;
}
