// equivalent: exact keys for voting, Qwen-style lenient comparison for grading.
#include "strategies/answer/equivalent.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "strategies/answer/normalize.h"

namespace tts::strategy {
namespace {

bool is_close(double a, double b, double rel_tol) {
    if (a == b) return true;
    return std::fabs(a - b) <= rel_tol * std::max(std::fabs(a), std::fabs(b));
}

bool numbers_equivalent(const std::string & a, const std::string & b, const equivalence_options & opt) {
    std::optional<rational> ra = try_parse_rational(a), rb = try_parse_rational(b);
    if (ra && rb && *ra == *rb) return true;
    std::optional<double> da = try_parse_double(a), db = try_parse_double(b);
    if (!da || !db) return false;
    if (is_close(*da, *db, opt.rel_tol)) return true;
    // Qwen compares the prediction against [ref / 100, ref, ref * 100]; the set is symmetric.
    return opt.is_percent_lenient && (is_close(*da, *db * 100.0, opt.rel_tol) || is_close(*da * 100.0, *db, opt.rel_tol));
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
