// The key-value tables (DynamoDB's role) as the rest of shopflow sees them: the API's point
// lookups, and the stream consumer's writes (pipeline/sink_consumer.h). Tables (sinks/tables,
// RocksDB) is the embedded implementation; batch imports use its own job interface.
//   Invoice table:  every line of an invoice, keyed by invoice_no, stock_code and source
//   Customer table: per customer and invoice, a summary of the invoice's lines
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/decimal.h"
#include "core/record.h"
#include "sinks/cleaned_batch.h"

namespace shopflow {

struct InvoiceLine {
  std::string invoice_no, stock_code, source;
  std::optional<std::string> description;
  int32_t quantity = 0;
  int64_t invoice_date_us = 0, unit_price_milli = 0, amount_milli = 0;
  LineType line_type = LineType::Other;
  std::string customer_id, country;
};

struct InvoiceSummary {
  std::string customer_id, invoice_no, country; // country: the least of its lines' (SQL's min())
  int64_t invoice_date_us = 0, lines = 0, quantity = 0;
  MoneySum amount_milli = 0;
};

class LookupTables {
public:
  virtual ~LookupTables() = default;

  // Every line of an invoice, or of one item of it when stock_code is given, ordered by stock
  // code and source; empty when there is none.
  virtual std::vector<InvoiceLine> invoice_lines(const std::string& invoice_no, const std::string* stock_code = nullptr) const = 0;
  // A customer's invoice summaries, ordered by invoice number; empty when there is none.
  virtual std::vector<InvoiceSummary> customer_invoices(const std::string& customer_id) const = 0;

  // The stream path: the next offset of `shard` that `sink` has stored (0 at first).
  virtual uint64_t stream_offset(const std::string& sink, uint32_t shard) const = 0;
  // Stores cleaned batches' lines, the touched invoices' summaries and `sink`'s offset for each
  // batch's shard, all or nothing.
  virtual void apply_stream_batches(const std::string& sink, const std::vector<CleanedBatch>& batches) = 0;
  // After a failed write: makes the store writable again once it can be, or throws why not yet.
  virtual void resume_after_error() {}
};

} // namespace shopflow
