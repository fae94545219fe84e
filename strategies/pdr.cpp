// pdr: Parallel-Distill-Refine, and sr = Sequential Refinement (PDR with M = 1)
// (Madaan et al., arXiv 2510.01123; docs/strategies.md §5).
// Rule: rounds 1..R-1 each sample M drafts in parallel, conditioned on the previous round's
// workspace (none in round 1); after each round the drafts are distilled into a bounded
// workspace of at most `kappa` tokens, rebuilt (not accumulated) every round:
//   summary   the model writes a summary of the drafts (one extra thread, <= kappa tokens);
//   top_k     the k drafts with the highest mean log-prob, verbatim (tails kept);
//   random_k  every next-round thread gets its own k drafts drawn at random (seeded).
// The final round R samples one draft; its answer is the answer (none: majority over the
// previous round's drafts). Every call is a fresh prompt sharing the task prefix, so the
// engine's prefix cache reuses the task's KV pages (P9).
#include <algorithm>
#include <numeric>
#include <random>

#include "strategies/strategy.h"

namespace tts::strategy {
namespace {

struct pdr_params {
    int32_t rounds = 3;                // R, the final single-draft round included; YAML `rounds`
    int32_t m = 4;                     // drafts per non-final round; YAML `m`
    std::string distill = "summary";   // summary | top_k | random_k; YAML `distill`
    int32_t k = 2;                     // drafts in a top_k / random_k workspace; YAML `k`
    int32_t kappa = 256;               // workspace bound in tokens; YAML `kappa`

    static result<pdr_params> from_map(const param_map & mp) {
        pdr_params p;
        param_reader r(mp, "pdr");
        r.get("rounds", p.rounds, 1, 64);
        r.get("m", p.m, 1, 1024);
        r.get("distill", p.distill, {"summary", "top_k", "random_k"});
        r.get("k", p.k, 1, 1024);
        r.get("kappa", p.kappa, 1, 1 << 20);
        if (status s = r.finish(); !s.is_ok()) return s;
        return p;
    }
};

struct sr_params {
    int32_t rounds = 3;     // refinement rounds, the first draft included; YAML `rounds`
    int32_t kappa = 512;    // tokens of the previous solution carried over; YAML `kappa`

