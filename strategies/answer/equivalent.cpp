// equivalent: exact keys for voting; exact grading with an opt-in percent leniency.
#include "strategies/answer/equivalent.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "strategies/answer/normalize.h"

namespace tts::strategy {
namespace {

// A parsed number: its exact value when it has one, and always a double.
struct number_value {
    std::optional<rational> exact;
    double approx = 0;
};

std::optional<number_value> value_of(const std::string & s) {
    std::optional<double> d = try_parse_double(s);
    if (!d) return std::nullopt;
    return number_value{try_parse_rational(s), *d};
}

// A finite decimal can write it exactly: the reduced denominator is 2^a * 5^b.
bool is_terminating(const rational & r) {
    boost::multiprecision::cpp_int d = denominator(r);
    while (d % 2 == 0) d /= 2;
    while (d % 5 == 0) d /= 5;
    return d == 1;
}

bool is_close(double a, double b, double rel_tol) {
    if (a == b) return true;
    return std::fabs(a - b) <= rel_tol * std::max(std::fabs(a), std::fabs(b));
}

bool same_number(const number_value & a, const number_value & b, double rel_tol) {
    if (a.exact && b.exact) {
        if (*a.exact == *b.exact) return true;
        if (is_terminating(*a.exact) && is_terminating(*b.exact)) return false;
    }
    return is_close(a.approx, b.approx, rel_tol);
}

number_value times(const number_value & v, const rational & f) {
    return {v.exact ? std::optional<rational>(*v.exact * f) : std::nullopt, v.approx * f.convert_to<double>()};
}

bool numbers_equivalent(const std::string & a, const std::string & b, const equivalence_options & opt) {
    std::optional<number_value> va = value_of(a), vb = value_of(b);
    if (!va || !vb) return false;
    if (same_number(*va, *vb, opt.rel_tol)) return true;
    // Qwen compares the prediction against [ref / 100, ref, ref * 100]; the set is symmetric.
    return opt.is_percent_lenient &&
           (same_number(*va, times(*vb, rational(100)), opt.rel_tol) || same_number(times(*va, rational(100)), *vb, opt.rel_tol));
}

}  // namespace

bool equivalent(std::string_view a, std::string_view b, const equivalence_options & opt) {
    std::string na = normalize(a), nb = normalize(b);
    if (na.empty() || nb.empty()) return false;
    if (na == nb) return true;
    return numbers_equivalent(na, nb, opt);
}

std::string answer_key(std::string_view answer) {
    std::string n = normalize(answer);
    if (std::optional<rational> r = try_parse_rational(n)) return to_string(*r);
    return n;
}

}  // namespace tts::strategy
