// sweep: cell layout and shard parsing.
#include "evals/sweep.h"

#include <charconv>

namespace tts::eval {

result<sweep_plan> try_plan_sweep(const sweep_config & config) {
    sweep_plan plan{config, {}, {}};
    for (const dataset_spec & d : config.datasets) {
        result<dataset> full = try_read_dataset(d.path, d.fields);
        if (!full) return status(full.error());
        plan.datasets.push_back(select_subset(full.value(), d.subset));
    }
    for (size_t mi = 0; mi < config.models.size(); ++mi)
        for (size_t di = 0; di < plan.datasets.size(); ++di)
            for (size_t pi = 0; pi < plan.datasets[di].problems.size(); ++pi)
                for (uint64_t seed : config.seeds)
                    for (size_t si = 0; si < config.strategies.size(); ++si) {
                        cell c;
                        c.ordinal = int64_t(plan.cells.size());
                        c.model_index = mi, c.dataset_index = di, c.problem_index = pi, c.strategy_index = si;
                        c.seed = seed;
                        c.key = config.models[mi].name + "|" + config.datasets[di].name + "|" +
                                std::to_string(plan.datasets[di].problems[pi].id) + "|" + std::to_string(seed) + "|" +
                                config.strategies[si].label;
                        plan.cells.push_back(std::move(c));
                    }
    return plan;
}

result<shard_spec> shard_spec::try_parse(std::string_view text) {
    const size_t slash = text.find('/');
    shard_spec s;
    auto num = [](std::string_view t, int64_t & out) {
        auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
        return ec == std::errc() && end == t.data() + t.size() && !t.empty();
    };
    if (slash == std::string_view::npos || !num(text.substr(0, slash), s.index) || !num(text.substr(slash + 1), s.count) ||
        s.count < 1 || s.index < 0 || s.index >= s.count)
        return status::invalid_argument("--shard: expected i/n with 0 <= i < n, got \"" + std::string(text) + "\"");
    return s;
}

cell_request make_request(const sweep_plan & plan, const cell & c) {
    const problem & p = plan.problem_of(c);
    return cell_request{plan.config, c, plan.config.models[c.model_index], plan.config.datasets[c.dataset_index], p,
                        plan.config.strategies[c.strategy_index], plan.config.prompt.system,
                        plan.config.prompt.render_user(p)};
}

}  // namespace tts::eval
