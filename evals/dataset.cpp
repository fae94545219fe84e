// dataset: JSONL reading with Boost.JSON, field mapping, deterministic subsets.
#include "evals/dataset.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "strategies/answer/equivalent.h"

namespace tts::eval {
namespace {

namespace json = boost::json;

std::string_view trim(std::string_view s) {
    constexpr std::string_view ws = " \t\r\n\f\v";
    size_t b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

status line_error(std::string_view name, int64_t line, const std::string & reason) {
    return status::invalid_argument(std::string(name) + ":" + std::to_string(line) + ": " + reason);
}

std::string number_text(const json::value & v) {
    if (v.is_int64()) return std::to_string(v.get_int64());
    if (v.is_uint64()) return std::to_string(v.get_uint64());
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v.get_double());  // shortest round-trip: 14.0 -> "14"
    return std::string(buf, end);
}

// The gold answer from its field, or the reason it cannot be read.
result<std::string> answer_text(const json::value & v, const dataset_fields & f) {
    std::string text;
    if (v.is_string())
        text = std::string(v.get_string());
    else if (v.is_number())
        text = number_text(v);
    else
        return status::invalid_argument("field \"" + f.answer_field + "\" must be a string or a number");
    if (f.kind == answer_kind::gsm8k_hash) {
        size_t p = text.rfind("#### ");
        if (p == std::string::npos)
            return status::invalid_argument("field \"" + f.answer_field + "\" has no \"#### \" answer marker");
        text = text.substr(p + 5);
    }
    std::string_view t = trim(text);
    if (t.empty()) return status::invalid_argument("field \"" + f.answer_field + "\" holds an empty answer");
    return std::string(t);
}

result<problem> parse_line(std::string_view line, int64_t line_no, std::string_view name, const dataset_fields & f) {
    boost::system::error_code ec;
    json::value v = json::parse(json::string_view(line.data(), line.size()), ec);
    if (ec) return line_error(name, line_no, "malformed JSON: " + ec.message());
    if (!v.is_object()) return line_error(name, line_no, "expected a JSON object");
    const json::object & o = v.get_object();
    const json::value * q = o.if_contains(f.question_field);
    if (!q) return line_error(name, line_no, "missing field \"" + f.question_field + "\"");
    if (!q->is_string()) return line_error(name, line_no, "field \"" + f.question_field + "\" must be a string");
    const json::value * a = o.if_contains(f.answer_field);
    if (!a) return line_error(name, line_no, "missing field \"" + f.answer_field + "\"");
    result<std::string> gold = answer_text(*a, f);
    if (!gold) return line_error(name, line_no, gold.error().message());
    return problem{line_no, std::string(q->get_string()), std::move(gold.value())};
}

// Uniform in [0, range) without modulo bias, identical on every standard library.
uint64_t bounded_draw(std::mt19937_64 & rng, uint64_t range) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % range;  // a multiple of range
    uint64_t x = rng();
    while (x >= limit) x = rng();
    return x % range;
}

}  // namespace

result<dataset> try_parse_dataset(std::string_view text, std::string_view name, const dataset_fields & fields) {
    dataset d;
    d.path = std::string(name);
    int64_t line_no = 0;
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++line_no;
        if (trim(line).empty()) continue;
        result<problem> p = parse_line(line, line_no, name, fields);
        if (!p) return p.error();
        d.problems.push_back(std::move(p.value()));
    }
    return d;
}

result<dataset> try_read_dataset(const std::string & path, const dataset_fields & fields) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return status::not_found(path + ": cannot open dataset file");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return status::unavailable(path + ": read error");
    return try_parse_dataset(ss.str(), path, fields);
}

dataset select_subset(const dataset & d, const subset_spec & spec) {
    dataset out;
    out.path = d.path;
    const size_t n_total = d.problems.size();
    const size_t n = spec.how == subset_spec::mode::all ? n_total : std::min(spec.n, n_total);
    if (spec.how != subset_spec::mode::random) {
        out.problems.assign(d.problems.begin(), d.problems.begin() + static_cast<std::ptrdiff_t>(n));
        return out;
    }
    std::vector<size_t> idx(n_total);
    for (size_t i = 0; i < n_total; ++i) idx[i] = i;
    std::mt19937_64 rng(spec.seed);
    for (size_t i = 0; i < n; ++i) {  // partial Fisher-Yates: idx[0, n) is a uniform sample
        size_t j = i + static_cast<size_t>(bounded_draw(rng, n_total - i));
        std::swap(idx[i], idx[j]);
    }
    idx.resize(n);
    std::sort(idx.begin(), idx.end());
    for (size_t i : idx) out.problems.push_back(d.problems[i]);
    return out;
}

std::string dataset_name_of(const std::string & path) {
    const std::filesystem::path p(path);
    const std::string folder = p.parent_path().filename().string();
    return folder.empty() ? p.stem().string() : folder;
}

std::optional<grading_mode> try_parse_grading(std::string_view text) {
    if (text == "exact") return grading_mode::exact;
    if (text == "percent_lenient") return grading_mode::percent_lenient;
    return std::nullopt;
}

const char * to_string(grading_mode g) {
    return g == grading_mode::percent_lenient ? "percent_lenient" : "exact";
}

bool is_graded_correct(std::string_view answer, std::string_view gold, grading_mode g) {
    return strategy::equivalent(answer, gold, {.is_percent_lenient = g == grading_mode::percent_lenient});
}

result<dataset_fields> try_known_fields(std::string_view name) {
    if (name == "gsm8k") return dataset_fields{"question", "answer", answer_kind::gsm8k_hash};
    if (name == "multiarith" || name == "singleop") return dataset_fields{"input", "target", answer_kind::plain};
    if (name == "amc23" || name == "aime24") return dataset_fields{"problem", "answer", answer_kind::plain};
    return status::not_found("unknown dataset \"" + std::string(name) +
                             "\" (known: gsm8k, multiarith, singleop, amc23, aime24)");
}

}  // namespace tts::eval
