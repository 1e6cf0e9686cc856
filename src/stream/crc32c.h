// CRC-32C (Castagnoli), as used by iSCSI, ext4 and Kafka record batches.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shopflow {
// Extends `crc` (0 to start) over `n` bytes: with the CPU's CRC32 instruction where it has one.
uint32_t crc32c(uint32_t crc, const void* data, size_t n);
// The same by table only (what a CPU without SSE4.2 runs).
uint32_t crc32c_portable(uint32_t crc, const void* data, size_t n);
} // namespace shopflow
