#include "strategies/answer/extract.h"

#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "evals/dataset.h"
#include "strategies/answer/equivalent.h"

using namespace tts::strategy;
using tts::eval::dataset;
using tts::eval::dataset_fields;

namespace {

std::string extract_text(std::string_view completion) {
    std::optional<extracted_answer> a = try_extract_answer(completion);
    return a ? a->text : std::string("<none>");
}

std::optional<extract_rule> extract_rule_of(std::string_view completion) {
    std::optional<extracted_answer> a = try_extract_answer(completion);
    if (!a) return std::nullopt;
    return a->rule;
}

// Every way a model might state `gold`, with the rule that must fire.
std::vector<std::pair<std::string, extract_rule>> fake_completions(const std::string & gold) {
    return {
        {"Let me think step by step. 3 + 4 = 7, so the answer is \\boxed{" + gold + "}.", extract_rule::boxed},
        {"Adding up 2 and 5 gives the total.\n#### " + gold, extract_rule::hash},
        {"<think>Maybe 7? No, 12 then 99.</think>\nThe answer is " + gold + ".", extract_rule::answer_is},
        {"The final answer is $" + gold + "$. I hope it is correct.", extract_rule::answer_is},
        {"Step 1: 3 * 4 = 12.\nAnswer: " + gold, extract_rule::answer_colon},
        {"Computing 12 - 5 = 7 and then the result is " + gold, extract_rule::last_number},
    };
}

// Checks that every fake completion of every gold answer extracts to something equivalent to
// the gold, with the same voting key. Returns the number of problems checked.
size_t check_dataset(const dataset & d) {
    for (const tts::eval::problem & p : d.problems) {
        for (const auto & [completion, rule] : fake_completions(p.answer)) {
            std::optional<extracted_answer> a = try_extract_answer(completion);
            INFO(d.path, ":", p.id, " gold=", p.answer, " completion=", completion);
            REQUIRE(a.has_value());
            CHECK(a->rule == rule);
            CHECK(equivalent(a->text, p.answer));
            CHECK(answer_key(a->text) == answer_key(p.answer));
        }
    }
    return d.problems.size();
}

dataset read_or_fail(const std::string & path, const std::string & name) {
    tts::result<dataset_fields> f = tts::eval::try_known_fields(name);
    REQUIRE(f.is_ok());
    tts::result<dataset> d = tts::eval::try_read_dataset(path, f.value());
    INFO(path);
    REQUIRE_MESSAGE(d.is_ok(), (d.is_ok() ? "" : d.error().message()));
    return std::move(d).value();
}

}  // namespace

TEST_CASE("extract: every shipped dataset's gold answers round-trip through every rule") {
    CHECK(check_dataset(read_or_fail("evals/datasets/gsm8k/test_first200.jsonl", "gsm8k")) == 200);
    CHECK(check_dataset(read_or_fail("evals/datasets/multiarith/test.jsonl", "multiarith")) == 600);
    CHECK(check_dataset(read_or_fail("evals/datasets/singleop/test.jsonl", "singleop")) == 562);
}

TEST_CASE("extract: gsm8k reference solutions extract their own #### answer") {
    dataset_fields raw{"question", "answer", tts::eval::answer_kind::plain};
    dataset solutions = read_or_fail("evals/datasets/gsm8k/test_first200.jsonl", "gsm8k");
    tts::result<dataset> full = tts::eval::try_read_dataset("evals/datasets/gsm8k/test_first200.jsonl", raw);
    REQUIRE(full.is_ok());
    REQUIRE(full->problems.size() == solutions.problems.size());
    for (size_t i = 0; i < solutions.problems.size(); ++i) {
        INFO("line ", solutions.problems[i].id);
        CHECK(extract_rule_of(full->problems[i].answer) == extract_rule::hash);
        CHECK(equivalent(extract_text(full->problems[i].answer), solutions.problems[i].answer));
    }
}

TEST_CASE("extract: every format in the shared dataset folder, when it is present") {
    // The full sets, including amc23 (floats such as -1.0) and aime24 (strings such as "025").
    const std::string root = "../shared/datasets";
    for (const char * name : {"gsm8k", "multiarith", "singleop", "amc23", "aime24"}) {
        std::string path = root + "/" + name + "/test.jsonl";
        if (!std::filesystem::exists(path)) {
            MESSAGE("skipping ", path, " (not present)");
            continue;
        }
        CHECK(check_dataset(read_or_fail(path, name)) > 0);
    }
}

TEST_CASE("extract: amc23 and aime24 answer shapes (inline, always run)") {
    tts::result<dataset> amc = tts::eval::try_parse_dataset(
        "{\"problem\":\"p\",\"answer\":27.0}\n{\"problem\":\"p\",\"answer\":-1.0}\n{\"problem\":\"p\",\"answer\":0.375}\n",
        "amc23-inline", tts::eval::try_known_fields("amc23").value());
    tts::result<dataset> aime = tts::eval::try_parse_dataset(
        "{\"problem\":\"p\",\"solution\":\"s\",\"answer\":\"025\"}\n{\"problem\":\"p\",\"solution\":\"s\",\"answer\":\"902\"}\n",
        "aime24-inline", tts::eval::try_known_fields("aime24").value());
    REQUIRE(amc.is_ok());
    REQUIRE(aime.is_ok());
    CHECK(amc->problems[0].answer == "27");
    CHECK(amc->problems[1].answer == "-1");
    CHECK(aime->problems[0].answer == "025");
    CHECK(check_dataset(amc.value()) == 3);
    CHECK(check_dataset(aime.value()) == 2);
    CHECK(equivalent(extract_text("so \\boxed{25}"), "025"));
    CHECK(equivalent(extract_text("so \\boxed{27}"), "27"));
}

