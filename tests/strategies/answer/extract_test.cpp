#include "strategies/answer/extract.h"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "evals/dataset.h"
#include "strategies/answer/equivalent.h"

using namespace tts::strategy;
using tts::eval::dataset;
using tts::eval::dataset_fields;

namespace {

constexpr const char * k_none = nullptr;  // "no answer" in the tables below

std::string extract_text(std::string_view completion, const extract_options & opt = {}) {
    std::optional<extracted_answer> a = try_extract_answer(completion, opt);
    return a ? a->text : std::string("<none>");
}

std::optional<extract_rule> extract_rule_of(std::string_view completion) {
    std::optional<extracted_answer> a = try_extract_answer(completion);
    if (!a) return std::nullopt;
    return a->rule;
}

struct extract_case {
    const char * completion;
    const char * expected;  // the answer's key (answer_key), or k_none
};

// Checks every row: the extracted answer has the expected key, or there is none.
void check_table(const std::vector<extract_case> & table, const extract_options & opt = {}) {
    for (const extract_case & c : table) {
        std::optional<extracted_answer> a = try_extract_answer(c.completion, opt);
        INFO("completion: ", c.completion);
        if (c.expected == k_none) {
            CHECK_MESSAGE(!a.has_value(), "got ", (a ? a->text : ""));
        } else {
            REQUIRE(a.has_value());
            CHECK(answer_key(a->text) == c.expected);
        }
    }
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

TEST_CASE("extract: every amc23 and aime24 gold answer (not shipped: their values inline)") {
    // The 40 AMC 2023 and 30 AIME 2024 answers of the Qwen2.5-Math evaluation files, as the
    // upstream JSON writes them (amc23 floats such as -1.0, aime24 strings such as "025").
    const char * amc23[] = {"27.0", "36.0", "45.0", "3159.0", "36.0", "7.0", "21.0", "3.0", "1.0", "4.0", "5.0", "29.0", "96.0", "1.0",
                            "5.0", "-1.0", "8.0", "18.0", "265.0", "9.0", "9.0", "7.0", "7.0", "7.0", "13.0", "50.0", "13.0", "5.0",
                            "11.0", "18.0", "50.0", "11.0", "3.0", "194.0", "1625.0", "4.0", "6.0", "901.0", "144.0", "8.0"};
    const char * aime24[] = {"204", "113", "371", "385", "110", "104", "721", "025", "809", "116", "104", "294", "540", "197", "480",
                             "073", "468", "601", "023", "321", "211", "315", "236", "045", "033", "080", "055", "699", "127", "902"};
    std::string amc_text, aime_text;
    for (const char * a : amc23) amc_text += std::string("{\"problem\":\"p\",\"answer\":") + a + "}\n";
    for (const char * a : aime24) aime_text += std::string("{\"problem\":\"p\",\"solution\":\"s\",\"answer\":\"") + a + "\"}\n";
    tts::result<dataset> amc = tts::eval::try_parse_dataset(amc_text, "amc23-inline", tts::eval::try_known_fields("amc23").value());
    tts::result<dataset> aime = tts::eval::try_parse_dataset(aime_text, "aime24-inline", tts::eval::try_known_fields("aime24").value());
    REQUIRE(amc.is_ok());
    REQUIRE(aime.is_ok());
    CHECK(amc->problems[0].answer == "27");
    CHECK(amc->problems[15].answer == "-1");
    CHECK(aime->problems[7].answer == "025");
    CHECK(check_dataset(amc.value()) == 40);
    CHECK(check_dataset(aime.value()) == 30);
    CHECK(equivalent(extract_text("so \\boxed{25}"), "025"));
}

TEST_CASE("extract: the strategies-audit probe table (§3)") {
    // Each row is a case the extractor got wrong or must keep right; a regression flips a row.
    check_table({
        // Kept from before.
        {"The answer is 1,234.", "1234"},
        {"The answer is $1,234.56.", "1234.56"},
        {"\\boxed{\\$1,234}", "1234"},
        {"\\boxed{1{,}234}", "1234"},
        {"#### $1,234", "1234"},
        {"The answer is -5.", "-5"},
        {"The answer is \xE2\x88\x92" "5.", "-5"},  // U+2212
        {"The answer is 50%.", "50"},
        {"The answer is 3/4.", "0.75"},
        {"The answer is $10.00.", "10"},
        {"The answer is twelve.", "12"},
        {"The answer is 18\\text{ dollars}.", "18"},
        {"<think>It is 3.</think>The answer is 5.", "5"},
        {"So the answer is 32 + 74 - 74 = 118 - 74 = 22.", "22"},
        // Prose is never an answer; the last statement with a number wins.
        {"So the answer is 7.\n\nLet me double-check: yes, the answer is correct.", "7"},
        {"I think the answer is wrong, let me recompute. 6*7=42", "42"},
        {"Solve it step by step, then end with: The answer is <number>.", k_none},
        {"Adding them, 4 + 5 = 9.\nThe answer is <number>.", "9"},
        {"The final", k_none},
        {"The final answer is: The final", k_none},
        {"The answer isn't 5, it is 6.", "6"},
        {"The answer is not 5; it is 6.", "6"},
        // The number the statement asserts, not the last number of its sentence.
        {"The answer is 12 because she had 3 boxes of 4 eggs.", "12"},
        {"The answer is 42 (6 x 7).", "42"},
        {"The answer is 18, since 9 * 2 = 18.", "18"},
        {"The answer is 3 (apples) + 5 = 8 apples.", "8"},
        {"The answer is 6 x 7 = 42 apples.", "42"},
        // Mixed numbers and signs.
        {"The answer is 1 1/2 cups.", "1.5"},
        {"\\boxed{1 1/2}", "1.5"},
        {"\\boxed{1\\frac{1}{2}}", "1.5"},
        {"The loss is -$5", "-5"},
        {"The answer is -$5.", "-5"},
        {"The answer is $-5.", "-5"},
        {"10-3=7", "7"},
        // Several quantities: no single answer, the completion abstains.
        {"The answer is: 18 apples and 2 oranges.", k_none},
        {"The answer is x=5 and y=3", k_none},
        {"The answer is 5 hours and 30 minutes.", k_none},
        {"\\boxed{3, 4}", k_none},
        {"The answer is 8 apples in total, and the total cost is $16 for all of them.", "8"},
    });
}

TEST_CASE("extract: boxed") {
    check_table({
        {"so \\boxed{\\frac{1}{2}}.", "0.5"},
        {"first \\boxed{3}, then \\boxed{5}", "5"},
        {"\\boxed{3} and a cut-off \\boxed{\\frac{1}{", "3"},  // a truncated box is no statement
        {"in a frame: \\fbox{9}", "9"},
        {"$\\boxed 5$", "5"},
        {"\\boxed{ 12 }", "12"},
        {"The final answer is $\\boxed{12}$. I hope it is correct.", "12"},
        {"\\boxed{x = 10}", "10"},
        {"\\boxed{18 \\text{ apples}}", "18"},
        {"\\boxed{\\text{correct}}", k_none},
        {"The answer is 4. Check: \\boxed{5}", "5"},  // the last statement wins, whatever its kind
        {"\\boxed{5}. Wait, actually the answer is 8.", "8"},
    });
    CHECK(extract_rule_of("the boxed answer is 4") == extract_rule::answer_is);
    // A boxed expression that is not a number is answered as written (it never matches a number).
    CHECK(extract_text("so \\boxed{2\\sqrt{3}}") == "2\\sqrt{3}");
    CHECK(extract_text("so \\boxed{\\sqrt{2}}") == "\\sqrt{2}");
    CHECK(try_extract_boxed("no box") == std::nullopt);
    CHECK(try_extract_boxed("\\boxed{a{b}c}") == "a{b}c");
    CHECK(try_extract_boxed("\\boxed{1} \\boxed{\\text{x}}") == "\\text{x}");  // raw content, for probes
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
    // The answer segment abstains (two quantities): the thinking's box does not answer instead.
    CHECK_FALSE(try_extract_answer("<think>\\boxed{3}</think>The answer is 3 and 4.").has_value());
}

TEST_CASE("extract: statements after an anchor") {
    check_table({
        {"So the answer is 18 dollars per day. Next we check.", "18"},
        {"The answer is: $\\frac{3}{4}$.", "0.75"},
        {"The answer is 3.5.", "3.5"},
        {"So the answer is that Tom has 15 apples.", "15"},
        {"The answer is \\( 42 \\)", "42"},
        {"the answer is 4, then later the answer is 6", "6"},
        {"**Final Answer:** 42", "42"},
        {"## Final Answer\n\n42\n", "42"},
        {"The answer is:\n\n**18**", "18"},
        {"final answer = 7", "7"},
        {"ANSWER: 1,200", "1200"},
        {"Janet makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18", "18"},
        {"#### 1,200\n", "1200"},
        {"The answer is (1, 2).", k_none},
        {"The answer is yes.", k_none},  // a word on a numeric dataset
    });
    CHECK(extract_rule_of("**Final Answer:** 42") == extract_rule::answer_colon);
    CHECK(extract_rule_of("## Final Answer\n\n42\n") == extract_rule::final_answer);
    CHECK(extract_rule_of("The answer is 42.") == extract_rule::answer_is);
}

TEST_CASE("extract: last number fallback") {
    check_table({
        {"She has 1,200 apples.", "1200"},
        {"values 1,2,3", "3"},
        {"it is -5 degrees", "-5"},
        {"a half is 1/2", "0.5"},
        {"pi is about 3.14.", "3.14"},
        {"she adds 1 1/2 cups", "1.5"},
        {"so x is 2x", k_none},  // glued to a variable: not a plain number
        {"no numbers here", k_none},
        {"", k_none},
        {"The answer is", k_none},
    });
    CHECK(extract_rule_of("so 12") == extract_rule::last_number);
}

TEST_CASE("extract: a truncated completion answers only with a complete statement") {
    // Text cut at max_tokens: its last number is where the cut fell. Restoring the last_number
    // fallback for truncated text turns the first two checks red.
    const extract_options cut{.is_truncated = true};
    CHECK_FALSE(try_extract_answer("So the total is 9 x 2 = 18. Let's check with Python: eggs = 16", cut));
    CHECK_FALSE(try_extract_answer("Profit = $120,000.\n\nSo, the profit is \\(\\boxed{120", cut));  // open box
    auto a = try_extract_answer("The answer is 2.\n\nThe answer is 2.\n\nI'll give you 3 more", cut);
    REQUIRE(a);
    CHECK(a->text == "2");
    CHECK(a->rule == extract_rule::answer_is);
    auto b = try_extract_answer("The answer is \\(\\boxed{16}\\", cut);  // cut after the closed box
    REQUIRE(b);
    CHECK(b->text == "16");
    // The same text, finished, keeps the fallback.
    auto c = try_extract_answer("So the total is 9 x 2 = 18. Let's check with Python: eggs = 16");
    REQUIRE(c);
    CHECK(c->rule == extract_rule::last_number);
}

TEST_CASE("extract: word answers only when the dataset's answer type says so") {
    const extract_options yes_no{.type = answer_type::yes_no};
    const extract_options choice{.type = answer_type::choice};
    check_table({{"The answer is yes.", "yes"}, {"So the answer is: No, because 3 < 4.", "no"}, {"\\boxed{Yes}", "yes"},
                 {"The answer is correct.", k_none}, {"The answer is not yes.", k_none}, {"It is 5.", k_none}},
                yes_no);
    check_table({{"The answer is (B).", "b"}, {"The answer is C.", "c"}, {"\\boxed{D}", "d"}, {"The answer is option (a).", "a"},
                 {"The answer is a dog.", k_none}, {"The answer is (F).", k_none}, {"It is 5.", k_none}},
                choice);
    CHECK(extract_text("The answer is (b).", choice) == "B");
    CHECK_FALSE(try_extract_answer("The answer is B.").has_value());  // numeric: a letter is no answer
}

TEST_CASE("extract: rule names") {
    CHECK(std::string(to_string(extract_rule::boxed)) == "boxed");
    CHECK(std::string(to_string(extract_rule::last_number)) == "last_number");
}
