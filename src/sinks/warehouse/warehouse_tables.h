// The warehouse's tables and views that the sinks own (schema in warehouse.cpp): rows enter them
// through ingest and `shopflow batch` only, each with its offsets or its import row in the same
// transaction, so client SQL never writes, drops or replaces them (sql_policy.h).
#pragma once

#include <array>
#include <string_view>

namespace shopflow {

inline constexpr std::array<std::string_view, 10> kSinkOwnedTables{
    "transactions", "cancellations", "rejected", "imports", "sent_files", "stream_offsets", "invoices", "customers", "daily_sales", "product_sales"};

} // namespace shopflow
