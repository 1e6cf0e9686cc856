#include "pipeline/log_record.h"

#include "core/clean.h"
#include "util/byte_codec.h"

namespace shopflow {


uint32_t shard_for(const InputRow& row, uint32_t shards) {
  std::string_view key = row.field_count > 0 && row.framing_error.empty() ? trim(row[Field::InvoiceNo].text) : std::string_view{};
  if (key.empty()) key = row.raw;
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  return static_cast<uint32_t>(h % shards);
}

void encode_log_row(std::string& out, const InputRow& row, int64_t received_at_us, bool keep_raw) {
  put_num<uint8_t>(out, 1);
  put_num<int64_t>(out, received_at_us);
  put_num<uint8_t>(out, row.valid_utf8 ? 1 : 0);
  put_num<uint32_t>(out, row.field_count);
  for (const InputField& f : row.fields) {
    put_num<uint8_t>(out, static_cast<uint8_t>(f.kind));
    put_str(out, f.text);
  }
  put_str(out, row.framing_error);
  put_str(out, keep_raw ? row.raw : std::string_view{});
}

bool decode_log_row(std::string_view data, InputRow& row, int64_t& received_at_us) {
  ByteReader r{data};
  if (r.num<uint8_t>() != 1) return false;
  row = InputRow{};
  received_at_us = r.num<int64_t>();
  row.valid_utf8 = r.num<uint8_t>() & 1;
  row.field_count = r.num<uint32_t>();
  for (InputField& f : row.fields) {
    uint8_t kind = r.num<uint8_t>();
    if (kind > static_cast<uint8_t>(FieldKind::Null)) return false;
    f.kind = static_cast<FieldKind>(kind);
    f.text = r.str();
  }
  row.framing_error = r.str();
  row.raw = r.str();
  return r.ok && r.in.empty();
}

} // namespace shopflow
