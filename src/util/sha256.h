#pragma once

#include <string>
#include <string_view>

namespace shopflow {
// Hex SHA-256 of a file's content (OpenSSL EVP). Throws std::runtime_error naming the file.
std::string sha256_file(const std::string& path);
// The 32 raw bytes of SHA-256 of `data`.
std::string sha256_bytes(std::string_view data);
// The 32 raw bytes of HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);
// Raw bytes as lower-case hex.
std::string to_hex(std::string_view raw);
} // namespace shopflow
