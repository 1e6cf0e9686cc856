// Appends parsed rows to the log: each row is encoded (log_record.h), routed to its shard by
// InvoiceNo, and the shards' batches are appended together (one group commit covers them).
#pragma once

#include <vector>

#include "core/record.h"
#include "pipeline/idempotency.h"
#include "stream/log.h"

namespace shopflow {

struct IngestOutcome {
  size_t appended = 0;               // rows appended by this call
  bool replayed = false;             // an earlier request with the same key had appended them all
  std::vector<AppendResult> ranges;  // the rows' offsets, one range per shard touched
};

// With a key (and its index), rows already appended under that key are not appended again:
// each shard's part is looked up, and only missing parts are appended.
IngestOutcome ingest_rows(Log& log, const std::vector<InputRow>& rows, int64_t received_at_us,
                          IdempotencyIndex* keys = nullptr, const std::string& key = {});

} // namespace shopflow
