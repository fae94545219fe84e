#include "runtime/server/strategy_catalog.h"

#include <doctest/doctest.h>

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "runtime/controller/session.h"
#include "strategies/params.h"
#include "strategies/registry.h"

using namespace tts;

TEST_CASE("parameter names come from each strategy's own reader") {
    // If the registry's error text changes, these lists go empty and this fails.
    CHECK(server::strategy_parameter_names("short_m_at_k") == std::vector<std::string>{"k", "m", "think", "truncated"});
    CHECK(server::strategy_parameter_names("single") == std::vector<std::string>{"truncated"});
    for (const std::string & name : strategy::strategy_names())
        CHECK_MESSAGE(!server::strategy_parameter_names(name).empty(), name);
}

TEST_CASE("the catalog lists every strategy, and its session keys are the ones take_session_params accepts") {
    const boost::json::object c = server::strategy_catalog();
    CHECK(c.at("data").as_array().size() == strategy::strategy_names().size());
    for (const auto & k : c.at("session_parameters").as_array()) {
        strategy::param_map m{{std::string(k.as_string()), "1"}};
        controller::session_options so;
        CHECK_MESSAGE(strategy::take_session_params(m, so).is_ok(), k.as_string());
        CHECK(m.empty());   // taken out: a session key
    }
}
