// json_fields: typed reads of one JSON object's fields, each error naming the field.
//
// The request parsers read every field they know through a json_fields, which checks the type
// and range and remembers the first error (naming the full field path, e.g. "stream_options.
// include_usage: expected a boolean, got \"yes\""); finish() then also rejects fields nobody
// read, as OpenAI does ("unrecognized request argument"). A JSON null reads as absent.
// Plain value over a borrowed object; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "runtime/server/api_error.h"

namespace tts::server {

class json_fields {
public:
    // `prefix` is prepended to field names in errors ("" at the top level, "strategy." inside).
    json_fields(const boost::json::object & o, std::string prefix = {}) : o_(o), prefix_(std::move(prefix)) {}

    // Each returns nullopt when the field is absent or null, or when it is wrong (then error()).
    std::optional<std::string> str(std::string_view key);
    std::optional<bool> boolean(std::string_view key);
    std::optional<int64_t> integer(std::string_view key, int64_t lo, int64_t hi);
    std::optional<double> number(std::string_view key, double lo, double hi);
    // The raw value (marks the field as read); nullptr when absent or null.
    const boost::json::value * raw(std::string_view key);
    // Marks fields accepted and ignored (user, metadata, ...).
    void ignore(std::string_view key) { (void)raw(key); }

    // Records an error about `key` (the first one wins).
    void fail(std::string_view key, std::string message);
    bool ok() const { return !error_; }
    // The first error, else the first field nobody read, else nullopt.
    std::optional<api_error> finish() const;

    std::string path(std::string_view key) const { return prefix_ + std::string(key); }

private:
    const boost::json::object & o_;
    std::string prefix_;
    std::vector<std::string> read_;
    std::optional<api_error> error_;
};

// A short rendering of a JSON value for error messages (cut at 40 characters).
std::string json_excerpt(const boost::json::value & v);
// "a string", "an array", ... for error messages.
const char * json_kind_name(const boost::json::value & v);

}  // namespace tts::server
