// strategy_catalog: the registry as JSON.
#include "runtime/server/strategy_catalog.h"

#include "strategies/registry.h"

namespace tts::server {

// The registry has no list of parameter names, but every strategy's parameter reader rejects
// an unknown key by listing the keys it knows ("x: unknown parameter "?" (known: k, m, think)");
// a probe key reads that list. tests/runtime/server/strategy_catalog_test.cpp pins it down.
std::vector<std::string> strategy_parameter_names(const std::string & name) {
    const std::string probe = "\x01probe";
    const status s = strategy::validate_strategy(name, {{probe, "0"}});
    const std::string & m = s.message();
    const size_t at = m.find("(known: ");
    std::vector<std::string> out;
    if (s.is_ok() || at == std::string::npos) return out;
    const size_t end = m.rfind(')');
    std::string list = m.substr(at + 8, end == std::string::npos || end < at ? std::string::npos : end - at - 8);
    size_t i = 0;
    while (i < list.size()) {
        size_t j = list.find(", ", i);
        if (j == std::string::npos) j = list.size();
        if (j > i) out.push_back(list.substr(i, j - i));
        i = j + 2;
    }
    return out;
}

boost::json::object strategy_catalog() {
    boost::json::array data;
    for (const std::string & name : strategy::strategy_names()) {
        const strategy::strategy_entry * e = strategy::find_strategy(name);
        boost::json::array params;
        for (const std::string & p : strategy_parameter_names(name)) params.push_back(boost::json::string(p));
        data.push_back({{"name", name}, {"summary", e ? e->summary : ""}, {"parameters", std::move(params)}});
    }
    boost::json::array session = {"temperature", "top_p", "top_k", "min_p", "max_tokens", "n_top_logprobs", "seed",
                                  "max_total_tokens", "max_wall_seconds", "max_kv_bytes", "max_live_threads"};
    return boost::json::object{{"object", "list"}, {"data", std::move(data)}, {"session_parameters", std::move(session)}};
}

}  // namespace tts::server
