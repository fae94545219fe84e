// TTS_CHECK: always-on assertion for bugs and broken invariants (STYLE.md R4, tier 1).
//
// Prints file:line:function and the formatted message, then aborts. Never use it for
// input a user can get wrong: that is a status.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace tts::detail {
[[noreturn]] inline void check_failed(const char * file, int line, const char * func, const char * cond) {
    std::fprintf(stderr, "%s:%d: %s: check failed: %s\n", file, line, func, cond);
    std::abort();
}
}  // namespace tts::detail

#define TTS_CHECK(cond, ...)                                                                   \
    do {                                                                                       \
        if (!(cond)) [[unlikely]] {                                                            \
            std::fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, __func__);                 \
            std::fprintf(stderr, __VA_ARGS__);                                                 \
            std::fputc('\n', stderr);                                                          \
            ::tts::detail::check_failed(__FILE__, __LINE__, __func__, #cond);                  \
        }                                                                                      \
    } while (0)
