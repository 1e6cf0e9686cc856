#pragma once

#include <string>
#include <string_view>

namespace shopflow {
// Returns `s` with every byte that is not part of a valid UTF-8 sequence written as "\xNN", so
// that rejected raw text can be stored in a UTF-8 column and still shows what arrived.
std::string escape_invalid_utf8(std::string_view s);
// Whether `s` is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s);
} // namespace shopflow
