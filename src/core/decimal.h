// Exact decimal money with three fractional digits (DECIMAL(12,3) in the warehouse).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shopflow {

// Parses "2.55", "-0.5", "1e-3", "3", "2.550" into thousandths (2550). More than three fractional
// digits round half away from zero. Returns nullopt for anything that is not a finite decimal
// number or whose magnitude exceeds DECIMAL(12,3).
std::optional<int64_t> parse_milli(std::string_view text);

// Parses an integer quantity: "6", "-12", "6.0" (a JSON float that is integral). nullopt otherwise
// or outside int32.
std::optional<int32_t> parse_quantity(std::string_view text);

// 2550 -> "2.550"; -5 -> "-0.005".
std::string format_milli(int64_t milli);

} // namespace shopflow
