// `ttscale report RESULTS.db`: HTML + Markdown + JSON comparison report of a sweep.
#include <string>

#include <fmt/format.h>

#include "evals/report.h"
#include "runtime/cli/commands.h"

namespace tts::cli {

void add_report(CLI::App & app, int & exit_code) {
    struct options {
        std::string db;
        eval::report_options report;
        std::string baseline;
    };
    auto o = std::make_shared<options>();
    CLI::App * cmd = app.add_subcommand("report", "Write the HTML/Markdown report of a results file");
    cmd->add_option("db", o->db, "Results file written by ttscale eval (or merge)")->required();
    cmd->add_option("--out", o->report.out_dir, "Output folder (default: report)");
    cmd->add_option("--baseline", o->baseline, "Strategy config to pair against (default: the sweep's first)");
    cmd->add_option("--plot-script", o->report.plot_script, "plot_report.py to call (default: this tree's)");
    cmd->add_option("--python", o->report.python, "Python interpreter for the plots (default: python3, then /usr/bin/python3)");
    cmd->callback([o, &exit_code] {
        if (!o->baseline.empty()) o->report.baseline = o->baseline;
        result<std::unique_ptr<eval::store>> db = eval::store::try_open_read_only(o->db);
        if (!db) {
            fmt::print(stderr, "ttscale report: {}\n", db.error().message());
            exit_code = 1;
            return;
        }
        result<eval::report_files> f = eval::write_report(*db.value(), o->report);
        if (!f) {
            fmt::print(stderr, "ttscale report: {}\n", f.error().message());
            exit_code = 1;
            return;
        }
        fmt::print("{}\n{}\n{}\n", f->html, f->markdown, f->json);
        if (!f->has_plots) fmt::print(stderr, "ttscale report: no plots: {}\n", f->plot_note);
        exit_code = 0;
    });
}

}  // namespace tts::cli
