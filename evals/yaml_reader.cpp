// yaml_reader: located scalar parsing; numbers through std::from_chars so "1e3x" is rejected.
#include "evals/yaml_reader.h"

#include <charconv>
#include <cmath>
#include <optional>

#include <fmt/format.h>

namespace tts::eval {
namespace {

bool is_quoted(const YAML::Node & n) { return n.Tag() == "!"; }

std::optional<int64_t> parse_int(const std::string & s) {
    int64_t v = 0;
    const char * b = s.data() + (s.starts_with('+') ? 1 : 0);
    auto [end, ec] = std::from_chars(b, s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || b == end) return std::nullopt;
    return v;
}

std::optional<double> parse_double(const std::string & s) {
    double v = 0;
    const char * b = s.data() + (s.starts_with('+') ? 1 : 0);
    auto [end, ec] = std::from_chars(b, s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || b == end || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::string fmt_bound(double v) { return fmt::format("{}", v); }

}  // namespace

yaml_where yaml_where::key(std::string_view k) const {
    return {file, path.empty() ? std::string(k) : path + "." + std::string(k)};
}

yaml_where yaml_where::index(size_t i) const { return {file, path + "[" + std::to_string(i) + "]"}; }

status yaml_error(const YAML::Node & node, const yaml_where & w, std::string_view reason) {
    std::string where = w.file;
    if (node.IsDefined()) {
        const YAML::Mark m = node.Mark();
        if (m.line >= 0) where += fmt::format(":{}:{}", m.line + 1, m.column + 1);
    }
    return status::invalid_argument(fmt::format("{}: {}{}{}", where, w.path, w.path.empty() ? "" : ": ", reason));
}

std::string yaml_describe(const YAML::Node & n) {
    if (!n.IsDefined() || n.IsNull()) return "null";
    if (n.IsMap()) return "a mapping";
    if (n.IsSequence()) return "a sequence";
    return "\"" + n.Scalar() + "\"";
}

status expect_keys(const YAML::Node & node, const yaml_where & w, std::initializer_list<std::string_view> allowed) {
    if (!node.IsMap()) return yaml_error(node, w, "expected a mapping, got " + yaml_describe(node));
    for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar()) return yaml_error(it->first, w, "keys must be plain names");
        const std::string & k = it->first.Scalar();
        bool ok = false;
        for (std::string_view a : allowed) ok = ok || a == k;
        if (!ok) {
            std::string list;
            for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
            return yaml_error(it->first, w.key(k), "unknown key (allowed: " + list + ")");
        }
    }
    return status::ok();
}

status expect_sequence(const YAML::Node & node, const yaml_where & w) {
    if (!node.IsSequence()) return yaml_error(node, w, "expected a sequence, got " + yaml_describe(node));
    return status::ok();
}

result<int64_t> read_int(const YAML::Node & n, const yaml_where & w, int64_t min, int64_t max) {
    std::string want = "expected integer";
    if (min != INT64_MIN && max != INT64_MAX) want += fmt::format(" in [{}, {}]", min, max);
    else if (min != INT64_MIN) want += fmt::format(" >= {}", min);
    else if (max != INT64_MAX) want += fmt::format(" <= {}", max);
    if (!n.IsScalar() || is_quoted(n)) return yaml_error(n, w, want + ", got " + yaml_describe(n));
    std::optional<int64_t> v = parse_int(n.Scalar());
    if (!v || *v < min || *v > max) return yaml_error(n, w, want + ", got " + yaml_describe(n));
    return *v;
}

result<double> read_number(const YAML::Node & n, const yaml_where & w, double min, double max) {
    const std::string want = "expected number in [" + fmt_bound(min) + ", " + fmt_bound(max) + "]";
    if (!n.IsScalar() || is_quoted(n)) return yaml_error(n, w, want + ", got " + yaml_describe(n));
    std::optional<double> v = parse_double(n.Scalar());
    if (!v || *v < min || *v > max) return yaml_error(n, w, want + ", got " + yaml_describe(n));
    return *v;
}

result<bool> read_bool(const YAML::Node & n, const yaml_where & w) {
    if (n.IsScalar() && !is_quoted(n)) {
        if (n.Scalar() == "true") return true;
        if (n.Scalar() == "false") return false;
    }
    return yaml_error(n, w, "expected true or false, got " + yaml_describe(n));
}

result<std::string> read_string(const YAML::Node & n, const yaml_where & w) {
    if (!n.IsScalar()) return yaml_error(n, w, "expected a string, got " + yaml_describe(n));
    return n.Scalar();
}

result<param_value> read_param_value(const YAML::Node & n, const yaml_where & w) {
    if (!n.IsScalar()) return yaml_error(n, w, "expected a scalar (number, true/false or string), got " + yaml_describe(n));
    const std::string & s = n.Scalar();
    if (is_quoted(n)) return param_value{s};
    if (std::optional<int64_t> i = parse_int(s)) return param_value{*i};
    if (std::optional<double> d = parse_double(s)) return param_value{*d};
    if (s == "true" || s == "false") return param_value{s == "true"};
    return param_value{s};
}

std::string to_string(const param_value & v) {
    struct visitor {
        std::string operator()(int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const { return fmt::format("{}", d); }
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(const std::string & s) const { return s; }
    };
    return std::visit(visitor{}, v);
}

}  // namespace tts::eval
