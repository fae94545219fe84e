// pdr: Parallel-Distill-Refine, and sr = Sequential Refinement (PDR with M = 1)
// (Madaan et al., arXiv 2510.01123; docs/strategies.md §5).
// Rule: rounds 1..R-1 each sample M drafts in parallel, conditioned on the previous round's
// workspace (none in round 1); after each round the drafts are distilled into a bounded
// workspace of at most `kappa` tokens, rebuilt (not accumulated) every round:
//   summary   the model writes a summary of the drafts (one extra thread, <= kappa tokens);
//   top_k     the k drafts with the highest mean log-prob, verbatim (tails kept);
//   random_k  every next-round thread gets its own k drafts drawn at random (seeded).
// The final round R samples one draft; its answer is the answer (none — no answer, or the draft
// was truncated and truncated=ignore — : majority over the previous round's drafts). Every
// later prompt is rendered like round 1's (the same system message and chat template) and asks
// for the same answer format (problem::answer_format). Each is a fresh prompt sharing the task
// prefix, so the engine's prefix cache reuses the task's KV pages (P9).
// Accounting: sequential tokens = sum over rounds of the longest draft (+ the summary); the
// workspaces re-read each round are prompt tokens (compute), not sequential ones.
#include <algorithm>
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
    finish_policy finish;              // YAML `truncated`: ignore | vote (final drafts' votes)

    static result<pdr_params> from_map(const param_map & mp) {
        pdr_params p;
        param_reader r(mp, "pdr");
        r.get("rounds", p.rounds, 1, 64);
        r.get("m", p.m, 1, 1024);
        r.get("distill", p.distill, {"summary", "top_k", "random_k"});
        r.get("k", p.k, 1, 1024);
        r.get("kappa", p.kappa, 1, 1 << 20);
        p.finish.read(r);
        if (status s = r.finish(); !s.is_ok()) return s;
        return p;
    }
    status check(const strategy_limits & l) const { return check_rounds("pdr", rounds, m, distill, k, kappa, l); }

    // Shared with sr: settings under which there is nothing to refine or distil.
    static status check_rounds(std::string_view where, int32_t rounds, int32_t m, const std::string & distill,
                               int32_t k, int32_t kappa, const strategy_limits & l) {
        if (rounds < 2)
            return param_error(where, "rounds",
                               "expected rounds >= 2, got \"1\" (one round never refines: that is `single`)");
        if (distill != "summary" && k > m)
            return param_error(
                where, "k",
                fmt::format("a workspace of {} drafts cannot be filled from m = {} drafts per round", k, m));
        if (distill != "summary" && kappa < k)
            return param_error(where, "kappa",
                               fmt::format("a workspace of {} tokens cannot carry {} drafts", kappa, k));
        return check_threads(where, m, l);
    }
};

struct sr_params {
    int32_t rounds = 3;     // refinement rounds, the first draft included; YAML `rounds`
    int32_t kappa = 512;    // tokens of the previous solution carried over; YAML `kappa`
    finish_policy finish;   // YAML `truncated`: ignore | vote

    static result<sr_params> from_map(const param_map & mp) {
        sr_params p;
        param_reader r(mp, "sr");
        r.get("rounds", p.rounds, 1, 64);
        r.get("kappa", p.kappa, 1, 1 << 20);
        p.finish.read(r);
        if (status s = r.finish(); !s.is_ok()) return s;
        return p;
    }
    status check(const strategy_limits & l) const {
        return pdr_params::check_rounds("sr", rounds, 1, "top_k", 1, kappa, l);
    }
};

const char * k_refine =
    "\n\nBelow is a compact summary of earlier attempts (may contain mistakes). Use it and verify "
    "claims you rely on.\n\n";
const char * k_improve = "\n\nNow write a complete improved solution.";
const char * k_distill = "\n\nWrite a summary of at most a few sentences: where the drafts agree, where they "
                         "conflict, results that are verified, open sub-goals, and the candidate final answers "
                         "with counts. Do not solve the problem from scratch.\n\n";

// A refinement request: the problem as round 1 asked it, the workspace, and the same answer
// format again (so the refined draft ends the way round 1 was asked to end).
std::string refine_message(const problem & pb, const std::string & workspace) {
    return pb.text + k_refine + workspace + k_improve + (pb.answer_format.empty() ? "" : " " + pb.answer_format);
}

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

