// fiber_io: the one place where the Boost.Fiber scheduler meets an Asio io_context (STYLE R11).
//
// Who runs what: the calling OS thread runs the io_context AND every controller fiber
// (strategies, session pumps, later the HTTP handlers); fibers get the CPU whenever they are
// ready, Asio handlers run in between, and when nothing is ready the thread sleeps in
// io_context::run_one() until an I/O completion, a timer for a sleeping fiber, or a wake-up
// from another thread (the engine's events make fibers ready through the remote-ready path,
// which calls notify(), which posts to the io_context). The engine loop has its own thread and
// meets the fibers only through its command queue and the sessions' event queues.
#pragma once

#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>

namespace tts::controller {

// Installs the Asio-aware fiber scheduler on the calling thread, runs main_fn as a fiber and
// drives fibers and io together until main_fn returns (then stops io). Exceptions escaping
// main_fn are caught and rethrown here, on the calling thread, after the loop ends.
// REQUIRES: called at most once per OS thread, before any fiber runs on it, and io outlives
// the thread (the installed scheduler keeps a timer on it).
void run_fibers_with_io(boost::asio::io_context & io, std::function<void()> main_fn);

}  // namespace tts::controller
