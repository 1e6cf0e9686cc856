#include "pipeline/clean_records.h"

#include "core/clean.h"
#include "util/utf8.h"
#include "util/json_writer.h"
#include "pipeline/idempotency.h"
#include "pipeline/log_record.h"
#include "stream/segment.h"

namespace shopflow {

namespace {
// The raw text of a rejected row whose record did not keep it (ingest keeps it for the rows that
// cleaning rejects; a row it accepted is rejected here only if the rules changed in between).
// Text that is not UTF-8 (never accepted at ingest, but a log can hold anything) as "\xNN".
std::string fields_as_json(const InputRow& row) {
  JsonWriter w;
  w.begin_object();
  for (size_t f = 0; f < kFieldCount; ++f) {
    w.key(kFieldNames[f]);
    if (row.fields[f].kind == FieldKind::Null) w.value(nullptr);
    else if (row.fields[f].kind == FieldKind::Number) w.value(JsonNumber{row.fields[f].text});
    else w.value(escape_invalid_utf8(row.fields[f].text));
  }
  return w.end_object().take();
}
} // namespace

std::string stream_source_prefix(uint32_t shard) { return "stream:" + std::to_string(shard) + ":"; }

CleanedBatch clean_records(uint32_t shard, const std::vector<LogRecord>& records) {
  CleanedBatch b;
  b.shard = shard;
  std::string prefix = stream_source_prefix(shard);
  b.transactions = std::make_shared<LineColumns>(prefix, records.size());
  b.cancellations = std::make_shared<LineColumns>(prefix);
  if (records.empty()) return b;
  b.first_offset = records.front().offset;
  b.next_offset = records.back().offset + 1;
  std::string key, hash;
  uint32_t touched;
  for (const LogRecord& rec : records) {
    if (decode_key_record(rec.data, key, hash, touched)) continue; // an idempotency key, not a row
    if (is_quarantined_record(rec.data)) continue;                  // set aside by `shopflow log repair`
    InputRow row;
    int64_t received_at = 0;
    CleanResult r;
    if (decode_log_row(rec.data, row, received_at)) {
      r = clean(row);
    } else {
      ++b.undecodable;
      r.destination = Destination::Rejected;
      r.reason = RejectReason::Malformed;
      r.detail = "not a shopflow log row";
      row.raw = rec.data;
      received_at = rec.append_time_ms * 1000;
    }
    switch (r.destination) {
    case Destination::Transactions: b.transactions->add(r.line, rec.offset); break;
    case Destination::Cancellations: b.cancellations->add(r.line, rec.offset); break;
    case Destination::Rejected:
      b.rejected.push_back({prefix + std::to_string(rec.offset), escape_invalid_utf8(row.raw.empty() ? fields_as_json(row) : row.raw),
                            std::string(reason_name(r.reason)), std::string(r.detail), received_at});
      break;
    }
  }
  return b;
}

} // namespace shopflow
