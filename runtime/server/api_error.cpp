// api_error: kinds -> HTTP statuses and OpenAI error objects.
#include "runtime/server/api_error.h"

namespace tts::server {

namespace http = boost::beast::http;

http::status http_status_of(error_kind k) {
    switch (k) {
    case error_kind::invalid_request: return http::status::bad_request;
    case error_kind::unauthorized: return http::status::unauthorized;
    case error_kind::not_found: return http::status::not_found;
    case error_kind::method_not_allowed: return http::status::method_not_allowed;
    case error_kind::payload_too_large: return http::status::payload_too_large;
    case error_kind::queue_full: return http::status::too_many_requests;
    case error_kind::internal: return http::status::internal_server_error;
    case error_kind::unavailable: return http::status::service_unavailable;
    }
    return http::status::internal_server_error;
}

const char * openai_error_type(error_kind k) {
    switch (k) {
    case error_kind::invalid_request:
    case error_kind::method_not_allowed:
    case error_kind::payload_too_large: return "invalid_request_error";
    case error_kind::unauthorized: return "authentication_error";
    case error_kind::not_found: return "not_found_error";
    case error_kind::queue_full: return "rate_limit_error";
    case error_kind::internal: return "server_error";
    case error_kind::unavailable: return "service_unavailable_error";
    }
    return "server_error";
}

api_error from_status(const status & s, std::string param) {
    error_kind k = error_kind::internal;
    switch (s.code()) {
    case status_code::ok:
    case status_code::internal: k = error_kind::internal; break;
    case status_code::invalid_argument:
    case status_code::not_found: k = error_kind::invalid_request; break;   // an unknown strategy is a bad request
    case status_code::resource_exhausted: k = error_kind::queue_full; break;
    case status_code::cancelled:
    case status_code::unavailable: k = error_kind::unavailable; break;
    }
    return {k, s.message(), std::move(param)};
}

boost::json::object to_json(const api_error & e) {
    boost::json::object inner;
    inner["message"] = e.message;
    inner["type"] = openai_error_type(e.kind);
    inner["param"] = e.param.empty() ? boost::json::value(nullptr) : boost::json::value(e.param);
    inner["code"] = nullptr;
    boost::json::object o;
    o["error"] = std::move(inner);
    return o;
}

}  // namespace tts::server
