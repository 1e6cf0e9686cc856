// Appends parsed rows to the log: each row is encoded (log_record.h), routed to its shard by
// InvoiceNo, and the shards' batches are appended together (one group commit covers them).
#pragma once

#include <vector>

#include "core/record.h"
#include "stream/log.h"

namespace shopflow {

struct IngestOutcome {
  size_t appended = 0;
  std::vector<AppendResult> ranges; // one per shard touched
};

IngestOutcome ingest_rows(Log& log, const std::vector<InputRow>& rows, int64_t received_at_us);

} // namespace shopflow
