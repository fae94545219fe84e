#include "runtime/server/api_error.h"

#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

using namespace tts;
using namespace tts::server;
namespace http = boost::beast::http;

TEST_CASE("each kind has its HTTP status, chosen in one function") {
    CHECK(http_status_of(error_kind::invalid_request) == http::status::bad_request);
    CHECK(http_status_of(error_kind::unauthorized) == http::status::unauthorized);
    CHECK(http_status_of(error_kind::not_found) == http::status::not_found);
    CHECK(http_status_of(error_kind::method_not_allowed) == http::status::method_not_allowed);
    CHECK(http_status_of(error_kind::payload_too_large) == http::status::payload_too_large);
    CHECK(http_status_of(error_kind::queue_full) == http::status::too_many_requests);
    CHECK(http_status_of(error_kind::internal) == http::status::internal_server_error);
    CHECK(http_status_of(error_kind::unavailable) == http::status::service_unavailable);
}

TEST_CASE("runtime statuses map to client errors") {
    CHECK(from_status(status::invalid_argument("x")).kind == error_kind::invalid_request);
    CHECK(from_status(status::not_found("unknown strategy")).kind == error_kind::invalid_request);
    CHECK(from_status(status::resource_exhausted("full")).kind == error_kind::queue_full);
    CHECK(from_status(status::internal("bug")).kind == error_kind::internal);
}

TEST_CASE("the error object has OpenAI's shape") {
    const std::string s = boost::json::serialize(to_json(api_error::invalid("messages", "messages: required")));
    CHECK(s == R"({"error":{"message":"messages: required","type":"invalid_request_error","param":"messages","code":null}})");
}
