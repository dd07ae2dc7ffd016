// Bytes as lowercase hexadecimal, and back: the one hex helper (digests, cursors, escapes).
//
//   to_hex("\x01\xff")          -> "01ff"
//   append_hex(out, 0x1f)       // out += "1f"
//   from_hex("01ff")            -> "\x01\xff"; nullopt for an odd length or a non-hex digit
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jiayuan {

void append_hex(std::string& out, unsigned char byte);
std::string to_hex(std::string_view bytes);
std::optional<std::string> from_hex(std::string_view hex);

}  // namespace jiayuan
