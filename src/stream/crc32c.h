// CRC-32C (Castagnoli), as used by iSCSI, ext4 and Kafka record batches.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shopflow {
// Extends `crc` (0 to start) over `n` bytes.
uint32_t crc32c(uint32_t crc, const void* data, size_t n);
} // namespace shopflow
