#include "runtime/server/completion_request.h"

#include <doctest/doctest.h>

using namespace tts;
using namespace tts::server;

namespace {

// Parses `body`; returns the error ("" when it parsed), so a broken check shows up as a
// wrong or missing field name in the message.
std::string error_of(const std::string & body, endpoint kind = endpoint::chat, completion_request * out = nullptr) {
    completion_request r;
    auto e = parse_completion_request(body, kind, request_limits{}, r);
    if (out) *out = r;
    return e ? e->param + " | " + e->message : "";
}

const std::string msgs = R"("messages": [{"role": "user", "content": "hi"}])";

}  // namespace

TEST_CASE("a well-formed chat request parses into its fields") {
    completion_request r;
    REQUIRE(error_of(R"({"model": "m", )" + msgs +
                         R"(, "max_tokens": 16, "temperature": 0.5, "top_p": 0.9, "n": 3, "stop": ["\n\n", "END"],
                            "seed": 7, "logprobs": true, "top_logprobs": 2, "stream": true,
                            "stream_options": {"include_usage": true}, "user": "u1"})",
                     endpoint::chat, &r) == "");
    CHECK(r.model == "m");
    REQUIRE(r.messages.size() == 1);
    CHECK(r.messages[0].role == "user");
    CHECK(r.messages[0].content == "hi");
    CHECK(r.max_tokens == 16);
    CHECK(*r.temperature == doctest::Approx(0.5));
    CHECK(*r.top_p == doctest::Approx(0.9));
    CHECK(r.n == 3);
    CHECK(r.stop == std::vector<std::string>{"\n\n", "END"});
    CHECK(r.seed == 7u);
    CHECK(r.logprobs);
    CHECK(r.top_logprobs == 2);
    CHECK(r.stream);
    CHECK(r.include_usage);
    CHECK(!r.strategy);
}

TEST_CASE("content as text parts, developer as system, max_completion_tokens") {
    completion_request r;
    REQUIRE(error_of(R"({"messages": [{"role": "developer", "content": "be brief"},
                                      {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
                         "max_completion_tokens": 5})",
                     endpoint::chat, &r) == "");
    CHECK(r.messages[0].role == "system");
    CHECK(r.messages[1].content == "ab");
    CHECK(r.max_tokens == 5);
}

TEST_CASE("completions take a string, strings, or token ids") {
    completion_request r;
    REQUIRE(error_of(R"({"prompt": "once upon"})", endpoint::completions, &r) == "");
    CHECK(std::get<std::string>(r.prompts.at(0)) == "once upon");
    REQUIRE(error_of(R"({"prompt": ["a", "b"], "logprobs": 3})", endpoint::completions, &r) == "");
    CHECK(r.prompts.size() == 2);
    CHECK(r.logprobs);
    CHECK(r.top_logprobs == 3);
    REQUIRE(error_of(R"({"prompt": [1, 2, 3]})", endpoint::completions, &r) == "");
    CHECK(std::get<std::vector<int32_t>>(r.prompts.at(0)) == std::vector<int32_t>{1, 2, 3});
}

