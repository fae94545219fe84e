// `ttscale replay RESULTS.db`: FFS, short-m@k and majority@k from recorded self-consistency
// threads, checked against the online cells of the same seeds.
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "evals/replay.h"
#include "runtime/cli/commands.h"

namespace tts::cli {

void add_replay(CLI::App & app, int & exit_code) {
    struct options {
        std::string db, pool = "self_consistency", json;
    };
    auto o = std::make_shared<options>();
    CLI::App * cmd = app.add_subcommand("replay", "Replay FFS / short-m@k / majority@k offline from recorded threads");
    cmd->add_option("db", o->db, "Results file")->required();
    cmd->add_option("--pool", o->pool, "Strategy whose threads are the recorded pool (default: self_consistency)");
    cmd->add_option("--json", o->json, "Also write the replay as JSON to this file");
    cmd->callback([o, &exit_code] {
        result<std::unique_ptr<eval::store>> db = eval::store::try_open_read_only(o->db);
        result<std::vector<eval::stored_cell>> cells = db ? db.value()->try_load_cells(true) : result<std::vector<eval::stored_cell>>(db.error());
        if (!cells) {
            fmt::print(stderr, "ttscale replay: {}\n", cells.error().message());
            exit_code = 1;
            return;
        }
        // Grade as the sweep did: exact unless a dataset entry says grading: percent_lenient.
        result<std::optional<eval::sweep_row>> sweep = db.value()->try_sweep();
        if (!sweep) {
            fmt::print(stderr, "ttscale replay: {}\n", sweep.error().message());
            exit_code = 1;
            return;
        }
        const std::string config_json = sweep.value() ? sweep.value()->config_json : std::string();
        eval::replay_summary s = eval::replay_cells(cells.value(), o->pool, eval::percent_lenient_datasets_of(config_json));
        fmt::print("{}", eval::replay_markdown(s));
        if (!o->json.empty()) std::ofstream(o->json) << eval::replay_json(s);
        // Disagreements mean online runs are not reproducible from their threads: a bug to look at.
        exit_code = s.disagreements.empty() ? 0 : 4;
    });
}

}  // namespace tts::cli