TEST_CASE("extract: boxed") {
    CHECK(extract_text("so \\boxed{\\frac{1}{2}}.") == "\\frac{1}{2}");
    CHECK(extract_text("first \\boxed{3}, then \\boxed{5}") == "5");
    CHECK(extract_text("\\boxed{3} and a cut-off \\boxed{\\frac{1}{") == "3");
    CHECK(extract_text("in a frame: \\fbox{9}") == "9");
    CHECK(extract_text("$\\boxed 5$") == "5");
    CHECK(extract_text("\\boxed{ 12 }") == "12");
    CHECK(extract_text("\\boxed{\\text{(B)}}") == "\\text{(B)}");
    CHECK(extract_text("The final answer is $\\boxed{12}$. I hope it is correct.") == "12");
    CHECK(extract_rule_of("the boxed answer is 4") == extract_rule::answer_is);
    // A worked equation after "answer is" answers with its last right-hand side.
    CHECK(extract_text("So the answer is 32 + 74 - 74 = 118 - 74 = 22.") == "22");
    CHECK(extract_text("The answer is x = 10") == "10");
    CHECK(try_extract_boxed("no box") == std::nullopt);
    CHECK(try_extract_boxed("\\boxed{a{b}c}") == "a{b}c");
}

TEST_CASE("extract: text after </think> wins") {
    std::optional<extracted_answer> a = try_extract_answer("<think>It is \\boxed{3}. Hmm.</think>The answer is 5.");
    REQUIRE(a);
    CHECK(a->text == "5");
    CHECK(a->rule == extract_rule::answer_is);
    CHECK(a->is_after_think);
    a = try_extract_answer("<think>It is \\boxed{3}.</think>\n\n");  // empty answer segment: whole text
    REQUIRE(a);
    CHECK(a->text == "3");
    CHECK_FALSE(a->is_after_think);
    a = try_extract_answer("<think>Still thinking about 17");  // truncated, no close tag
    REQUIRE(a);
    CHECK(a->text == "17");
    CHECK(a->rule == extract_rule::last_number);
}

TEST_CASE("extract: phrase rules") {
    CHECK(extract_text("The answer is $18.") == "$18");
    CHECK(equivalent(extract_text("The answer is $18."), "18"));
    CHECK(equivalent(extract_text("So the answer is 18 dollars per day. Next we check."), "18"));
    CHECK(extract_text("The answer is: $\\frac{3}{4}$.") == "\\frac{3}{4}");
    CHECK(extract_text("The answer is 3.5.") == "3.5");
    CHECK(extract_text("The answer is 18, because 9 * 2 = 18.") == "18");
    CHECK(extract_text("The answer is (1, 2).") == "(1, 2)");
    // Prose after an anchor: the number in it, the last one (working comes first).
    CHECK(extract_text("So the answer is that Tom has 15 apples.") == "15");
    CHECK(extract_text("The answer is 3 (apples) + 5 = 8 apples.") == "8");
    CHECK(extract_text("The answer is yes.") == "yes");
    CHECK(extract_text("The answer is \\( 42 \\)") == "\\( 42 \\)");
    CHECK(equivalent(extract_text("The answer is \\( 42 \\)"), "42"));
    CHECK(extract_text("the answer is 4, then later the answer is 6") == "6");
    CHECK(extract_text("**Final Answer:** 42") == "42");
    CHECK(extract_rule_of("**Final Answer:** 42") == extract_rule::answer_colon);
    CHECK(extract_text("## Final Answer\n\n42\n") == "42");
    CHECK(extract_rule_of("## Final Answer\n\n42\n") == extract_rule::final_answer);
    CHECK(extract_text("final answer = 7") == "7");
    CHECK(extract_text("ANSWER: 1,200") == "1,200");
    CHECK(extract_text("Janet makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18") == "18");
    CHECK(extract_text("#### 1,200\n") == "1,200");
}

TEST_CASE("extract: last number fallback") {
    CHECK(extract_text("She has 1,200 apples.") == "1,200");
    CHECK(extract_text("values 1,2,3") == "3");
    CHECK(extract_text("10-3=7") == "7");
    CHECK(extract_text("it is -5 degrees") == "-5");
    CHECK(extract_text("a half is 1/2") == "1/2");
    CHECK(extract_text("pi is about 3.14.") == "3.14");
    CHECK(extract_rule_of("so 12") == extract_rule::last_number);
    CHECK(try_extract_answer("no numbers here") == std::nullopt);
    CHECK(try_extract_answer("") == std::nullopt);
    CHECK(try_extract_answer("The answer is") == std::nullopt);
}

TEST_CASE("extract: rule names") {
    CHECK(std::string(to_string(extract_rule::boxed)) == "boxed");
    CHECK(std::string(to_string(extract_rule::last_number)) == "last_number");
}
