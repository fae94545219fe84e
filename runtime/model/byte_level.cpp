// byte_level: the GPT-2 byte <-> character tables, built once.
#include "runtime/model/byte_level.h"

#include <array>
#include <cstdint>

#include "runtime/model/utf8_stream.h"

namespace tts::model {
namespace {

bool maps_to_itself(int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

struct tables {
    std::array<std::string, 256> encoded;  // byte -> UTF-8 of its character
    std::array<int16_t, 0x144> decoded;    // code point -> byte, -1 when unmapped
    tables() {
        decoded.fill(-1);
        uint32_t next = 0x100;
        for (int b = 0; b < 256; ++b) {
            const uint32_t cp = maps_to_itself(b) ? static_cast<uint32_t>(b) : next++;
            decoded[cp] = static_cast<int16_t>(b);
            encoded[b] = cp < 0x80 ? std::string(1, static_cast<char>(cp))
                                   : std::string{static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
        }
    }
};

const tables & get_tables() {
    static const tables t;
    return t;
}

}  // namespace

std::string byte_level_encode(std::string_view raw) {
    const tables & t = get_tables();
    std::string out;
    out.reserve(raw.size() * 2);
    for (char c : raw) out += t.encoded[static_cast<uint8_t>(c)];
    return out;
}

std::optional<std::string> byte_level_decode(std::string_view encoded) {
    const tables & t = get_tables();
    std::string out;
    out.reserve(encoded.size());
    size_t i = 0;
    while (i < encoded.size()) {
        const size_t n = utf8_sequence_length(encoded.substr(i));
        if (n == 0 || n > 2) return std::nullopt;  // every mapped character is < U+0800
        uint32_t cp = static_cast<uint8_t>(encoded[i]);
        if (n == 2) cp = ((cp & 0x1F) << 6) | (static_cast<uint8_t>(encoded[i + 1]) & 0x3F);
        if (cp >= t.decoded.size() || t.decoded[cp] < 0) return std::nullopt;
        out += static_cast<char>(t.decoded[cp]);
        i += n;
    }
    return out;
}

}  // namespace tts::model
