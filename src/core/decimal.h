// Exact decimal money with three fractional digits (DECIMAL(12,3) in the warehouse).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shopflow {

// Bounds that keep every money figure exact (CONTRACT.md): a unit price is DECIMAL(12,3), a line's
// amount (quantity x unit price, int32 x DECIMAL(12,3)) must fit DECIMAL(18,3) and is refused as
// malformed beyond it, and sums of amounts are 128-bit (MoneySum): DuckDB sums DECIMAL(18,3) as
// DECIMAL(38,3), exact over more lines than any shop has.
inline constexpr int64_t kMaxUnitPriceMilli = 999'999'999'999;         // 999,999,999.999
inline constexpr int64_t kMaxAmountMilli = 999'999'999'999'999'999;    // 999,999,999,999,999.999
using MoneySum = __int128;

// Why a number did not parse, for the detail of a malformed row.
enum class NumberProblem { None, NotANumber, OutOfRange, NotWhole };

// Parses "2.55", "-0.5", "1e-3", "3", "2.550" into thousandths (2550). More than three fractional
// digits round half away from zero. Returns nullopt for anything that is not a finite decimal
// number or whose magnitude exceeds DECIMAL(12,3).
std::optional<int64_t> parse_milli(std::string_view text, NumberProblem* problem = nullptr);

// Parses an integer quantity: "6", "-12", "6.0" (a JSON float that is integral). nullopt otherwise
// or outside int32 (every int32 is accepted).
std::optional<int32_t> parse_quantity(std::string_view text, NumberProblem* problem = nullptr);

// 2550 -> "2.550"; -5 -> "-0.005".
std::string format_milli(MoneySum milli);

// A decimal as JSON writes it: "2.55", "3", "-0.005" (no trailing zeros).
std::string plain_milli(MoneySum milli);

} // namespace shopflow
