// command: what callers queue on the engine, one struct per kind, applied at a step boundary.
//
// The public engine methods validate their arguments, allocate ids and queue one of these;
// the engine thread applies the queue in call order (engine::apply in command.cpp). A command
// for a thread that has not started yet (its request's root still prefills) applies to the
// waiting thread's state at once, in order, exactly as it would to a running one; a command
// for a thread that has ended (or a root, or an unknown id) changes nothing and is counted in
// engine_stats::n_commands_dropped; a fork of such a thread still answers its new id with one
// final event when it can (engine.h).
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "runtime/engine/sequence.h"

namespace tts::engine {

struct request_spec {
    std::vector<int32_t> prompt;  // token ids, non-empty
    generation_params params;
    int32_t n_threads = 1;
    uint64_t seed = 0;
    event_sink sink;  // receives every thread's events
};

struct submit_command {
    request_spec spec;
    seq_id root = -1;             // the hidden root
    std::vector<seq_id> threads;  // thread i's id
};

struct fork_command {
    seq_id src = -1;
    seq_id id = -1;                       // the new thread
    std::optional<uint64_t> stream_seed;  // restart the RNG stream; nullopt: copy src's
    std::optional<generation_params> params;
};

struct cancel_command {
    seq_id id = -1;
};
struct pause_command {
    seq_id id = -1;
};
struct resume_command {
    seq_id id = -1;
};
struct inject_command {
    seq_id id = -1;
    std::vector<int32_t> tokens;
};

using command =
    std::variant<submit_command, fork_command, cancel_command, pause_command, resume_command, inject_command>;

}  // namespace tts::engine
