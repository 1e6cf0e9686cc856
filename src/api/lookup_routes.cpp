// Lookups: an invoice, an invoice's item, a customer's invoices (the tables sink), and the seed's
// GET contract.
#include "api/api_service.h"

#include <fmt/format.h>

#include "api/query_string.h"
#include "core/decimal.h"
#include "core/line_type.h"
#include "core/timestamp.h"
#include "util/json_string.h"

namespace http = boost::beast::http;

namespace shopflow {

namespace {

std::string line_json(const InvoiceLine& l) {
  return fmt::format("{{\"stock_code\":{},\"description\":{},\"quantity\":{},\"invoice_date\":\"{}\",\"unit_price\":{},"
                     "\"amount\":{},\"customer_id\":{},\"country\":{},\"line_type\":\"{}\",\"source\":{}}}",
                     json_string(l.stock_code), l.description ? json_string(*l.description) : "null", l.quantity,
                     format_timestamp(l.invoice_date_us), plain_milli(l.unit_price_milli), plain_milli(l.amount_milli),
                     json_string(l.customer_id), json_string(l.country), line_type_name(l.line_type), json_string(l.source));
}

// The seed's DynamoDB-typed item for an (InvoiceNo, StockCode): the first line's fields, the
// total quantity over every line, and every line under "Lines".
std::string dynamodb_item(const std::vector<InvoiceLine>& lines) {
  const InvoiceLine& f = lines.front();
  int64_t quantity = 0;
  for (auto& l : lines) quantity += l.quantity;
  auto item = [](const InvoiceLine& l, int64_t qty) {
    return fmt::format("\"InvoiceNo\":{{\"S\":{}}},\"StockCode\":{{\"S\":{}}},\"Description\":{},\"Quantity\":{{\"N\":\"{}\"}},"
                       "\"InvoiceDate\":{{\"S\":\"{}\"}},\"UnitPrice\":{{\"N\":\"{}\"}},\"CustomerID\":{{\"S\":{}}},"
                       "\"Country\":{{\"S\":{}}}",
                       json_string(l.invoice_no), json_string(l.stock_code),
                       l.description ? "{\"S\":" + json_string(*l.description) + "}" : std::string("{\"NULL\":true}"), qty,
                       format_timestamp(l.invoice_date_us), plain_milli(l.unit_price_milli), json_string(l.customer_id),
                       json_string(l.country));
  };
  std::string out = fmt::format("{{{},\"Lines\":{{\"L\":[", item(f, quantity));
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += ',';
    out += "{\"M\":{" + item(lines[i], lines[i].quantity) + "}}";
  }
  return out + "]}}";
}

} // namespace

void ApiService::get_invoice(const std::string& invoice, const std::string* stock_code, HttpResponse& res) {
  auto lines = dir_.tables().invoice_lines(invoice, stock_code);
  if (lines.empty()) {
    json_response(res, 404, error_json(stock_code ? "no item " + *stock_code + " in invoice " + invoice : "no invoice " + invoice));
    return;
  }
  int64_t quantity = 0;
  MoneySum amount = 0;
  std::string items;
  for (auto& l : lines) {
    quantity += l.quantity;
    amount += l.amount_milli;
    if (!items.empty()) items += ',';
    items += line_json(l);
  }
  if (stock_code) {
    const InvoiceLine& f = lines.front();
    json_response(res, 200,
                  fmt::format("{{\"invoice_no\":{},\"stock_code\":{},\"description\":{},\"quantity\":{},\"amount\":{},"
                              "\"line_count\":{},\"lines\":[{}]}}",
                              json_string(invoice), json_string(*stock_code), f.description ? json_string(*f.description) : "null",
                              quantity, plain_milli(amount), lines.size(), items));
  } else {
    const InvoiceLine& f = lines.front();
    json_response(res, 200,
                  fmt::format("{{\"invoice_no\":{},\"customer_id\":{},\"country\":{},\"invoice_date\":\"{}\",\"cancelled\":{},"
                              "\"line_count\":{},\"quantity\":{},\"amount\":{},\"lines\":[{}]}}",
                              json_string(invoice), json_string(f.customer_id), json_string(f.country), format_timestamp(f.invoice_date_us),
                              (invoice[0] == 'C' || invoice[0] == 'c') ? "true" : "false", lines.size(), quantity,
                              plain_milli(amount), items));
  }
}

void ApiService::get_customer(const std::string& customer, const std::string& query, HttpResponse& res) {
  auto invoices = dir_.tables().customer_invoices(customer);
  if (invoices.empty()) {
    json_response(res, 404, error_json("no customer " + customer));
    return;
  }
  auto number = [&](const char* key, int64_t fallback, int64_t max) -> int64_t {
    std::string v = query_param(query, key);
    if (v.empty()) return fallback;
    try {
      int64_t n = std::stoll(v);
      if (n < 1 || n > max) throw std::out_of_range(key);
      return n;
    } catch (...) {
      throw std::invalid_argument(std::string(key) + " must be a number from 1 to " + std::to_string(max));
    }
  };
  int64_t page = 1, size = 100;
  try {
    page = number("page", 1, 1'000'000);
    size = number("page_size", 100, 1000);
  } catch (const std::invalid_argument& e) {
    json_response(res, 400, error_json(e.what()));
    return;
  }
  std::string items;
  MoneySum total_amount = 0;
  for (auto& s : invoices) total_amount += s.amount_milli;
  size_t begin = static_cast<size_t>((page - 1) * size);
  for (size_t i = begin; i < invoices.size() && i < begin + static_cast<size_t>(size); ++i) {
    auto& s = invoices[i];
    items += fmt::format("{}{{\"invoice_no\":{},\"invoice_date\":\"{}\",\"country\":{},\"lines\":{},\"quantity\":{},\"amount\":{}}}",
                         items.empty() ? "" : ",", json_string(s.invoice_no), format_timestamp(s.invoice_date_us),
                         json_string(s.country), s.lines, s.quantity, plain_milli(s.amount_milli));
  }
  json_response(res, 200,
                fmt::format("{{\"customer_id\":{},\"invoice_count\":{},\"amount\":{},\"page\":{},\"page_size\":{},\"invoices\":[{}]}}",
                            json_string(customer), invoices.size(), plain_milli(total_amount), page, size, items));
}

void ApiService::compat_get(const std::string& query, HttpResponse& res) {
  std::string invoice = query_param(query, "InvoiceNo"), code = query_param(query, "StockCode");
  if (invoice.empty() || code.empty()) {
    json_response(res, 400, R"({"statusCode":400,"body":"give InvoiceNo and StockCode in the query string"})");
    return;
  }
  auto lines = dir_.tables().invoice_lines(invoice, &code);
  if (lines.empty()) {
    json_response(res, 404, fmt::format("{{\"statusCode\":404,\"body\":{}}}", json_string("no item " + code + " in invoice " + invoice)));
    return;
  }
  json_response(res, 200, fmt::format("{{\"statusCode\":200,\"body\":{}}}", json_string(dynamodb_item(lines))));
}

} // namespace shopflow
