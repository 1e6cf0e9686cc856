#include "core/clean.h"

#include "core/decimal.h"
#include "core/line_type.h"
#include "core/timestamp.h"

namespace shopflow {

std::string_view reason_name(RejectReason r) {
  switch (r) {
  case RejectReason::None: return "";
  case RejectReason::Malformed: return "malformed";
  case RejectReason::BadDebt: return "bad_debt";
  case RejectReason::NonPositiveQuantity: return "non_positive_quantity";
  case RejectReason::NonPositivePrice: return "non_positive_price";
  }
  return "";
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

namespace {

CleanResult reject(RejectReason reason, std::string_view detail) {
  CleanResult r;
  r.destination = Destination::Rejected;
  r.reason = reason;
  r.detail = detail;
  return r;
}

// "17850.0" -> "17850", "" / null / NaN -> "Unknown"; anything else as given (trimmed).
std::string_view clean_customer_id(const InputField& f) {
  if (f.kind == FieldKind::Null) return "Unknown";
  std::string_view s = trim(f.text);
  if (s.empty() || s == "NaN" || s == "nan" || s == "NULL" || s == "null" || s == "None") return "Unknown";
  size_t dot = s.find('.');
  if (dot != std::string_view::npos && dot > 0 && s.find_first_not_of('0', dot + 1) == std::string_view::npos)
    s = s.substr(0, dot);
  return s;
}

} // namespace

CleanResult clean(const InputRow& row) {
  // Rule 1: malformed.
  if (!row.framing_error.empty()) return reject(RejectReason::Malformed, row.framing_error);
  if (!row.valid_utf8) return reject(RejectReason::Malformed, "invalid UTF-8");
  if (row.field_count != kFieldCount) {
    return reject(RejectReason::Malformed, row.field_count < kFieldCount ? "too few fields (expected 8)"
                                                                         : "too many fields (expected 8)");
  }
  CleanLine line;
  const InputField& invoice = row[Field::InvoiceNo];
  line.invoice_no = invoice.kind == FieldKind::Null ? std::string_view{} : trim(invoice.text);
  if (line.invoice_no.empty()) return reject(RejectReason::Malformed, "InvoiceNo is empty");
  const InputField& stock = row[Field::StockCode];
  line.stock_code = stock.kind == FieldKind::Null ? std::string_view{} : trim(stock.text);
  if (line.stock_code.empty()) return reject(RejectReason::Malformed, "StockCode is empty");
  // Keys of the lookup tables separate their parts with NUL bytes, so no key part may hold one.
  if (line.invoice_no.find('\0') != std::string_view::npos) return reject(RejectReason::Malformed, "InvoiceNo contains a NUL byte");
  if (line.stock_code.find('\0') != std::string_view::npos) return reject(RejectReason::Malformed, "StockCode contains a NUL byte");

  const InputField& qty = row[Field::Quantity];
  NumberProblem problem = NumberProblem::NotANumber;
  auto quantity = qty.kind == FieldKind::Null ? std::nullopt : parse_quantity(trim(qty.text), &problem);
  if (!quantity)
    return reject(RejectReason::Malformed, problem == NumberProblem::NotWhole     ? "Quantity is not a whole number"
                                           : problem == NumberProblem::OutOfRange ? "Quantity is outside the 32-bit integer range"
                                                                                  : "Quantity is not an integer");
  line.quantity = *quantity;

  const InputField& date = row[Field::InvoiceDate];
  auto when = date.kind == FieldKind::Null ? std::nullopt : parse_timestamp_us(trim(date.text));
  if (!when) return reject(RejectReason::Malformed, "InvoiceDate is not a date");
  line.invoice_date_us = *when;

  const InputField& price = row[Field::UnitPrice];
  problem = NumberProblem::NotANumber;
  auto unit_price = price.kind == FieldKind::Null ? std::nullopt : parse_milli(trim(price.text), &problem);
  if (!unit_price)
    return reject(RejectReason::Malformed, problem == NumberProblem::OutOfRange ? "UnitPrice is beyond +-999,999,999.999 (DECIMAL(12,3))"
                                                                               : "UnitPrice is not a decimal number");
  line.unit_price_milli = *unit_price;

  const InputField& desc = row[Field::Description];
  if (desc.kind != FieldKind::Null) {
    line.description = trim(desc.text);
    line.has_description = !line.description.empty();
  }
  line.customer_id = clean_customer_id(row[Field::CustomerID]);
  if (line.customer_id.find('\0') != std::string_view::npos) return reject(RejectReason::Malformed, "CustomerID contains a NUL byte");
  const InputField& country = row[Field::Country];
  line.country = country.kind == FieldKind::Null ? std::string_view{} : trim(country.text);
  line.line_type = classify_stock_code(line.stock_code);
  MoneySum amount = static_cast<MoneySum>(line.quantity) * line.unit_price_milli;
  if (amount > kMaxAmountMilli || amount < -kMaxAmountMilli)
    return reject(RejectReason::Malformed, "amount (Quantity x UnitPrice) is beyond +-999,999,999,999,999.999 (DECIMAL(18,3))");
  line.amount_milli = static_cast<int64_t>(amount);

  CleanResult r;
  r.line = line;
  char first = line.invoice_no.front();
  if (first == 'C' || first == 'c') { // Rule 2
    r.destination = Destination::Cancellations;
    return r;
  }
  // Rules 3-5 reject a well-formed line; its parsed fields stay available to the caller.
  r.destination = Destination::Rejected;
  if (first == 'A' || first == 'a') {
    r.reason = RejectReason::BadDebt;
    r.detail = "InvoiceNo starts with A (bad-debt adjustment)";
  } else if (line.quantity <= 0) {
    r.reason = RejectReason::NonPositiveQuantity;
    r.detail = "Quantity <= 0";
  } else if (line.unit_price_milli <= 0) {
    r.reason = RejectReason::NonPositivePrice;
    r.detail = "UnitPrice <= 0";
  } else {
    r.destination = Destination::Transactions;
  }
  return r;
}

} // namespace shopflow
