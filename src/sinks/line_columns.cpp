#include "sinks/line_columns.h"

#include <charconv>
#include <cstring>
#include <stdexcept>

#include "core/timestamp.h"

namespace shopflow {

namespace {
int64_t day_of(int64_t us) { return us >= 0 ? us / 86'400'000'000 : -((-us + 86'399'999'999) / 86'400'000'000); }
} // namespace

int LineColumns::partition_of(int64_t us) {
  CivilDate d = civil_from_days(day_of(us));
  return static_cast<int>(d.year * 100 + d.month);
}

LineColumns::LineColumns(std::string source_prefix, size_t expected_rows) : source_prefix_(std::move(source_prefix)) {
  if (source_prefix_.size() > 24) throw std::invalid_argument("source prefix longer than 24 bytes");
  if (expected_rows == 0) return;
  // Typical widths of the real data; the columns grow past them when needed.
  invoice_no.reserve(expected_rows, expected_rows * 7);
  stock_code.reserve(expected_rows, expected_rows * 6);
  description.reserve(expected_rows, expected_rows * 28);
  customer_id.reserve(expected_rows, expected_rows * 6);
  country.reserve(expected_rows, expected_rows * 14);
  for (auto* v : {&invoice_date_us, &unit_price_milli, &amount_milli}) v->reserve(expected_rows);
  source_number.reserve(expected_rows);
  quantity.reserve(expected_rows);
  has_description.reserve(expected_rows);
  line_type.reserve(expected_rows);
}

std::string_view LineColumns::source(size_t r, char* buf) const {
  std::memcpy(buf, source_prefix_.data(), source_prefix_.size());
  char* end = std::to_chars(buf + source_prefix_.size(), buf + 48, source_number[r]).ptr;
  return {buf, static_cast<size_t>(end - buf)};
}

void LineColumns::add(const CleanLine& l, uint64_t src) {
  uint32_t row = static_cast<uint32_t>(size());
  invoice_no.push(l.invoice_no);
  stock_code.push(l.stock_code);
  description.push(l.has_description ? l.description : std::string_view{});
  has_description.push_back(l.has_description);
  customer_id.push(l.customer_id);
  country.push(l.country);
  source_number.push_back(src);
  quantity.push_back(l.quantity);
  invoice_date_us.push_back(l.invoice_date_us);
  unit_price_milli.push_back(l.unit_price_milli);
  amount_milli.push_back(l.amount_milli);
  line_type.push_back(l.line_type);
  int64_t day = day_of(l.invoice_date_us);
  if (day != last_day_ || !last_rows_) {
    last_day_ = day;
    last_rows_ = &partitions_[partition_of(l.invoice_date_us)];
  }
  last_rows_->push_back(row);
}


} // namespace shopflow
