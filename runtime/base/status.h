// status and result<T>: expected failures as values (STYLE.md R4, tier 2).
//
// A status is a code plus a message; the OK path holds no message and does not
// allocate. result<T> carries either a T or a non-OK status. Neither throws.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "runtime/base/check.h"

namespace tts {

enum class status_code { ok, invalid_argument, not_found, resource_exhausted, cancelled, unavailable, internal };

class status {
public:
    status() = default;
    static status ok() { return {}; }
    static status invalid_argument(std::string m) { return {status_code::invalid_argument, std::move(m)}; }
    static status not_found(std::string m) { return {status_code::not_found, std::move(m)}; }
    static status resource_exhausted(std::string m) { return {status_code::resource_exhausted, std::move(m)}; }
    static status cancelled(std::string m) { return {status_code::cancelled, std::move(m)}; }
    static status unavailable(std::string m) { return {status_code::unavailable, std::move(m)}; }
    static status internal(std::string m) { return {status_code::internal, std::move(m)}; }

    bool is_ok() const { return code_ == status_code::ok; }
    status_code code() const { return code_; }
    const std::string & message() const { return message_; }

private:
    status(status_code c, std::string m) : code_(c), message_(std::move(m)) {}
    status_code code_ = status_code::ok;
    std::string message_;
};

// result<T>: a T, or the status that explains why there is none.
template <typename T>
class result {
public:
    result(T value) : v_(std::move(value)) {}
    result(status s) : v_(std::move(s)) { TTS_CHECK(!std::get<status>(v_).is_ok(), "result built from an OK status"); }

    bool is_ok() const { return v_.index() == 0; }
    explicit operator bool() const { return is_ok(); }

    // REQUIRES: is_ok().
    T & value() & { TTS_CHECK(is_ok(), "value() on error: %s", error().message().c_str()); return std::get<0>(v_); }
    const T & value() const & { TTS_CHECK(is_ok(), "value() on error: %s", error().message().c_str()); return std::get<0>(v_); }
    T && value() && { TTS_CHECK(is_ok(), "value() on error: %s", error().message().c_str()); return std::get<0>(std::move(v_)); }
    T * operator->() { return &value(); }
    const T * operator->() const { return &value(); }
    T & operator*() & { return value(); }

    // REQUIRES: !is_ok().
    const status & error() const { return std::get<1>(v_); }

private:
    std::variant<T, status> v_;
};

}  // namespace tts
