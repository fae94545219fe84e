// Real completions of the shipped models, labelled by hand (tests/data/answers/README.md):
// try_extract_answer must give each one's expected answer. Where the label and the extractor
// knowingly disagree, the row records what the extractor says (`known_miss`) and why; the test
// then pins that value, so an extractor change that fixes or moves a miss shows up here too.
// Breaking the extractor (prose keys, last number of the sentence, mixed numbers, signs) turns
// rows of this table red.
#include <fstream>
#include <set>
#include <string>

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include "strategies/answer/equivalent.h"
#include "strategies/answer/extract.h"

using namespace tts::strategy;
namespace json = boost::json;

namespace {

constexpr const char * k_fixture = "tests/data/answers/real_outputs.jsonl";

std::string key_or_none(const std::string & answer) { return answer == "none" ? "none" : answer_key(answer); }

std::string string_field(const json::object & o, const char * name, size_t line) {
    const json::value * v = o.if_contains(name);
    INFO(k_fixture, ":", line, ": field ", name);
    REQUIRE_MESSAGE((v && v->is_string()), "missing or not a string");
    return std::string(v->as_string());
}

}  // namespace

TEST_CASE("extract: hand-labelled real outputs of the shipped models") {
    std::ifstream in(k_fixture);
    REQUIRE_MESSAGE(in.good(), "cannot open ", k_fixture, " (run the test from the repository root)");
    std::string text;
    size_t line = 0, n_rows = 0, n_qwen = 0, n_truncated = 0, n_known_miss = 0;
    std::set<std::string> models;
    while (std::getline(in, text)) {
        ++line;
        if (text.empty()) continue;
        boost::system::error_code ec;
        json::value v = json::parse(text, ec);
        INFO(k_fixture, ":", line);
        REQUIRE_MESSAGE((!ec && v.is_object()), "not a JSON object: ", ec.message());
        const json::object & o = v.as_object();
        const std::string model = string_field(o, "model", line), completion = string_field(o, "completion", line);
        const std::string expected = string_field(o, "expected", line), finish = string_field(o, "finish", line);
        REQUIRE_MESSAGE((finish == "finished" || finish == "truncated"), "finish must be finished or truncated");
        REQUIRE_MESSAGE(!expected.empty(), "empty expected (write \"none\" for no answer)");
        ++n_rows;
        models.insert(model);
        n_qwen += model.find("qwen") != std::string::npos ? 1 : 0;
        n_truncated += finish == "truncated" ? 1 : 0;

        // A truncated row is read as the strategies read a truncated thread (answer_of): only a
        // complete statement answers, so its last number (where the cut fell) is not an answer.
        std::optional<extracted_answer> a = try_extract_answer(completion, {.is_truncated = finish == "truncated"});
        const std::string got = a ? answer_key(a->text) : "none";
        INFO(model, " ", string_field(o, "dataset", line), ":", o.at("problem_id"), " seed ", o.at("seed"), " (", finish, ")");
        INFO("note: ", string_field(o, "note", line));
        if (const json::value * miss = o.if_contains("known_miss")) {
            REQUIRE(miss->is_string());
            ++n_known_miss;
            CHECK_MESSAGE(got == key_or_none(std::string(miss->as_string())), "a known miss changed: re-read the row");
            CHECK(got != key_or_none(expected));
        } else {
            CHECK(got == key_or_none(expected));
        }
    }
    MESSAGE(n_rows, " real outputs (", n_qwen, " Qwen, ", n_truncated, " truncated), ", n_known_miss, " known misses");
    CHECK(n_rows >= 50);
    CHECK(n_qwen * 2 >= n_rows);  // the project targets the Qwen models: at least half the rows
    CHECK(models.size() >= 3);
    CHECK(n_known_miss * 10 <= n_rows);
}
