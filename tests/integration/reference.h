// CONTRACT.md's figures for the December file (online_retail_2010-12.csv beside the checkout):
// the one place the C++ tests take them from.
#pragma once

#include <cstdint>
#include <string>

namespace shopflow::test {

inline constexpr uint64_t kReferenceRows = 42481, kReferenceTransactions = 41480, kReferenceCancellations = 728,
                          kReferenceRejected = 273, kReferenceNonPositivePrice = 203, kReferenceNonPositiveQuantity = 70;
inline const std::string kReferenceRevenue = "823746.140"; // sum(amount) of transactions, as DuckDB prints DECIMAL(38,3)

inline std::string text(uint64_t n) { return std::to_string(n); }

} // namespace shopflow::test
