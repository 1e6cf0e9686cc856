#include "core/line_type.h"

namespace shopflow {

LineType classify_stock_code(std::string_view c) {
  if (c.size() >= 5) {
    bool product = true;
    for (size_t i = 0; i < 5; ++i) product &= c[i] >= '0' && c[i] <= '9';
    for (size_t i = 5; product && i < c.size(); ++i) product &= (c[i] >= 'A' && c[i] <= 'Z') || (c[i] >= 'a' && c[i] <= 'z');
    if (product) return LineType::Product;
  }
  if (c == "POST" || c == "DOT" || c == "C2") return LineType::Postage;
  if (c == "BANK CHARGES" || c == "AMAZONFEE" || c == "CRUK" || c == "PADS") return LineType::Fee;
  if (c == "D") return LineType::Discount;
  if (c == "M" || c == "m") return LineType::Manual;
  if (c == "S") return LineType::Sample;
  if (c.starts_with("gift_")) return LineType::Voucher;
  return LineType::Other;
}

std::string_view line_type_name(LineType t) {
  switch (t) {
  case LineType::Product: return "product";
  case LineType::Postage: return "postage";
  case LineType::Fee: return "fee";
  case LineType::Discount: return "discount";
  case LineType::Manual: return "manual";
  case LineType::Sample: return "sample";
  case LineType::Voucher: return "voucher";
  case LineType::Other: return "other";
  }
  return "other";
}

} // namespace shopflow
