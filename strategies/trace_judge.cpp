// trace_judge: the prompt, the reply rule, and where the judge's threads run.
#include "strategies/trace_judge.h"

#include <algorithm>
#include <cctype>

#include "runtime/controller/backend_pool.h"

namespace tts::strategy {

result<std::unique_ptr<trace_judge>> trace_judge::open(session & s, const trace_judge_options & o) {
    std::unique_ptr<session> own;
    if (!o.model.empty()) {
        auto be = controller::try_get_aux_backend(o.model);
        if (!be) return status::invalid_argument("judge model: " + be.error().message());
        controller::session_options so = s.options();
        so.params.sampling = {};   // greedy
        own = std::make_unique<session>(*be.value(), so);
    }
    return std::unique_ptr<trace_judge>(new trace_judge(s, o, std::move(own)));
}

std::string trace_judge::prompt(const std::string & problem, const std::string & a, const std::string & b,
                                int32_t chars) {
    auto cut = [chars](const std::string & t) { return t.size() > size_t(chars) ? t.substr(0, size_t(chars)) + " ..." : t; };
    return "Two students have started to solve the same problem. Judge only from what they wrote so far: "
           "will both end with the same final answer?\n\nProblem:\n" +
           problem + "\n\nStudent A so far:\n" + cut(a) + "\n\nStudent B so far:\n" + cut(b) +
           "\n\nReply with one word, Yes or No.";
}

bool trace_judge::is_yes(const std::string & reply) {
    size_t i = 0;
    while (i < reply.size() && !std::isalpha(static_cast<unsigned char>(reply[i]))) ++i;
    std::string w;
    for (; i < reply.size() && std::isalpha(static_cast<unsigned char>(reply[i])); ++i)
        w += char(std::tolower(static_cast<unsigned char>(reply[i])));
    return w == "yes";
}

std::vector<bool> trace_judge::same_answer(const std::string & problem, const std::string & a,
                                           const std::vector<std::string> & others) {
    session & js = own_ ? *own_ : s_;
    engine::generation_params gp = js.options().params;
    gp.sampling = {};   // greedy: the same pair always gets the same reply
    gp.max_tokens = o_.reply_tokens;
    std::vector<thread_id> replies;
    for (const std::string & b : others) {
        auto ids = js.spawn(js.backend().encode_prompt(prompt(problem, a, b, o_.trace_chars)),
                            {.n = 1, .params = gp, .role = "judge"});
        replies.push_back(ids.empty() ? -1 : ids[0]);   // none: a budget ran out
    }
    std::vector<thread_id> live;
    for (thread_id t : replies)
        if (t >= 0) live.push_back(t);
    js.join(live);
    std::vector<bool> out;
    int32_t longest = 0;
    for (thread_id t : replies) {
        out.push_back(t >= 0 && is_yes(js.text(t)));
        if (t >= 0) longest = std::max(longest, js.thread(t).n_generated);
    }
    n_sequential_ += longest;
    return out;
}

int64_t trace_judge::n_tokens_own_session() const { return own_ ? own_->n_tokens_total() : 0; }
int64_t trace_judge::n_tokens_prompt_own_session() const {
    return own_ ? own_->n_tokens_prompt() : 0;
}

}  // namespace tts::strategy