// k of `drafts` drawn without replacement (Fisher-Yates over mt19937_64, whose output the
// standard fixes; std::shuffle's use of it is not, so results would differ across libraries).
std::vector<thread_id> draw(std::vector<thread_id> drafts, int32_t k, std::mt19937_64 & rng) {
    for (size_t i = drafts.size(); i > 1; --i) std::swap(drafts[i - 1], drafts[size_t(rng() % i)]);
    drafts.resize(std::min<size_t>(drafts.size(), size_t(k)));
    return drafts;
}

verdict run_pdr(session & s, const problem & pb, const pdr_params & p) {
    std::mt19937_64 rng(s.options().seed ^ 0x5DEECE66Dull);
    std::vector<std::string> workspaces;   // one per next-round thread, or one shared (size 1)
    std::vector<thread_id> drafts, prev;
    int64_t seq = 0;
    for (int32_t round = 1; round <= p.rounds; ++round) {
        const int32_t n = round == p.rounds ? 1 : p.m;
        const std::string role = round == p.rounds ? "refine" : "draft";
        prev = drafts;
        drafts.clear();
        if (workspaces.empty()) {
            drafts = s.spawn(prompt_of(s, pb), {.n = n, .role = role});
        } else if (workspaces.size() == 1) {
            drafts = s.spawn(prompt_like(s, pb, refine_message(pb, workspaces[0])), {.n = n, .role = role});
        } else {
            for (int32_t i = 0; i < n; ++i) {
                auto t = s.spawn(prompt_like(s, pb, refine_message(pb, workspaces[size_t(i) % workspaces.size()])),
                                 {.n = 1, .role = role});
                drafts.insert(drafts.end(), t.begin(), t.end());
            }
        }
        s.join(drafts);
        seq += longest_chain(s, drafts);
        if (round == p.rounds || drafts.empty()) break;

        // Distil into the next round's workspace(s).
        workspaces.clear();
        if (p.distill == "summary") {
            const std::string text = pb.text + "\n\n" + join_drafts(s, drafts, 4 * p.kappa) + k_distill;
            engine::generation_params gp = s.options().params;
            gp.max_tokens = p.kappa;
            auto sum = s.spawn(prompt_like(s, pb, text), {.n = 1, .params = gp, .role = "summary"});
            s.join(sum);
            for (thread_id t : sum) workspaces.push_back(s.text(t));
            seq += longest_chain(s, sum);
        } else if (p.distill == "top_k") {
            std::vector<thread_id> best = drafts;
            std::stable_sort(best.begin(), best.end(), [&](thread_id a, thread_id b) {
                return mean_logprob(s.thread(a)) > mean_logprob(s.thread(b));
            });
            best.resize(std::min<size_t>(best.size(), size_t(p.k)));
            workspaces.push_back(join_drafts(s, best, p.kappa));
        } else {
            const int32_t next_n = round + 1 == p.rounds ? 1 : p.m;
            for (int32_t i = 0; i < next_n; ++i) workspaces.push_back(join_drafts(s, draw(drafts, p.k, rng), p.kappa));
        }
    }

    verdict v;
    std::vector<vote_candidate> c;
    for (thread_id t : drafts) c.push_back(candidate_of(s, t, p.finish));
    v.votes = vote(c, tie_break::first);
    if (!v.votes.has_winner() && !prev.empty()) {
        c.clear();
        for (thread_id t : prev) c.push_back(candidate_of(s, t, p.finish));
        v.votes = vote(c, tie_break::first);
    }
    v.n_tokens_sequential = seq;
    finish_verdict(s, v);
    return v;
}

verdict run_sr(session & s, const problem & pb, const sr_params & p) {
    return run_pdr(
        s, pb,
        pdr_params{.rounds = p.rounds, .m = 1, .distill = "top_k", .k = 1, .kappa = p.kappa, .finish = p.finish});
}

}  // namespace

strategy_entry pdr_strategy() {
    return make_entry<pdr_params>("pdr", "parallel drafts, distilled into a bounded workspace, refined over rounds", run_pdr);
}
strategy_entry sr_strategy() {
    return make_entry<sr_params>("sr", "sequential refinement (PDR with one draft per round)", run_sr);
}

}  // namespace tts::strategy
