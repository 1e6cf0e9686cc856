// A Customer-table row (InvoiceSummary) being added up from its invoice's lines.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/decimal.h"
#include "sinks/lookup_tables.h"

namespace shopflow {

// Adds up like the warehouse's GROUP BY: min(date), count(*), sum(quantity), sum(amount) in 128
// bits, min(country). Sums of disjoint sets of lines merge into the sum of their union.
struct SummaryAcc {
  int64_t first_date_us = INT64_MAX, lines = 0, quantity = 0;
  MoneySum amount_milli = 0;
  std::string country; // meaningful once lines > 0
  void add(int64_t date_us, int32_t quantity_, int64_t amount, std::string_view country_) {
    if (lines == 0 || country_ < country) country = country_;
    first_date_us = std::min(first_date_us, date_us);
    ++lines;
    quantity += quantity_;
    amount_milli += amount;
  }
  void merge(const SummaryAcc& other) {
    if (lines == 0 || other.country < country) country = other.country;
    first_date_us = std::min(first_date_us, other.first_date_us);
    lines += other.lines;
    quantity += other.quantity;
    amount_milli += other.amount_milli;
  }
  void merge(const InvoiceSummary& stored) {
    merge(SummaryAcc{stored.invoice_date_us, stored.lines, stored.quantity, stored.amount_milli, stored.country});
  }
  InvoiceSummary summary() const { return {"", "", country, first_date_us, lines, quantity, amount_milli}; } // the stored values
};

// Sums by Customer-table key (tables_format.h: summary_key).
using SummarySums = std::map<std::string, SummaryAcc>;

} // namespace shopflow
