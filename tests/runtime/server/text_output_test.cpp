#include "runtime/server/text_output.h"

#include <doctest/doctest.h>

using namespace tts::server;

namespace {
std::string feed(text_output & o, std::initializer_list<std::string_view> pieces) {
    std::string out;
    for (auto p : pieces) out += o.push(p);
    return out + o.flush();
}
}  // namespace

TEST_CASE("no stop sequences: everything comes out, whole characters only") {
    text_output o;
    CHECK(o.push("ab") == "ab");
    CHECK(o.push("\xE2\x82") == "");          // first two bytes of the euro sign: held
    CHECK(o.push("\xAC!") == "\xE2\x82\xAC!");
    CHECK(o.flush() == "");
    CHECK(o.text() == "ab\xE2\x82\xAC!");
}

TEST_CASE("a stop sequence cuts the text right before it, across pieces") {
    text_output o({"END"});
    CHECK(o.push("the answer is 4 E") == "the answer is 4 ");   // "E" could start END: held
    CHECK(o.push("N") == "");
    CHECK(o.push("D and more") == "");
    CHECK(o.is_stopped());
    CHECK(o.flush() == "");
    CHECK(o.text() == "the answer is 4 ");
}

TEST_CASE("a held-back prefix that never completes is released") {
    text_output o({"\n\n"});
    CHECK(feed(o, {"a\n", "b"}) == "a\nb");
    text_output p({"\n\n"});
    CHECK(feed(p, {"a\n"}) == "a\n");   // end of generation releases the held newline
}

TEST_CASE("the earliest of several stop sequences wins") {
    text_output o({"zz", "b"});
    CHECK(feed(o, {"aab zz"}) == "aa");
}

TEST_CASE("invalid UTF-8 becomes U+FFFD, so the JSON stays valid") {
    CHECK(utf8_sanitize("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
    CHECK(utf8_sanitize("\xC3\xA9") == "\xC3\xA9");
    text_output o;
    CHECK(feed(o, {"x\xE2\x82"}) == "x\xEF\xBF\xBD\xEF\xBF\xBD");   // a cut-off character at the end
}