    static result<sr_params> from_map(const param_map & mp) {
        sr_params p;
        param_reader r(mp, "sr");
        r.get("rounds", p.rounds, 1, 64);
        r.get("kappa", p.kappa, 1, 1 << 20);
        if (status s = r.finish(); !s.is_ok()) return s;
        return p;
    }
};

const char * k_refine = "\n\nBelow is a compact summary of earlier attempts (may contain mistakes). Use it, verify "
                        "claims you rely on, and write a complete improved solution ending in \\boxed{}.\n\n";
const char * k_distill = "\n\nWrite a summary of at most a few sentences: where the drafts agree, where they "
                         "conflict, results that are verified, open sub-goals, and the candidate final answers "
                         "with counts. Do not solve the problem from scratch.\n\n";

// The last `n` tokens of a thread's text (the end holds the answer).
std::string tail_text(session & s, thread_id t, int32_t n) {
    const auto & tok = s.thread(t).tokens;
    const size_t from = tok.size() > size_t(n) ? tok.size() - size_t(n) : 0;
    return s.backend().detokenize(std::span(tok).subspan(from));
}

std::string join_drafts(session & s, const std::vector<thread_id> & drafts, int32_t kappa) {
    std::string w;
    const int32_t each = std::max<int32_t>(1, kappa / std::max<int32_t>(1, int32_t(drafts.size())));
    for (size_t i = 0; i < drafts.size(); ++i) w += "Attempt " + std::to_string(i + 1) + ":\n" + tail_text(s, drafts[i], each) + "\n\n";
    return w;
}

verdict run_pdr(session & s, const problem & pb, const pdr_params & p) {
    std::mt19937_64 rng(s.options().seed ^ 0x5DEECE66Dull);
    std::vector<std::string> workspaces;   // one per next-round thread, or one shared (size 1)
    std::vector<thread_id> drafts, prev;
    int64_t seq = 0;
    for (int32_t round = 1; round <= p.rounds; ++round) {
        const int32_t n = round == p.rounds ? 1 : p.m;
        prev = drafts;
        drafts.clear();
        if (workspaces.size() <= 1) {
            const std::string ws = workspaces.empty() ? "" : workspaces[0];
            const problem q{ws.empty() ? pb.text : pb.text + k_refine + ws, ws.empty() ? pb.prompt : std::vector<int32_t>{}};
            drafts = s.spawn(prompt_of(s, q), {.n = n, .role = round == p.rounds ? "refine" : "draft"});
        } else {
            for (int32_t i = 0; i < n; ++i) {
                auto t = s.spawn(s.backend().encode_prompt(pb.text + k_refine + workspaces[size_t(i) % workspaces.size()]),
                                 {.n = 1, .role = round == p.rounds ? "refine" : "draft"});
                drafts.insert(drafts.end(), t.begin(), t.end());
            }
        }
        s.join(drafts);
        int64_t longest = 0;
        for (thread_id t : drafts) longest = std::max<int64_t>(longest, s.thread(t).n_generated);
        seq += longest;
        if (round == p.rounds || drafts.empty()) break;

        // Distil into the next round's workspace(s).
        workspaces.clear();
        if (p.distill == "summary") {
            const std::string text = pb.text + "\n\n" + join_drafts(s, drafts, 4 * p.kappa) + k_distill;
            engine::generation_params gp = s.options().params;
            gp.max_tokens = p.kappa;
            auto sum = s.spawn(s.backend().encode_prompt(text), {.n = 1, .params = gp, .role = "summary"});
            s.join(sum);
            for (thread_id t : sum) {
                workspaces.push_back(s.text(t));
                seq += s.thread(t).n_generated;
            }
        } else if (p.distill == "top_k") {
            std::vector<thread_id> best = drafts;
            std::stable_sort(best.begin(), best.end(), [&](thread_id a, thread_id b) {
                return mean_logprob(s.thread(a)) > mean_logprob(s.thread(b));
            });
            best.resize(std::min<size_t>(best.size(), size_t(p.k)));
            workspaces.push_back(join_drafts(s, best, p.kappa));
        } else {
            const int32_t next_n = round + 1 == p.rounds ? 1 : p.m;
            for (int32_t i = 0; i < next_n; ++i) {
                std::vector<thread_id> pick = drafts;
                std::shuffle(pick.begin(), pick.end(), rng);
                pick.resize(std::min<size_t>(pick.size(), size_t(p.k)));
                workspaces.push_back(join_drafts(s, pick, p.kappa));
            }
        }
    }

    verdict v;
    std::vector<vote_candidate> c;
    for (thread_id t : drafts) c.push_back(candidate_of(s, t));
    v.votes = vote(c, tie_break::first);
    std::vector<thread_id> voted = drafts;
    if (!v.votes.has_winner() && !prev.empty()) {
        c.clear();
        for (thread_id t : prev) c.push_back(candidate_of(s, t));
        v.votes = vote(c, tie_break::first);
        voted = prev;
    }
    v.n_tokens_sequential = seq;
    finish_verdict(s, v, voted);
    return v;
}

verdict run_sr(session & s, const problem & pb, const sr_params & p) {
    return run_pdr(s, pb, pdr_params{.rounds = p.rounds, .m = 1, .distill = "top_k", .k = 1, .kappa = p.kappa});
}

}  // namespace

strategy_entry pdr_strategy() {
    return make_entry<pdr_params>("pdr", "parallel drafts, distilled into a bounded workspace, refined over rounds", run_pdr);
}
strategy_entry sr_strategy() {
    return make_entry<sr_params>("sr", "sequential refinement (PDR with one draft per round)", run_sr);
}

}  // namespace tts::strategy
