// json_fields: type and range checks with field-naming errors.
#include "runtime/server/json_fields.h"

#include <algorithm>
#include <cmath>

#include <boost/json/serialize.hpp>

namespace tts::server {

std::string json_excerpt(const boost::json::value & v) {
    std::string s = boost::json::serialize(v);
    if (s.size() > 40) s = s.substr(0, 37) + "...";
    return s;
}

const char * json_kind_name(const boost::json::value & v) {
    switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64: return "an integer";
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::object: return "an object";
    }
    return "a value";
}

void json_fields::fail(std::string_view key, std::string message) {
    if (error_) return;
    error_ = api_error::invalid(path(key), path(key) + ": " + message);
}

const boost::json::value * json_fields::raw(std::string_view key) {
    read_.emplace_back(key);
    const boost::json::value * v = o_.if_contains(key);
    return v && !v->is_null() ? v : nullptr;
}

std::optional<std::string> json_fields::str(std::string_view key) {
    const boost::json::value * v = raw(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
        fail(key, std::string("expected a string, got ") + json_kind_name(*v) + " " + json_excerpt(*v));
        return std::nullopt;
    }
    return std::string(v->get_string());
}

std::optional<bool> json_fields::boolean(std::string_view key) {
    const boost::json::value * v = raw(key);
    if (!v) return std::nullopt;
    if (!v->is_bool()) {
        fail(key, std::string("expected a boolean, got ") + json_kind_name(*v) + " " + json_excerpt(*v));
        return std::nullopt;
    }
    return v->get_bool();
}

std::optional<int64_t> json_fields::integer(std::string_view key, int64_t lo, int64_t hi) {
    const boost::json::value * v = raw(key);
    if (!v) return std::nullopt;
    std::optional<int64_t> x;
    if (v->is_int64()) x = v->get_int64();
    else if (v->is_uint64() && v->get_uint64() <= uint64_t(INT64_MAX)) x = int64_t(v->get_uint64());
    else if (v->is_double() && std::floor(v->get_double()) == v->get_double() && std::abs(v->get_double()) < 9e15)
        x = int64_t(v->get_double());   // 8.0 is an integer in JSON's eyes
    if (!x || *x < lo || *x > hi) {
        fail(key, "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                      json_excerpt(*v));
        return std::nullopt;
    }
    return x;
}

std::optional<double> json_fields::number(std::string_view key, double lo, double hi) {
    const boost::json::value * v = raw(key);
    if (!v) return std::nullopt;
    std::optional<double> x;
    if (v->is_number()) x = v->to_number<double>();
    if (!x || !std::isfinite(*x) || *x < lo || *x > hi) {
        auto num = [](double d) {
            std::string s = std::to_string(d);
            s.erase(s.find_last_not_of('0') + 1);
            if (!s.empty() && s.back() == '.') s.pop_back();
            return s;
        };
        fail(key, "expected a number in [" + num(lo) + ", " + num(hi) + "], got " + json_excerpt(*v));
        return std::nullopt;
    }
    return x;
}

std::optional<api_error> json_fields::finish() const {
    if (error_) return error_;
    for (const auto & [k, v] : o_) {
        if (std::find(read_.begin(), read_.end(), std::string_view(k)) != read_.end()) continue;
        return api_error::invalid(path(k), "unrecognized request argument supplied: " + path(k));
    }
    return std::nullopt;
}

}  // namespace tts::server
