// Base64url without padding (RFC 4648 section 5), as JWTs and JWKs use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shopflow {

std::string base64url_encode(std::string_view bytes);
// Nullopt for a character outside the alphabet, padding, or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);
// Standard base64 with padding (SCRAM messages).
std::string base64_encode(std::string_view bytes);
// Standard base64 with optional padding (HTTP Basic credentials).
std::optional<std::string> base64_decode(std::string_view text);

} // namespace shopflow
