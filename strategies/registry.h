// registry: every strategy by name, so YAML sweeps, HTTP requests and the CLI select one.
//
// How to run a strategy from evals/ or server/ (on the controller thread; the calls suspend
// only the calling fiber, so the thread's main context works too):
//     controller::session_options so;                 // sampling defaults, seed, budget
//     param_map params = {{"k", "8"}, {"m", "3"}};
//     take_session_params(params, so);                // optional: session keys from the same map
//     controller::session s(backend, so);
//     result<verdict> v = run_strategy("short_m_at_k", params, s, problem{text});
// run_strategy never throws: an unknown name or bad parameter is an error status naming it,
// and an exception inside the strategy becomes verdict.status "error: ...". Immutable table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "strategies/strategy.h"

namespace tts::strategy {

// The entry named `name`, or nullptr.
const strategy_entry * find_strategy(std::string_view name);
// Every registered name, in registration order.
std::vector<std::string> strategy_names();
// Checks name and parameters without running anything, including whether the parameters can
// take effect under `limits` (the sweep's or the session's budgets; zeros are not checked).
status validate_strategy(std::string_view name, const param_map & params, const strategy_limits & limits = {});
// Runs the named strategy on s (its parameters checked against s's limits first: an error
// status when they cannot take effect). REQUIRES: s is fresh (no threads yet) for clean accounting.
result<verdict> run_strategy(std::string_view name, const param_map & params, session & s, const problem & p);

}  // namespace tts::strategy
