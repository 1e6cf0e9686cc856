#pragma once

#include <string>

namespace shopflow {
// Hex SHA-256 of a file's content (OpenSSL EVP). Throws std::runtime_error naming the file.
std::string sha256_file(const std::string& path);
} // namespace shopflow
