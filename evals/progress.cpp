// progress: formatting and throttling of the progress line.
#include "evals/progress.h"

#include <unistd.h>

#include <fmt/format.h>

namespace tts::eval {
namespace {

std::string duration_text(double s) {
    if (!(s >= 0) || s > 1e7) return "?";
    const int64_t t = int64_t(s + 0.5);
    if (t >= 3600) return fmt::format("{}h{:02}m", t / 3600, (t / 60) % 60);
    if (t >= 60) return fmt::format("{}m{:02}s", t / 60, t % 60);
    return fmt::format("{}s", t);
}

}  // namespace

progress::progress(std::FILE * out, int64_t n_total, int64_t n_done_before, bool is_tty)
    : out_(out), is_tty_(is_tty), n_total_(n_total), n_done_before_(n_done_before) {}

bool progress::is_terminal(std::FILE * f) { return f && isatty(fileno(f)); }

std::string progress::line() const {
    const double elapsed = std::chrono::duration<double>(clock::now() - t_start_).count();
    const int64_t n_done = n_done_before_ + n_run_;
    const int64_t n_graded = n_run_ - n_errors_;
    const double per_cell = n_run_ > 0 ? elapsed / double(n_run_) : -1;
    const double eta = per_cell >= 0 ? per_cell * double(n_total_ - n_done) : -1;
    std::string s = fmt::format("[{}/{}] {:3.0f}% | ETA {} | {:.0f} tok/s | acc {}", n_done, n_total_,
                                n_total_ > 0 ? 100.0 * double(n_done) / double(n_total_) : 100.0, duration_text(eta),
                                elapsed > 0 ? double(n_tokens_) / elapsed : 0.0,
                                n_graded > 0 ? fmt::format("{:.3f} ({}/{})", double(n_correct_) / double(n_graded), n_correct_, n_graded)
                                             : std::string("-"));
    if (n_errors_ > 0) s += fmt::format(" | {} errors", n_errors_);
    return s;
}

void progress::on_cell(const std::string & label, bool is_ok, bool is_correct, int64_t n_tokens) {
    ++n_run_;
    n_errors_ += is_ok ? 0 : 1;
    n_correct_ += is_ok && is_correct ? 1 : 0;
    n_tokens_ += n_tokens;
    if (!out_) return;
    const auto now = clock::now();
    const bool is_last = n_done_before_ + n_run_ >= n_total_;
    if (is_tty_) {
        if (!is_last && now - t_last_print_ < std::chrono::milliseconds(100)) return;
        fmt::print(out_, "\r\033[K{}", line());
    } else {
        if (!is_last && now - t_last_print_ < std::chrono::seconds(1)) return;
        fmt::print(out_, "{} | {}: {}\n", line(), label, !is_ok ? "error" : is_correct ? "correct" : "wrong");
    }
    std::fflush(out_);
    t_last_print_ = now;
}

void progress::finish() {
    if (!out_) return;
    if (is_tty_) fmt::print(out_, "\r\033[K{}\n", line());
    else if (n_run_ == 0) fmt::print(out_, "{}\n", line());
    std::fflush(out_);
}

}  // namespace tts::eval
