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
    CHECK(r.paired[0].n_wins + r.paired[0].n_losses + r.paired[0].n_ties == 12);
    CHECK(r.paired[0].token_ratio > 1.0);  // 8 threads cost more than one
    CHECK(build_report(db->try_load_cells(false).value(), row, std::string("nope")).error().code() == tts::status_code::not_found);

    report_options opt;
    opt.out_dir = dir.file("out");
    opt.baseline = "self_consistency(k=8)";
    report_files f = write_report(*db, opt).value();
    CHECK(slurp(f.markdown).find("| toy | first_finish(k=4)") != std::string::npos);
    CHECK(slurp(f.markdown).find("Paired against `self_consistency(k=8)`") != std::string::npos);
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
