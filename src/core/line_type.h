#pragma once

#include <string_view>

#include "core/record.h"

namespace shopflow {

// Classifies a trimmed StockCode (CONTRACT.md): product = 5 digits + optional letters; postage =
// POST, DOT, C2; fee = BANK CHARGES, AMAZONFEE, CRUK, PADS; discount = D; manual = M, m;
// sample = S; voucher = gift_*; anything else = other.
LineType classify_stock_code(std::string_view code);

} // namespace shopflow
