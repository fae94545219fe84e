// sweep_config: section parsers, grid expansion and the canonical hash.
#include "evals/sweep_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <xxhash.h>

#include "evals/model_registry.h"
#include "runtime/model/utf8_stream.h"

// Assigns the value of a result-returning read to `dst`, or returns its error.
#define TTS_READ(dst, expr)                              \
    do {                                                 \
        auto r_ = (expr);                                \
        if (!r_.is_ok()) return r_.error();              \
        dst = std::move(r_.value());                     \
    } while (0)
#define TTS_RETURN_IF_ERROR(expr)              \
    do {                                       \
        status s_ = (expr);                    \
        if (!s_.is_ok()) return s_;            \
    } while (0)

namespace tts::eval {
namespace {

namespace json = boost::json;

// Parameters every strategy spells the same way: counts of threads, rounds or windows.
bool is_count_param(std::string_view k) {
    for (std::string_view c : {"k", "m", "n", "n_init", "n_rounds", "rounds", "window", "n_drafts"})
        if (k == c) return true;
    return false;
}

std::string stem(const std::string & path) { return std::filesystem::path(path).stem().string(); }

result<grading_mode> grading_from_yaml(const YAML::Node & n, const yaml_where & w) {
    std::string g;
    TTS_READ(g, read_string(n, w));
    if (std::optional<grading_mode> m = try_parse_grading(g)) return *m;
    return yaml_error(n, w, "expected exact or percent_lenient, got " + yaml_describe(n));
}

result<dataset_fields> fields_from_yaml(const YAML::Node & n, const yaml_where & w) {
    if (n.IsScalar()) {
        result<dataset_fields> f = try_known_fields(n.Scalar());
        if (!f) return yaml_error(n, w, f.error().message());
        return f;
    }
    TTS_RETURN_IF_ERROR(expect_keys(n, w, {"question", "answer", "kind", "grading"}));
    dataset_fields f;
    if (n["question"]) TTS_READ(f.question_field, read_string(n["question"], w.key("question")));
    if (n["answer"]) TTS_READ(f.answer_field, read_string(n["answer"], w.key("answer")));
    f.kind = answer_kind::plain;
    if (n["kind"]) {
        std::string k;
        TTS_READ(k, read_string(n["kind"], w.key("kind")));
        if (k == "plain") f.kind = answer_kind::plain;
        else if (k == "gsm8k_hash") f.kind = answer_kind::gsm8k_hash;
        else return yaml_error(n["kind"], w.key("kind"), "expected plain or gsm8k_hash, got " + yaml_describe(n["kind"]));
    }
    if (n["grading"]) TTS_READ(f.grading, grading_from_yaml(n["grading"], w.key("grading")));
    return f;
}

result<subset_spec> subset_from_yaml(const YAML::Node & n, const yaml_where & w) {
    subset_spec s;
    if (n.IsScalar() && n.Scalar() == "all") return s;
    if (!n.IsMap()) return yaml_error(n, w, "expected all, {first: N} or {random: N, seed: S}, got " + yaml_describe(n));
    TTS_RETURN_IF_ERROR(expect_keys(n, w, {"first", "random", "seed"}));
    if (n["first"] && n["random"]) return yaml_error(n, w, "give either first or random, not both");
    int64_t count = 0;
    if (n["first"]) {
        TTS_READ(count, read_int(n["first"], w.key("first"), 1));
        s.how = subset_spec::mode::first;
        if (n["seed"]) return yaml_error(n["seed"], w.key("seed"), "seed applies to random subsets only");
    } else if (n["random"]) {
        TTS_READ(count, read_int(n["random"], w.key("random"), 1));
        s.how = subset_spec::mode::random;
        int64_t seed = 0;
        if (n["seed"]) TTS_READ(seed, read_int(n["seed"], w.key("seed"), 0));
        s.seed = uint64_t(seed);
    } else {
        return yaml_error(n, w, "expected first: N or random: N");
    }
    s.n = size_t(count);
    return s;
}

void replace_all(std::string & s, std::string_view from, std::string_view to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

json::value to_json(const param_value & v) {
    if (auto * i = std::get_if<int64_t>(&v)) return *i;
    if (auto * d = std::get_if<double>(&v)) return *d;
    if (auto * b = std::get_if<bool>(&v)) return *b;
    return json::string(std::get<std::string>(v));
}

}  // namespace

result<model_spec> model_spec::from_yaml(const YAML::Node & n, const yaml_where & w) {
    model_spec m;
    if (n.IsScalar()) {
        m.path = n.Scalar();
    } else {
        TTS_RETURN_IF_ERROR(expect_keys(n, w, {"name", "path"}));
        if (!n["path"]) return yaml_error(n, w, "missing required key path");
        TTS_READ(m.path, read_string(n["path"], w.key("path")));
        if (n["name"]) TTS_READ(m.name, read_string(n["name"], w.key("name")));
    }
    if (m.path.empty()) return yaml_error(n, w, "the model path is empty");
    if (is_model_name(m.path)) {  // a registry name (configs/models/<name>.yaml) -> models/<file>
        const YAML::Node at = n.IsScalar() ? n : n["path"];
        result<std::string> path = try_registry_model_path(m.path);
        if (!path) return yaml_error(at, n.IsScalar() ? w : w.key("path"), path.error().message());
        if (m.name.empty()) m.name = m.path;
        m.path = path.value();
    }
    if (m.name.empty()) m.name = stem(m.path);
    return m;
}

result<engine_spec> engine_spec::from_yaml(const YAML::Node & n, const yaml_where & w) {
    engine_spec e;
    TTS_RETURN_IF_ERROR(expect_keys(n, w, {"threads", "kv_mib"}));
    if (n["threads"]) TTS_READ(e.threads, read_int(n["threads"], w.key("threads"), 1, 1024));
    if (n["kv_mib"]) TTS_READ(e.kv_mib, read_number(n["kv_mib"], w.key("kv_mib"), 1, 1 << 20));
    return e;
}

result<sampling_spec> sampling_spec::from_yaml(const YAML::Node & n, const yaml_where & w) {
    sampling_spec s;
    TTS_RETURN_IF_ERROR(expect_keys(n, w, {"temperature", "top_p", "top_k", "min_p", "max_tokens"}));
    if (n["temperature"]) TTS_READ(s.temperature, read_number(n["temperature"], w.key("temperature"), 0, 10));
    if (n["top_p"]) TTS_READ(s.top_p, read_number(n["top_p"], w.key("top_p"), 0, 1));
    if (n["top_k"]) TTS_READ(s.top_k, read_int(n["top_k"], w.key("top_k"), 0, 1 << 20));
    if (n["min_p"]) TTS_READ(s.min_p, read_number(n["min_p"], w.key("min_p"), 0, 1));
    if (n["max_tokens"]) TTS_READ(s.max_tokens, read_int(n["max_tokens"], w.key("max_tokens"), 1, 1 << 24));
    return s;
}

result<dataset_spec> dataset_spec::from_yaml(const YAML::Node & n, const yaml_where & w) {
    dataset_spec d;
    TTS_RETURN_IF_ERROR(expect_keys(n, w, {"name", "path", "fields", "subset", "grading"}));
    if (!n["path"]) return yaml_error(n, w, "missing required key path");
    TTS_READ(d.path, read_string(n["path"], w.key("path")));
    if (n["name"]) TTS_READ(d.name, read_string(n["name"], w.key("name")));
    if (d.name.empty()) d.name = dataset_name_of(d.path);
    if (n["fields"]) {
        TTS_READ(d.fields, fields_from_yaml(n["fields"], w.key("fields")));
    } else if (result<dataset_fields> f = try_known_fields(d.name); f.is_ok()) {
        d.fields = f.value();
    } else {
        return yaml_error(n, w, "missing key fields (\"" + d.name + "\" is not a known dataset: " + f.error().message() + ")");
    }
    if (n["subset"]) TTS_READ(d.subset, subset_from_yaml(n["subset"], w.key("subset")));
    if (n["grading"]) TTS_READ(d.fields.grading, grading_from_yaml(n["grading"], w.key("grading")));
    return d;
}

result<prompt_spec> prompt_spec::from_yaml(const YAML::Node & n, const yaml_where & w) {
    prompt_spec p;
    TTS_RETURN_IF_ERROR(expect_keys(n, w, {"system", "user", "answer_format"}));
    if (n["system"]) TTS_READ(p.system, read_string(n["system"], w.key("system")));
    if (n["user"]) TTS_READ(p.user, read_string(n["user"], w.key("user")));
    if (n["answer_format"]) TTS_READ(p.answer_format, read_string(n["answer_format"], w.key("answer_format")));
    if (p.user.find("{question}") == std::string::npos)
        return yaml_error(n["user"], w.key("user"), "the user template must contain {question}");
    return p;
}

std::string prompt_spec::render_user(const problem & p) const {
    std::string s = user;
    replace_all(s, "{answer_format}", answer_format);
    replace_all(s, "{question}", p.question);  // last, so a question's own braces stay as written
    return s;
}

result<budget_spec> budget_spec::from_yaml(const YAML::Node & n, const yaml_where & w) {
    budget_spec b;
    TTS_RETURN_IF_ERROR(expect_keys(n, w, {"max_tokens_total", "max_wall_seconds"}));
    if (n["max_tokens_total"]) TTS_READ(b.max_tokens_total, read_int(n["max_tokens_total"], w.key("max_tokens_total"), 0));
    if (n["max_wall_seconds"]) TTS_READ(b.max_wall_seconds, read_number(n["max_wall_seconds"], w.key("max_wall_seconds"), 0, 1e9));
    return b;
}

result<std::vector<strategy_spec>> strategy_spec::grid_from_yaml(const YAML::Node & n, const yaml_where & w) {
    std::string strategy, name;
    YAML::Node params;
    if (n.IsScalar()) {
        strategy = n.Scalar();
    } else {
        TTS_RETURN_IF_ERROR(expect_keys(n, w, {"strategy", "name", "params"}));
        if (!n["strategy"]) return yaml_error(n, w, "missing required key strategy");
        TTS_READ(strategy, read_string(n["strategy"], w.key("strategy")));
        if (n["name"]) TTS_READ(name, read_string(n["name"], w.key("name")));
        if (n["params"]) params = n["params"];   // assigning a missing key's node throws
    }
    if (strategy.empty()) return yaml_error(n, w, "the strategy name is empty");
    // One axis per parameter: a scalar is an axis of one value.
    std::vector<std::pair<std::string, std::vector<param_value>>> axes;
    if (params && !params.IsNull()) {
        const yaml_where pw = w.key("params");
        if (!params.IsMap()) return yaml_error(params, pw, "expected a mapping, got " + yaml_describe(params));
        for (auto it = params.begin(); it != params.end(); ++it) {
            const std::string key = it->first.Scalar();
            const yaml_where kw = pw.key(key);
            std::vector<YAML::Node> items;
            if (it->second.IsSequence()) {
                if (it->second.size() == 0) return yaml_error(it->second, kw, "an empty grid axis");
                for (size_t i = 0; i < it->second.size(); ++i) items.push_back(it->second[i]);
            } else {
                items.push_back(it->second);
            }
            std::vector<param_value> values;
            for (size_t i = 0; i < items.size(); ++i) {
                const yaml_where iw = it->second.IsSequence() ? kw.index(i) : kw;
                param_value v;
                if (is_count_param(key)) TTS_READ(v, read_int(items[i], iw, 1));
                else TTS_READ(v, read_param_value(items[i], iw));
                values.push_back(std::move(v));
            }
            axes.emplace_back(key, std::move(values));
        }
    }
    std::vector<strategy_spec> out{strategy_spec{"", strategy, {}, ""}};
    bool is_grid = false;
    for (auto & [key, values] : axes) {
        is_grid = is_grid || values.size() > 1;
        std::vector<strategy_spec> next;
        for (const strategy_spec & s : out)
            for (const param_value & v : values) {
                strategy_spec t = s;
                t.params.push_back({key, v});
                next.push_back(std::move(t));
            }
        out = std::move(next);
    }
    std::string where = w.file;
    if (n.Mark().line >= 0) where += fmt::format(":{}:{}", n.Mark().line + 1, n.Mark().column + 1);
    where += ": " + w.path;
    for (strategy_spec & s : out) {
        s.where = where;
        std::string args;
        for (const strategy_param & p : s.params) args += (args.empty() ? "" : ",") + p.key + "=" + to_string(p.value);
        if (!name.empty() && !is_grid) s.label = name;
        else s.label = (name.empty() ? strategy : name) + (args.empty() ? "" : "(" + args + ")");
    }
    return out;
}

std::string strategy_spec::params_json() const {
    json::object o;
    for (const strategy_param & p : params) o[p.key] = to_json(p.value);
    return json::serialize(o);
}

result<sweep_config> sweep_config::from_yaml(const YAML::Node & n, const yaml_where & w) {
    sweep_config c;
    TTS_RETURN_IF_ERROR(expect_keys(n, w, {"name", "model", "models", "engine", "sampling", "datasets", "prompt",
                                           "strategies", "seeds", "budget", "store_text", "db"}));
    if (n["name"]) TTS_READ(c.name, read_string(n["name"], w.key("name")));
    if (n["model"] && n["models"]) return yaml_error(n["models"], w.key("models"), "give either model or models, not both");
    if (n["model"]) {
        model_spec m;
        TTS_READ(m, model_spec::from_yaml(n["model"], w.key("model")));
        c.models.push_back(std::move(m));
    } else if (n["models"]) {
        TTS_RETURN_IF_ERROR(expect_sequence(n["models"], w.key("models")));
        for (size_t i = 0; i < n["models"].size(); ++i) {
            model_spec m;
            TTS_READ(m, model_spec::from_yaml(n["models"][i], w.key("models").index(i)));
            c.models.push_back(std::move(m));
        }
    }
    if (c.models.empty()) return yaml_error(n, w, "missing required key model (or a non-empty models list)");
    if (n["engine"]) TTS_READ(c.engine, engine_spec::from_yaml(n["engine"], w.key("engine")));
    if (n["sampling"]) TTS_READ(c.sampling, sampling_spec::from_yaml(n["sampling"], w.key("sampling")));
    if (n["prompt"]) TTS_READ(c.prompt, prompt_spec::from_yaml(n["prompt"], w.key("prompt")));
    if (n["budget"]) TTS_READ(c.budget, budget_spec::from_yaml(n["budget"], w.key("budget")));
    if (n["store_text"]) TTS_READ(c.keep_text, read_bool(n["store_text"], w.key("store_text")));
    if (n["db"]) TTS_READ(c.db, read_string(n["db"], w.key("db")));

    if (!n["datasets"]) return yaml_error(n, w, "missing required key datasets");
    TTS_RETURN_IF_ERROR(expect_sequence(n["datasets"], w.key("datasets")));
    std::set<std::string> names;
    for (size_t i = 0; i < n["datasets"].size(); ++i) {
        dataset_spec d;
        TTS_READ(d, dataset_spec::from_yaml(n["datasets"][i], w.key("datasets").index(i)));
        if (!names.insert(d.name).second)
            return yaml_error(n["datasets"][i], w.key("datasets").index(i), "duplicate dataset name \"" + d.name + "\"");
        c.datasets.push_back(std::move(d));
    }
    if (c.datasets.empty()) return yaml_error(n["datasets"], w.key("datasets"), "expected at least one dataset");

    if (!n["strategies"]) return yaml_error(n, w, "missing required key strategies");
    TTS_RETURN_IF_ERROR(expect_sequence(n["strategies"], w.key("strategies")));
    names.clear();
    for (size_t i = 0; i < n["strategies"].size(); ++i) {
        std::vector<strategy_spec> grid;
        TTS_READ(grid, strategy_spec::grid_from_yaml(n["strategies"][i], w.key("strategies").index(i)));
        for (strategy_spec & s : grid) {
            if (!names.insert(s.label).second)
                return yaml_error(n["strategies"][i], w.key("strategies").index(i),
                                  "duplicate strategy config \"" + s.label + "\" (give it a distinct name:)");
            c.strategies.push_back(std::move(s));
        }
    }
    if (c.strategies.empty()) return yaml_error(n["strategies"], w.key("strategies"), "expected at least one strategy");

    if (n["seeds"]) {
        const yaml_where sw = w.key("seeds");
        TTS_RETURN_IF_ERROR(expect_sequence(n["seeds"], sw));
        c.seeds.clear();
        std::set<uint64_t> seen;
        for (size_t i = 0; i < n["seeds"].size(); ++i) {
            int64_t s = 0;
            TTS_READ(s, read_int(n["seeds"][i], sw.index(i), 0));
            if (!seen.insert(uint64_t(s)).second) return yaml_error(n["seeds"][i], sw.index(i), "duplicate seed");
            c.seeds.push_back(uint64_t(s));
        }
        if (c.seeds.empty()) return yaml_error(n["seeds"], sw, "expected at least one seed");
    }
    return c;
}

std::string sweep_config::canonical_json() const {
    json::object o;
    o["name"] = name;
    json::array models_j;
    for (const model_spec & m : models) models_j.push_back(json::object{{"name", m.name}, {"path", m.path}});
    o["models"] = std::move(models_j);
    o["engine"] = json::object{{"threads", engine.threads}, {"kv_mib", engine.kv_mib}};
    o["sampling"] = json::object{{"temperature", sampling.temperature}, {"top_p", sampling.top_p}, {"top_k", sampling.top_k},
                                 {"min_p", sampling.min_p}, {"max_tokens", sampling.max_tokens}};
    json::array ds;
    for (const dataset_spec & d : datasets) {
        const char * how = d.subset.how == subset_spec::mode::all ? "all" : d.subset.how == subset_spec::mode::first ? "first" : "random";
        ds.push_back(json::object{{"name", d.name}, {"path", d.path},
                                  {"question", d.fields.question_field}, {"answer", d.fields.answer_field},
                                  {"kind", d.fields.kind == answer_kind::plain ? "plain" : "gsm8k_hash"},
                                  {"grading", to_string(d.fields.grading)},
                                  {"subset", how}, {"n", d.subset.n}, {"seed", d.subset.seed}});
    }
    o["datasets"] = std::move(ds);
    o["prompt"] = json::object{{"system", prompt.system}, {"user", prompt.user}, {"answer_format", prompt.answer_format}};
    json::array ss;
    for (const strategy_spec & s : strategies) {
        json::object params;   // built directly: a parse of params_json() could throw
        for (const strategy_param & p : s.params) params[p.key] = to_json(p.value);
        ss.push_back(json::object{{"label", s.label}, {"strategy", s.strategy}, {"params", std::move(params)}});
    }
    o["strategies"] = std::move(ss);
    o["seeds"] = json::value_from(seeds);
    o["budget"] = json::object{{"max_tokens_total", budget.max_tokens_total}, {"max_wall_seconds", budget.max_wall_seconds}};
    o["store_text"] = keep_text;
    return json::serialize(o);
}

std::string sweep_config::hash() const {
    const std::string j = canonical_json();
    return fmt::format("{:016x}", XXH3_64bits(j.data(), j.size()));
}

std::string sweep_config::default_db_path() const { return db.empty() ? "results/" + name + ".db" : db; }

status check_strategies(const sweep_config & c, const strategy_checker & check) {
    const strategy_budgets b{c.sampling.max_tokens, c.budget.max_tokens_total};
    for (const strategy_spec & s : c.strategies)
        if (status st = check(s, b); !st.is_ok())
            return status::invalid_argument(s.where + " \"" + s.label + "\": " + st.message());
    return status::ok();
}

result<sweep_config> try_parse_sweep_config(std::string_view text, std::string_view name) {
    // YAML is UTF-8; an invalid byte would reach names, keys and the canonical JSON.
    for (size_t i = 0; i < text.size();) {
        const size_t n = model::utf8_sequence_length(text.substr(i));
        if (n > 0) {
            i += n;
            continue;
        }
        const int64_t line = 1 + std::count(text.begin(), text.begin() + ptrdiff_t(i), '\n');
        return status::invalid_argument(fmt::format("{}:{}: invalid UTF-8 (byte 0x{:02X})", name, line, uint8_t(text[i])));
    }
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception & e) {
        return status::invalid_argument(fmt::format("{}:{}:{}: {}", name, e.mark.line + 1, e.mark.column + 1, e.msg));
    }
    try {
        result<sweep_config> c = sweep_config::from_yaml(root, yaml_where{std::string(name), ""});
        if (c) c.value().source_text = std::string(text);
        return c;
    } catch (const YAML::Exception & e) {   // a yaml-cpp corner the readers did not foresee
        return status::invalid_argument(fmt::format("{}:{}:{}: {}", name, e.mark.line + 1, e.mark.column + 1, e.msg));
    }
}

result<sweep_config> try_read_sweep_config(const std::string & path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return status::not_found("cannot open sweep config " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return try_parse_sweep_config(ss.str(), path);
}

}  // namespace tts::eval
