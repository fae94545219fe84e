// `ttscale merge OUT.db IN1.db IN2.db ...`: combine the shard files of one sweep.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "evals/store.h"
#include "runtime/cli/commands.h"

namespace tts::cli {

void add_merge(CLI::App & app, int & exit_code) {
    struct options {
        std::string out;
        std::vector<std::string> inputs;
    };
    auto o = std::make_shared<options>();
    CLI::App * cmd = app.add_subcommand("merge", "Merge shard results files of one sweep (same config hash) into one");
    cmd->add_option("out", o->out, "Output results file (created, or extended)")->required();
    cmd->add_option("inputs", o->inputs, "Shard results files")->required();
    cmd->callback([o, &exit_code] {
        result<std::unique_ptr<eval::store>> out = eval::store::try_open(o->out);
        if (!out) {
            fmt::print(stderr, "ttscale merge: {}\n", out.error().message());
            exit_code = 1;
            return;
        }
        for (const std::string & in : o->inputs) {
            if (status s = out.value()->try_merge_from(in); !s.is_ok()) {
                fmt::print(stderr, "ttscale merge: {}\n", s.message());
                exit_code = 1;
                return;
            }
        }
        fmt::print(stderr, "ttscale merge: {} cells done in {}\n", out.value()->try_done_keys().value().size(), o->out);
        exit_code = 0;
    });
}

}  // namespace tts::cli