TEST_CASE("bad input names the field") {
    CHECK(error_of("{not json").find("invalid JSON") != std::string::npos);
    CHECK(error_of("[1, 2]").find("must be a JSON object") != std::string::npos);
    CHECK(error_of("{}").starts_with("messages | messages: required"));
    CHECK(error_of(R"({"messages": []})").starts_with("messages |"));
    CHECK(error_of(R"({"messages": ["hi"]})").starts_with("messages[0] |"));
    CHECK(error_of(R"({"messages": [{"role": "robot", "content": "x"}]})").starts_with("messages[0].role |"));
    CHECK(error_of(R"({"messages": [{"role": "user", "content": 5}]})").starts_with("messages[0].content |"));
    CHECK(error_of(R"({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})").starts_with("messages[0].content[0] |"));
    CHECK(error_of(R"({"messages": [{"role": "user", "content": "x", "extra": 1}]})").starts_with("messages[0].extra |"));
    CHECK(error_of("{" + msgs + R"(, "max_tokens": "ten"})").starts_with("max_tokens | max_tokens: expected an integer"));
    CHECK(error_of("{" + msgs + R"(, "max_tokens": 0})").starts_with("max_tokens |"));
    CHECK(error_of("{" + msgs + R"(, "temperature": 3})").starts_with("temperature |"));
    CHECK(error_of("{" + msgs + R"(, "temperature": "hot"})").starts_with("temperature |"));
    CHECK(error_of("{" + msgs + R"(, "top_p": -0.1})").starts_with("top_p |"));
    CHECK(error_of("{" + msgs + R"(, "n": 17})").starts_with("n | n: expected an integer in [1, 16]"));
    CHECK(error_of("{" + msgs + R"(, "stream": "yes"})").starts_with("stream |"));
    CHECK(error_of("{" + msgs + R"(, "stream_options": {"include_usage": 1}})").starts_with("stream_options.include_usage |"));
    CHECK(error_of("{" + msgs + R"(, "stop": [1]})").starts_with("stop |"));
    CHECK(error_of("{" + msgs + R"(, "stop": [""]})").starts_with("stop |"));
    CHECK(error_of("{" + msgs + R"(, "top_logprobs": 2})").starts_with("top_logprobs | top_logprobs: requires logprobs"));
    CHECK(error_of("{" + msgs + R"(, "top_logprobs": 21, "logprobs": true})").starts_with("top_logprobs |"));
    CHECK(error_of("{" + msgs + R"(, "frequency_penalty": 0.5})").starts_with("frequency_penalty |"));
    CHECK(error_of("{" + msgs + R"(, "tools": [{"type": "function"}]})").starts_with("tools |"));
    CHECK(error_of("{" + msgs + R"(, "bogus": 1})").starts_with("bogus | unrecognized request argument"));
    CHECK(error_of(R"({"prompt": 5})", endpoint::completions).starts_with("prompt |"));
    CHECK(error_of(R"({"prompt": [-1]})", endpoint::completions).starts_with("prompt |"));
    CHECK(error_of(R"({"prompt": "x", "echo": true})", endpoint::completions).starts_with("echo |"));
    CHECK(error_of(R"({"prompt": "x", "best_of": 3})", endpoint::completions).starts_with("best_of |"));
}

TEST_CASE("strategy: same names and parameters as `ttscale run`, checked up front") {
    completion_request r;
    REQUIRE(error_of("{" + msgs + R"(, "strategy": {"name": "short_m_at_k", "k": 8, "m": 3, "temperature": 0.6}})",
                     endpoint::chat, &r) == "");
    REQUIRE(r.strategy);
    CHECK(r.strategy->name == "short_m_at_k");
    CHECK(r.strategy->params.at("k") == "8");
    CHECK(r.strategy->params.at("temperature") == "0.6");
    CHECK(error_of("{" + msgs + R"(, "strategy": {"name": "nope"}})").find("unknown strategy \"nope\"") != std::string::npos);
    CHECK(error_of("{" + msgs + R"(, "strategy": {"name": "short_m_at_k", "mm": 3}})").find("unknown parameter \"mm\"") != std::string::npos);
    CHECK(error_of("{" + msgs + R"(, "strategy": {"name": "short_m_at_k", "m": "three"}})").find("short_m_at_k.m") != std::string::npos);
    CHECK(error_of("{" + msgs + R"(, "strategy": {"name": "self_consistency", "k": 65}})").starts_with("strategy.k | strategy.k: at most 64"));
    CHECK(error_of("{" + msgs + R"(, "strategy": {"name": "self_consistency", "top_p": 2}})").find("session.top_p") != std::string::npos);
    CHECK(error_of("{" + msgs + R"(, "strategy": {"k": 4}})").starts_with("strategy.name |"));
    CHECK(error_of("{" + msgs + R"(, "strategy": {"name": "self_consistency", "k": [4]}})").starts_with("strategy.k |"));
    CHECK(error_of("{" + msgs + R"(, "strategy": {"name": "deepprune", "judge": "model", "judge_model": "/etc/passwd"}})")
              .starts_with("strategy.judge_model |"));
    CHECK(error_of("{" + msgs + R"(, "n": 2, "strategy": {"name": "single"}})").starts_with("n |"));
    CHECK(error_of("{" + msgs + R"(, "logprobs": true, "strategy": {"name": "single"}})").starts_with("logprobs |"));
}
