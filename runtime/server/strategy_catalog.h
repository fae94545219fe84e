// strategy_catalog: GET /v1/strategies — every registered strategy with its summary and
// parameter names, plus the session keys any strategy accepts. Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace tts::server {

// The parameter names a strategy accepts (from its parameter reader), in reading order.
std::vector<std::string> strategy_parameter_names(const std::string & name);
boost::json::object strategy_catalog();

}  // namespace tts::server
