// Cleaned lines of one destination (transactions or cancellations), held column by column in
// memory for a segment of a batch job, so that every sink can read them without a copy per row:
// the warehouse and the lake through the `shopflow_lines` DuckDB table function
// (sinks/warehouse/line_scan.h), the tables through InvoiceLineFiles.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"

namespace shopflow {

// Variable-length strings: row i is bytes[offsets[i], offsets[i+1]).
class StringColumn {
public:
  StringColumn() { offsets_.push_back(0); }
  void reserve(size_t rows, size_t bytes) {
    offsets_.reserve(rows + 1);
    bytes_.reserve(bytes);
  }
  void push(std::string_view s) {
    bytes_.append(s);
    offsets_.push_back(static_cast<uint64_t>(bytes_.size()));
  }
  std::string_view operator[](size_t i) const { return {bytes_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]}; }

private:
  std::string bytes_;
  std::vector<uint64_t> offsets_;
};

class LineColumns {
public:
  // Every line's source is `source_prefix` followed by its number ("batch:3:" + "17").
  explicit LineColumns(std::string source_prefix, size_t expected_rows = 0);
  void add(const CleanLine& line, uint64_t source_number);
  // Writes row r's source into `buf` (at least 48 bytes) and returns it.
  std::string_view source(size_t r, char* buf) const;
  size_t size() const { return quantity.size(); }

  // Partition key of a row: year * 100 + month of its invoice date.
  static int partition_of(int64_t invoice_date_us);
  // Row numbers per partition, in row order.
  const std::map<int, std::vector<uint32_t>>& partitions() const { return partitions_; }

  StringColumn invoice_no, stock_code, description, customer_id, country;
  std::vector<uint64_t> source_number;
  std::vector<uint8_t> has_description;
  std::vector<int32_t> quantity;
  std::vector<int64_t> invoice_date_us, unit_price_milli, amount_milli;
  std::vector<LineType> line_type;

private:
  std::string source_prefix_;
  std::map<int, std::vector<uint32_t>> partitions_;
  int64_t last_day_ = INT64_MIN; // cache: consecutive rows mostly share a day
  std::vector<uint32_t>* last_rows_ = nullptr;
};

} // namespace shopflow
