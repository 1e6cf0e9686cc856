// What the HTTP ingest appends to the log for each row: the row as parsed (fields, raw text,
// framing error) plus when it arrived, so that consumers clean it with core exactly as the batch
// path does, and a rejected row keeps its raw text. The raw text is stored only for rows that
// core's cleaning rejects (it is empty otherwise): it is needed for nothing else, and storing it
// for every row would double the bytes the log writes and syncs. Little-endian:
//
//   u8  version (1)
//   i64 received_at_us
//   u8  flags (bit 0: valid UTF-8)
//   u32 field_count
//   8 x { u8 kind (FieldKind), u32 length, bytes }
//   u32 length, framing error text
//   u32 length, raw text (empty when not kept)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/record.h"

namespace shopflow {

// Appends the record of `row` to `out`.
void encode_log_row(std::string& out, const InputRow& row, int64_t received_at_us, bool keep_raw);

// Decodes into `row`, whose views point into `data` (which must outlive them). Returns false for
// bytes that are not a log row of a known version.
bool decode_log_row(std::string_view data, InputRow& row, int64_t& received_at_us);

// The shard of a row: by its trimmed InvoiceNo (so an invoice's lines stay in order), or by its
// raw text when it has none. FNV-1a, stable across versions and machines.
uint32_t shard_for(const InputRow& row, uint32_t shards);

} // namespace shopflow
