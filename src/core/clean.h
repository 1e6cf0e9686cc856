// The cleaning contract of CONTRACT.md: every row goes to exactly one destination.
#pragma once

#include "core/record.h"

namespace shopflow {

// Applies the six destination rules in order:
//   1 malformed (field count, unparseable Quantity/UnitPrice/InvoiceDate, empty InvoiceNo or
//     StockCode, invalid UTF-8, or a framing error from the reader) -> rejected
//   2 InvoiceNo starts with C/c -> cancellations
//   3 InvoiceNo starts with A/a -> rejected bad_debt
//   4 Quantity <= 0 -> rejected non_positive_quantity
//   5 UnitPrice <= 0 -> rejected non_positive_price
//   6 otherwise -> transactions
// The result's views point into the row's buffer (or static strings such as "Unknown").
CleanResult clean(const InputRow& row);

// Trims ASCII spaces, tabs, CR and LF from both ends.
std::string_view trim(std::string_view s);

} // namespace shopflow
