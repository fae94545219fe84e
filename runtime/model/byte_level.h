// byte_level: GPT-2's reversible map between raw bytes and printable Unicode characters.
//
// Byte-level BPE vocabularies store every token as the UTF-8 of this map applied to its
// bytes (a space is "Ġ" U+0120, a newline "Ċ" U+010A). Printable Latin-1 bytes map to
// themselves; the other 68 bytes map, in order, to U+0100..U+0143. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tts::model {

// Maps every byte of `raw` to its character and returns the UTF-8 of the result.
std::string byte_level_encode(std::string_view raw);

// Inverse of byte_level_encode; nullopt when `encoded` holds a character outside the map.
std::optional<std::string> byte_level_decode(std::string_view encoded);

}  // namespace tts::model
