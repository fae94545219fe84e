#include "strategies/answer/normalize.h"

#include <doctest/doctest.h>

using namespace tts::strategy;

TEST_CASE("normalize: integers, thousands commas, leading zeros, signs") {
    CHECK(normalize("1200") == "1200");
    CHECK(normalize("1,200") == "1200");
    CHECK(normalize("1,450,000") == "1450000");
    CHECK(normalize("025") == "25");
    CHECK(normalize("0") == "0");
    CHECK(normalize("-0") == "0");
    CHECK(normalize("+7") == "7");
    CHECK(normalize("-10") == "-10");
    CHECK(normalize("\xE2\x88\x92" "3") == "-3");  // U+2212 minus
    CHECK(normalize("1,2") == "1,2");               // not a thousands group: a list, kept
    CHECK(normalize("12,00") == "12,00");
    CHECK(normalize("1,2,3") == "1,2,3");
    CHECK(normalize("1,200,00") == "1,200,00");
}

TEST_CASE("normalize: decimals and percents") {
    CHECK(normalize("3.50") == "3.5");
    CHECK(normalize("5.0") == "5");
    CHECK(normalize("2.000") == "2");
    CHECK(normalize(".5") == "0.5");
    CHECK(normalize("-0.50") == "-0.5");
    CHECK(normalize("1,200.00") == "1200");
    CHECK(normalize("45%") == "45");
    CHECK(normalize("45\\%") == "45");
    CHECK(normalize("45 percent") == "45");
    CHECK(normalize("5.") == "5");
}

TEST_CASE("normalize: currency, units, text wrappers") {
    CHECK(normalize("$1200") == "1200");
    CHECK(normalize("\\$18") == "18");
    CHECK(normalize("$18.00$") == "18");
    CHECK(normalize("18 dollars") == "18");
    CHECK(normalize("18 dollars per day.") == "18");
    CHECK(normalize("18\\text{ dollars}") == "18");
    CHECK(normalize("5\\text{ cm}^2") == "5");
    CHECK(normalize("\\frac{1}{2}\\text{ cup}") == "1/2");
    CHECK(normalize("5cm") == "5");
    CHECK(normalize("5x") == "5x");  // a glued single letter is algebra, not a unit
    CHECK(normalize("\\text{(B)}") == "b");
    CHECK(normalize("90^\\circ") == "90");
    CHECK(normalize("90^{\\circ}") == "90");
    CHECK(normalize("1{,}000") == "1000");
    CHECK(normalize("1\\,000") == "1000");
}

TEST_CASE("normalize: fractions") {
    CHECK(normalize("\\frac{1}{2}") == "1/2");
    CHECK(normalize("\\dfrac{3}{4}") == "3/4");
    CHECK(normalize("\\tfrac{3}{4}") == "3/4");
    CHECK(normalize("\\frac12") == "1/2");
    CHECK(normalize("-\\frac{3}{4}") == "-3/4");
    CHECK(normalize("\\frac{-3}{4}") == "-3/4");
    CHECK(normalize("\\frac{-3}{-4}") == "3/4");
    CHECK(normalize("2/4") == "2/4");  // not reduced here: answer_key reduces
    CHECK(normalize("\\left( \\frac{1}{2} \\right)") == "1/2");
    CHECK(normalize("\\frac{\\sqrt{3}}{2}") == "\\frac{\\sqrt{3}}{2}");
}

TEST_CASE("normalize: mixed numbers are read before spaces are erased") {
    // Erasing spaces first would read "1 1/2" as 11/2 = 5.5 (strategies-audit §3).
    CHECK(normalize("1 1/2") == "3/2");
    CHECK(normalize("-2 3/4") == "-11/4");
    CHECK(normalize("1\\frac{1}{2}") == "3/2");
    CHECK(normalize("1 \\frac{1}{2} cups") == "3/2");
    CHECK(normalize("\\boxed{1 1/2}") == "3/2");
    CHECK(normalize("-$5") == "-5");
    CHECK(normalize("$-5") == "-5");
}

TEST_CASE("normalize: non-numeric answers and lhs") {
    CHECK(normalize("  Yes  ") == "yes");
    CHECK(normalize("x = 5") == "5");
    CHECK(normalize("k=\\frac{1}{2}") == "1/2");
    CHECK(normalize("five") == "5");
    CHECK(normalize("\\boxed{42}") == "42");
    CHECK(normalize("(7)") == "7");
    CHECK(normalize("{7}") == "7");
    CHECK(normalize("") == "");
    CHECK(normalize("$") == "");
    CHECK(normalize("\\sqrt{2}") == "\\sqrt{2}");
}

TEST_CASE("normalize is idempotent") {
    for (const char * s : {"1,200", "$3.50", "\\frac{1}{2}", "-\\dfrac{6}{8}", "45%", "Yes", "x=5", "(1, 2)", "025",
                           "18 dollars", "\\text{(A)}", "1/0", "1e5", "\\sqrt{2}", "1 1/2", "1\\frac{1}{2}", "-$5"}) {
        std::string once = normalize(s);
        CHECK_MESSAGE(normalize(once) == once, s);
    }
}

TEST_CASE("try_parse_rational: exact values, reduced") {
    CHECK(try_parse_rational("12") == rational(12, 1));
    CHECK(try_parse_rational("0.75") == rational(3, 4));  // digits "075": decimal, never octal
    CHECK(try_parse_rational("075") == rational(75, 1));
    CHECK(try_parse_rational("0.0875") == rational(7, 80));
    CHECK(try_parse_rational("-3.5") == rational(-7, 2));
    CHECK(try_parse_rational("2/4") == rational(1, 2));
    CHECK(try_parse_rational("1.5/3") == rational(1, 2));
    CHECK(try_parse_rational("-1/-2") == rational(1, 2));
    CHECK(try_parse_rational("1/0") == std::nullopt);
    CHECK(try_parse_rational("abc") == std::nullopt);
    CHECK(try_parse_rational("") == std::nullopt);
    // Exact at any size (a 64-bit rational would have to give up here).
    CHECK(try_parse_rational("123456789012345678901234") == rational(boost::multiprecision::cpp_int("123456789012345678901234")));
    CHECK(try_parse_rational("0.1234567890123456789012345") == rational(boost::multiprecision::cpp_int("1234567890123456789012345"),
                                                                        boost::multiprecision::pow(boost::multiprecision::cpp_int(10), 25)));
    CHECK(try_parse_rational("1e5") == std::nullopt);  // exponents: try_parse_double only
    CHECK(try_parse_double("123456789012345678901234").has_value());
    CHECK(try_parse_double("1e5") == doctest::Approx(1e5));
    CHECK(try_parse_double("1/3") == doctest::Approx(1.0 / 3));
    CHECK_FALSE(try_parse_double("inf").has_value());
    CHECK_FALSE(try_parse_double("x").has_value());
}

TEST_CASE("to_string(rational): unique text") {
    CHECK(to_string(rational(12, 1)) == "12");
    CHECK(to_string(rational(-7, 2)) == "-3.5");
    CHECK(to_string(rational(1, 8)) == "0.125");
    CHECK(to_string(rational(-1, 20)) == "-0.05");
    CHECK(to_string(rational(1, 3)) == "1/3");
    CHECK(to_string(rational(-5, 6)) == "-5/6");
    CHECK(to_string(rational(0, 1)) == "0");
    CHECK(to_string(rational(boost::multiprecision::cpp_int("100000000000000000000001"), 4)) == "25000000000000000000000.25");
    CHECK(to_string(rational(1, boost::multiprecision::cpp_int("3000000000000000000000"))) == "1/3000000000000000000000");
}
