// gguf_file on forged counts: a header may claim any number of tensors or array strings; the
// reader must not allocate for them before reading them. This binary replaces the global
// operator new to record the largest single request made while a file is parsed. Before the
// fix, a forged tensor count made one request of ~3-4x the file (tensors_.resize) and a forged
// string-array count one of ~2x (strings.resize); with forged multi-GB files that was an
// uncaught std::bad_alloc.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "runtime/model/gguf_file.h"

namespace {
std::atomic<size_t> g_largest{0};
std::atomic<bool> g_recording{false};
}  // namespace

void * operator new(size_t n) {
    if (g_recording.load(std::memory_order_relaxed) && n > g_largest.load(std::memory_order_relaxed)) g_largest = n;
    if (void * p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void * p) noexcept {
    std::free(p);
}
void operator delete(void * p, size_t) noexcept {
    std::free(p);
}

using tts::model::gguf_file;

namespace {

template <typename T>
void put(std::vector<uint8_t> & out, T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.insert(out.end(), b, b + sizeof(T));
}

// Parses bytes; returns the largest single allocation made meanwhile.
size_t largest_allocation_parsing(std::vector<uint8_t> bytes, bool & is_ok) {
    g_largest = 0;
    g_recording = true;
    auto f = gguf_file::from_bytes(std::move(bytes), "forged.gguf");
    g_recording = false;
    is_ok = f.is_ok();
    if (!is_ok) MESSAGE(f.error().message());
    return g_largest;
}

}  // namespace

TEST_CASE("a forged tensor count allocates nothing like it before the records are read") {
    const size_t size = size_t(1) << 20;
    std::vector<uint8_t> b;
    put<uint32_t>(b, 0x46554747);  // "GGUF"
    put<uint32_t>(b, 3);
    put<uint64_t>(b, size / 32);  // as many tensors as the size bound allows
    put<uint64_t>(b, 0);          // no metadata
    b.resize(size, 0xff);         // garbage where the tensor records should be
    bool is_ok = true;
    const size_t largest = largest_allocation_parsing(b, is_ok);
    CHECK_FALSE(is_ok);
    CHECK(largest < size / 4);
}

TEST_CASE("a forged string-array count allocates nothing like it before the strings are read") {
    const size_t size = size_t(1) << 20;
    std::vector<uint8_t> b;
    put<uint32_t>(b, 0x46554747);
    put<uint32_t>(b, 3);
    put<uint64_t>(b, 0);
    put<uint64_t>(b, 1);
    const std::string key = "tokenizer.ggml.tokens";
    put<uint64_t>(b, key.size());
    b.insert(b.end(), key.begin(), key.end());
    put<uint32_t>(b, 9);  // array
    put<uint32_t>(b, 8);  // of strings
    put<uint64_t>(b, (size - b.size() - 8) / 8);
    put<uint64_t>(b, 3);  // one real string "abc", then garbage lengths
    b.insert(b.end(), {'a', 'b', 'c'});
    b.resize(size, 0xff);
    bool is_ok = true;
    const size_t largest = largest_allocation_parsing(b, is_ok);
    CHECK_FALSE(is_ok);
    CHECK(largest < size / 4);
}

TEST_CASE("get_int_array is exact above 2^53 and refuses uint64 above INT64_MAX") {
    // gguf_writer has no 64-bit arrays: the file is written by hand.
    std::vector<uint8_t> b;
    put<uint32_t>(b, 0x46554747);
    put<uint32_t>(b, 3);
    put<uint64_t>(b, 0);
    put<uint64_t>(b, 2);
    auto array = [&](const std::string & key, uint32_t type, std::vector<uint64_t> v) {
        put<uint64_t>(b, key.size());
        b.insert(b.end(), key.begin(), key.end());
        put<uint32_t>(b, 9);
        put<uint32_t>(b, type);
        put<uint64_t>(b, v.size());
        for (uint64_t x : v) put<uint64_t>(b, x);
    };
    const uint64_t big = (uint64_t(1) << 53) + 1;  // not a double
    array("i64", 11, {big, uint64_t(-5)});
    array("u64", 10, {big, uint64_t(1) << 63});
    b.resize((b.size() + 31) / 32 * 32, 0);  // an (empty) aligned tensor data section
    auto f = gguf_file::from_bytes(b, "ints.gguf");
    REQUIRE_MESSAGE(f.is_ok(), (f.is_ok() ? "" : f.error().message()));
    auto i64 = f.value()->get_int_array("i64");
    REQUIRE(i64.is_ok());
    CHECK(i64.value() == std::vector<int64_t>{int64_t(big), -5});
    auto u64 = f.value()->get_int_array("u64");
    REQUIRE_FALSE(u64.is_ok());
    CHECK(u64.error().message().find("u64") != std::string::npos);
}
