// A realistic, deterministic generator of UCI Online Retail shaped rows (shared/data/README.md):
// ~4,000 products with stable descriptions and prices, ~4,400 customers, 38 countries (~90% of
// lines from the United Kingdom), ~20 lines per invoice with a long tail, ~1.7% cancellation lines,
// ~25% lines without CustomerID, ~0.3% without Description, zero-price and non-positive adjustment
// lines, a few bad-debt lines, non-product codes, a November peak, and repeated
// (InvoiceNo, StockCode) pairs. With dirty_rate > 0, that share of lines is malformed in one of
// many ways (each breaks rule 1 of CONTRACT.md, so it must land in rejected as `malformed`).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace shopflow {

struct GeneratorOptions {
  uint64_t rows = 541'909;
  uint64_t seed = 1;
  double dirty_rate = 0.0;
  bool ndjson = false; // CSV (with header, YYYY-MM-DD HH:MM:SS dates, 17850.0 ids) otherwise
};

struct GeneratorStats {
  uint64_t rows = 0, dirty_rows = 0, bytes = 0;
};

// Produces the file's bytes in blocks through `sink`.
GeneratorStats generate(const GeneratorOptions& options, const std::function<void(std::string_view)>& sink);

} // namespace shopflow
