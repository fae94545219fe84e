#include "evals/report.h"

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "evals/runner.h"
#include "tests/evals/eval_test_util.h"
#include "tests/evals/fake_cell_runner.h"

using namespace tts::eval;
using namespace tts::eval::testing;

namespace {

std::string slurp(const std::string & p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool has_matplotlib() {
    return std::system("python3 -c 'import matplotlib' >/dev/null 2>&1") == 0 ||
           std::system("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") == 0;
}

}  // namespace

namespace {

stored_cell make_cell(const std::string & label, int64_t problem, bool correct, int64_t prompt, int64_t generated) {
    stored_cell c;
    c.key = label + "|" + std::to_string(problem), c.model = "m", c.dataset = "d", c.problem_id = problem, c.seed = 0;
    c.strategy_label = c.strategy = label, c.status = "done", c.is_correct = correct;
    c.n_tokens_prompt = prompt, c.n_tokens_total = generated, c.wall_seconds = 1;
    return c;
}

sweep_row sweep_of(const std::vector<std::string> & labels) {
    std::string j = "{\"strategies\":[";
    for (size_t i = 0; i < labels.size(); ++i) j += (i ? "," : "") + std::string("{\"label\":\"") + labels[i] + "\"}";
    return {"hand", "h", j + "]}", ""};
}

}  // namespace

TEST_CASE("report: exact McNemar p-values") {
    CHECK(mcnemar_exact_p(0, 0) == 1.0);
    CHECK(mcnemar_exact_p(5, 0) == doctest::Approx(2.0 / 32));
    CHECK(mcnemar_exact_p(0, 10) == doctest::Approx(2.0 / 1024));
    CHECK(mcnemar_exact_p(5, 2) == doctest::Approx(58.0 / 128));  // 2 (1 + 7 + 21) / 2^7
    CHECK(mcnemar_exact_p(3, 3) == 1.0);
}

// Breaking it: each count is fixed by hand (the old check, wins + losses + ties == pairs, held
// by construction), so any mix-up between wins, losses and ties, or a p from the wrong counts,
// or a ratio of generated tokens only, fails.
TEST_CASE("report: wins, losses, ties and McNemar on hand-made pairs") {
    std::vector<stored_cell> cells;
    // base right on problems 0-4; x right on 0-2 and 5-9; both wrong on 10-11.
    for (int64_t p = 0; p < 12; ++p) {
        cells.push_back(make_cell("base", p, p < 5, 10, 100));
        cells.push_back(make_cell("x", p, p < 3 || (p >= 5 && p < 10), 20, 300));
    }
    report_data r = build_report(cells, sweep_of({"base", "x"}), std::nullopt).value();
    REQUIRE(r.paired.size() == 1);
    const paired_row & p = r.paired[0];
    CHECK(p.n_pairs == 12);
    CHECK(p.n_wins == 5);
    CHECK(p.n_losses == 2);
    CHECK(p.n_ties == 5);  // 3 both right + 2 both wrong
    CHECK(p.mcnemar_p == doctest::Approx(58.0 / 128));
    CHECK(p.compute_ratio == doctest::Approx(320.0 / 110.0));
    CHECK(r.rows[1].mean_tokens_compute == doctest::Approx(320.0));
    CHECK(r.rows[1].accuracy == doctest::Approx(8.0 / 12));
}

// Breaking it: a front on generated tokens alone marks "cheap_gen" (fewest generated tokens,
// but its long prompts make it the costliest of the 0.5-accuracy configs) and drops "a".
TEST_CASE("report: the Pareto front is on compute tokens (prompt + generated)") {
    std::vector<stored_cell> cells;
    for (int64_t p = 0; p < 4; ++p) {
        cells.push_back(make_cell("a", p, p < 2, 10, 90));           // acc 0.5, compute 100
        cells.push_back(make_cell("cheap_gen", p, p < 2, 150, 50));  // acc 0.5, compute 200
        cells.push_back(make_cell("big", p, p < 3, 100, 900));       // acc 0.75, compute 1000
        cells.push_back(make_cell("worse", p, p < 1, 100, 900));     // acc 0.25, compute 1000
    }
    report_data r = build_report(cells, sweep_of({"a", "cheap_gen", "big", "worse"}), std::nullopt).value();
    REQUIRE(r.rows.size() == 4);
    CHECK(r.rows[0].is_pareto);
    CHECK_FALSE(r.rows[1].is_pareto);
    CHECK(r.rows[2].is_pareto);
    CHECK_FALSE(r.rows[3].is_pareto);
    CHECK(report_json(r).find("\"cost_axis\":\"compute tokens = prompt + generated") != std::string::npos);
}

TEST_CASE("report: Wilson interval matches the textbook values") {
    auto [lo, hi] = wilson_interval(8, 10);
    CHECK(lo == doctest::Approx(0.4902).epsilon(1e-3));
    CHECK(hi == doctest::Approx(0.9433).epsilon(1e-3));
    auto [lo0, hi0] = wilson_interval(0, 10);
    CHECK(lo0 == 0.0);
    CHECK(hi0 == doctest::Approx(0.2775).epsilon(1e-3));
    CHECK(wilson_interval(0, 0) == std::pair{0.0, 1.0});
}

TEST_CASE("report: tables, paired comparison, files with and without plots") {
    temp_dir dir("report");
    tts::result<sweep_config> c = try_parse_sweep_config(fake_sweep_yaml(write_toy_dataset(dir, 6), k_fake_strategies), "fake.yaml");
    REQUIRE(c.is_ok());
    sweep_plan plan = try_plan_sweep(c.value()).value();
    auto db = std::move(store::try_open(dir.file("r.db"))).value();
    run_options o;
    o.progress_out = nullptr;
    REQUIRE(run_sweep(plan, *db, make_fake_runner(), o).is_ok());

    const sweep_row row = *db->try_sweep().value();
    report_data r = build_report(db->try_load_cells(false).value(), row, std::nullopt).value();
    CHECK(r.baseline == "single");
    REQUIRE(r.rows.size() == 5);
    CHECK(r.rows[0].label == "single");
    CHECK(r.rows[4].label == "short_m_at_k(m=3,k=8)");
    CHECK(r.rows[0].n == 12);
    CHECK(r.n_cells_done == 60);
    REQUIRE(r.paired.size() == 4);
    CHECK(r.paired[0].n_pairs == 12);
    CHECK(r.paired[0].compute_ratio > 1.0);  // 8 threads cost more than one
    CHECK(build_report(db->try_load_cells(false).value(), row, std::string("nope")).error().code() == tts::status_code::not_found);

    report_options opt;
    opt.out_dir = dir.file("out");
    opt.baseline = "self_consistency(k=8)";
    report_files f = write_report(*db, opt).value();
    CHECK(slurp(f.markdown).find("| toy | first_finish(k=4)") != std::string::npos);
    for (const char * section :
         {"## Token accounting", "## How reasoning threads ended", "McNemar p", "compute tokens"})
        CHECK(slurp(f.markdown).find(section) != std::string::npos);
    CHECK(slurp(f.json).find("\"mcnemar_p\":") != std::string::npos);
    CHECK(slurp(f.json).find("\"n_threads_truncated\":") != std::string::npos);
    CHECK(slurp(f.markdown).find("## Paired against self_consistency(k=8)") != std::string::npos);
    CHECK(slurp(f.json).find("\"baseline\":\"self_consistency(k=8)\"") != std::string::npos);
    const std::string html = slurp(f.html);
    CHECK(html.find("<table>") != std::string::npos);
    if (has_matplotlib()) {
        CHECK_MESSAGE(f.has_plots, f.plot_note);
        CHECK(html.find("data:image/png;base64,iVBORw0KGgo") != std::string::npos);
        CHECK(std::filesystem::exists(dir.file("out/accuracy_vs_wall.png")));
    } else {
        MESSAGE("matplotlib missing: checking the no-plot path only");
    }

    opt.out_dir = dir.file("noplots");
    opt.python = "/nonexistent/python3";
    report_files g = write_report(*db, opt).value();
    CHECK_FALSE(g.has_plots);
    CHECK(slurp(g.html).find("No plots:") != std::string::npos);
    CHECK(slurp(g.markdown).find("Plots: none (") != std::string::npos);
}
