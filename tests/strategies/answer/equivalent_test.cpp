#include "strategies/answer/equivalent.h"

#include <doctest/doctest.h>

using namespace tts::strategy;

TEST_CASE("answer_key: the same number votes together however it is written") {
    CHECK(answer_key("1,200") == "1200");
    CHECK(answer_key("1200.0") == "1200");
    CHECK(answer_key("$1200") == "1200");
    CHECK(answer_key("1200 dollars") == "1200");
    CHECK(answer_key("\\$1,200.00") == "1200");
    CHECK(answer_key("0.5") == "0.5");
    CHECK(answer_key("1/2") == "0.5");
    CHECK(answer_key("\\frac{2}{4}") == "0.5");
    CHECK(answer_key("\\dfrac{1}{3}") == "1/3");
    CHECK(answer_key("2/6") == "1/3");
    CHECK(answer_key("-\\frac{6}{4}") == "-1.5");
    CHECK(answer_key("025") == "25");
    CHECK(answer_key("Yes") == "yes");
    CHECK(answer_key("") == "");
}

TEST_CASE("answer_key is exact: no tolerance, no percent merging") {
    CHECK(answer_key("45") != answer_key("0.45"));
    CHECK(answer_key("2") != answer_key("200"));
    CHECK(answer_key("0.333333") != answer_key("1/3"));
    CHECK(answer_key("45%") == answer_key("45"));  // the percent sign itself is dropped
}

TEST_CASE("equivalent: numbers") {
    CHECK(equivalent("1,200", "1200"));
    CHECK(equivalent("3.50", "3.5"));
    CHECK(equivalent("\\frac{1}{2}", "0.5"));
    CHECK(equivalent("-\\frac{3}{4}", "-0.75"));
    CHECK(equivalent("025", "25"));
    CHECK(equivalent("14", "14.0"));
    CHECK(equivalent("1e5", "100000"));
    CHECK_FALSE(equivalent("1200", "1201"));
    CHECK_FALSE(equivalent("-3", "3"));
    CHECK_FALSE(equivalent("0.5", "0.6"));
}

TEST_CASE("equivalent: exact by default; a tolerance only where exactness is impossible") {
    // Two finite decimals are compared exactly: a tolerance would grade 1000001 correct for 1000000.
    CHECK_FALSE(equivalent("1000000", "1000000.5"));
    CHECK_FALSE(equivalent("1000000", "1000001"));
    CHECK_FALSE(equivalent("1000", "1000.5"));
    CHECK(equivalent("123456789012345678901", "123456789012345678901.0"));
    CHECK_FALSE(equivalent("123456789012345678901", "123456789012345678902"));  // beyond double precision
    // 1/3 has no finite decimal: a long decimal of it matches within rel_tol 1e-6, a short one not.
    CHECK(equivalent("0.3333333333", "1/3"));
    CHECK_FALSE(equivalent("0.33", "1/3"));
    CHECK_FALSE(equivalent("3.33", "10/3"));
    CHECK(equivalent("3.33", "10/3", {.rel_tol = 1e-2, .is_percent_lenient = false}));
    CHECK(equivalent("1e5", "100000"));  // only a double: tolerance
}

TEST_CASE("equivalent: percent leniency is opt-in (Qwen grader), off by default") {
    // Default (every shipped dataset): 2 and 200 are different answers.
    CHECK_FALSE(equivalent("2", "200"));
    CHECK_FALSE(equivalent("5", "500"));
    CHECK_FALSE(equivalent("0.45", "45"));
    CHECK_FALSE(equivalent("45", "0.45"));
    CHECK(equivalent("45%", "45"));  // the percent sign itself is dropped
    equivalence_options lenient{.rel_tol = 1e-6, .is_percent_lenient = true};
    CHECK(equivalent("45%", "0.45", lenient));
    CHECK(equivalent("0.45", "45", lenient));
    CHECK(equivalent("45", "0.45", lenient));
    CHECK(equivalent("2", "200", lenient));  // the price of Qwen compatibility
    CHECK(equivalent("1/3", "33.33333333", lenient));
    CHECK_FALSE(equivalent("2", "20", lenient));
    CHECK_FALSE(equivalent("3.33", "10/3", lenient));
}

TEST_CASE("equivalent: strings") {
    CHECK(equivalent("Yes", "yes"));
    CHECK(equivalent("\\text{(A)}", "a"));
    CHECK(equivalent("\\sqrt{2}", "\\sqrt{2}"));
    CHECK_FALSE(equivalent("\\sqrt{2}", "\\sqrt{3}"));
    CHECK_FALSE(equivalent("", ""));
    CHECK_FALSE(equivalent("5", ""));
    CHECK_FALSE(equivalent("abc", "1"));
}

TEST_CASE("equivalent is symmetric") {
    const char * xs[] = {"45%", "0.45", "45", "1,200", "1/3", "0.3333333333", "yes", "2", "200", "\\frac{1}{2}", "1 1/2", "1.5"};
    for (bool is_lenient : {false, true})
        for (const char * a : xs)
            for (const char * b : xs)
                CHECK_MESSAGE(equivalent(a, b, {.rel_tol = 1e-6, .is_percent_lenient = is_lenient}) ==
                                  equivalent(b, a, {.rel_tol = 1e-6, .is_percent_lenient = is_lenient}),
                              a, " vs ", b);
}
