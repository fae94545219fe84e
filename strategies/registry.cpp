// registry: one row per strategy (STYLE R10 step 4).
#include "strategies/registry.h"

#include <exception>

namespace tts::strategy {

strategy_entry single_strategy();
strategy_entry self_consistency_strategy();
strategy_entry first_finish_strategy();
strategy_entry short_m_at_k_strategy();
strategy_entry deepconf_strategy();
strategy_entry deepprune_strategy();
strategy_entry pdr_strategy();
strategy_entry sr_strategy();
strategy_entry best_of_n_strategy();

namespace {
const std::vector<strategy_entry> & table() {
    static const std::vector<strategy_entry> t = {
        single_strategy(),
        self_consistency_strategy(),
        first_finish_strategy(),
        short_m_at_k_strategy(),
        deepconf_strategy(),
        deepprune_strategy(),
        pdr_strategy(),
        sr_strategy(),
        best_of_n_strategy(),
    };
    return t;
}
}  // namespace

const strategy_entry * find_strategy(std::string_view name) {
    for (const auto & e : table())
        if (e.name == name) return &e;
    return nullptr;
}

std::vector<std::string> strategy_names() {
    std::vector<std::string> out;
    for (const auto & e : table()) out.push_back(e.name);
    return out;
}

namespace {
status unknown(std::string_view name) {
    std::string list;
    for (auto & n : strategy_names()) list += (list.empty() ? "" : ", ") + n;
    return status::not_found("unknown strategy \"" + std::string(name) + "\" (known: " + list + ")");
}
}  // namespace

status validate_strategy(std::string_view name, const param_map & params, const strategy_limits & limits) {
    const strategy_entry * e = find_strategy(name);
    return e ? e->validate(params, limits) : unknown(name);
}

result<verdict> run_strategy(std::string_view name, const param_map & params, session & s, const problem & p) {
    const strategy_entry * e = find_strategy(name);
    if (!e) return unknown(name);
    try {
        return e->run(s, p, params);
    } catch (const std::exception & ex) {
        verdict v;
        v.status = std::string("error: ") + ex.what();
        finish_verdict(s, v, {});
        return v;
    } catch (...) {
        verdict v;
        v.status = "error: unknown exception";
        finish_verdict(s, v, {});
        return v;
    }
}

}  // namespace tts::strategy
