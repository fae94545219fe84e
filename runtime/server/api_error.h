// api_error: every failure a client can see, and the one place that picks its HTTP status.
//
// Handlers return an api_error (a kind, a message, and the request field it is about) instead
// of choosing status codes themselves; http_status_of() is the only function that maps a kind
// to an HTTP status (STYLE R4), and to_json() writes OpenAI's error object:
//   {"error": {"message": "...", "type": "invalid_request_error", "param": "messages", "code": null}}
// I/O errors (asio error_code) become an api_error or a dropped connection in http_session;
// runtime statuses become api_errors through from_status(). Plain values; any thread.
#pragma once

#include <string>

#include <boost/beast/http/status.hpp>
#include <boost/json/object.hpp>

#include "runtime/base/status.h"

namespace tts::server {

enum class error_kind {
    invalid_request,     // malformed JSON, wrong types, bad values, prompt too long (400)
    unauthorized,        // missing or wrong API key (401)
    not_found,           // unknown path or request id (404)
    method_not_allowed,  // known path, wrong method (405)
    payload_too_large,   // body over --max-body-bytes (413)
    queue_full,          // --max-queue requests already in flight (429)
    internal,            // a bug or an unexpected runtime failure (500)
    unavailable,         // shutting down (503)
};

struct api_error {
    error_kind kind = error_kind::internal;
    std::string message;
    std::string param;   // the request field it is about ("messages[1].content"); "" if none

    static api_error invalid(std::string param, std::string message) {
        return {error_kind::invalid_request, std::move(message), std::move(param)};
    }
};

// The HTTP status of each kind: the one place status codes are chosen.
boost::beast::http::status http_status_of(error_kind k);
// OpenAI's error "type" string for a kind ("invalid_request_error", "authentication_error", ...).
const char * openai_error_type(error_kind k);
// A runtime status as seen by a client (invalid_argument -> invalid_request, ...).
// REQUIRES: !s.is_ok().
api_error from_status(const status & s, std::string param = {});
// {"error": {...}}.
boost::json::object to_json(const api_error & e);

}  // namespace tts::server
