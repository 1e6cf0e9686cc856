// Lookups: an invoice, an invoice's item, a customer's invoices (the tables sink), and the seed's
// GET contract.
#include "api/api_service.h"

#include "api/query_string.h"
#include "core/decimal.h"
#include "core/line_type.h"
#include "core/timestamp.h"
#include "util/json_writer.h"

namespace http = boost::beast::http;

namespace shopflow {

namespace {

void write_line(JsonWriter& w, const InvoiceLine& l) {
  w.begin_object()
      .field("stock_code", l.stock_code)
      .field("description", l.description)
      .field("quantity", l.quantity)
      .field("invoice_date", format_timestamp(l.invoice_date_us))
      .field("unit_price", JsonNumber{plain_milli(l.unit_price_milli)})
      .field("amount", JsonNumber{plain_milli(l.amount_milli)})
      .field("customer_id", l.customer_id)
      .field("country", l.country)
      .field("line_type", line_type_name(l.line_type))
      .field("source", l.source)
      .end_object();
}

// The seed's DynamoDB-typed item for an (InvoiceNo, StockCode): the first line's fields, the
// total quantity over every line, and every line under "Lines".
std::string dynamodb_item(const std::vector<InvoiceLine>& lines) {
  auto typed = [](JsonWriter& w, const char* key, const char* type, auto value) { w.key(key).begin_object().field(type, value).end_object(); };
  auto fields = [&](JsonWriter& w, const InvoiceLine& l, int64_t qty) {
    typed(w, "InvoiceNo", "S", l.invoice_no);
    typed(w, "StockCode", "S", l.stock_code);
    if (l.description) typed(w, "Description", "S", *l.description);
    else typed(w, "Description", "NULL", true);
    typed(w, "Quantity", "N", std::to_string(qty));
    typed(w, "InvoiceDate", "S", format_timestamp(l.invoice_date_us));
    typed(w, "UnitPrice", "N", plain_milli(l.unit_price_milli));
    typed(w, "CustomerID", "S", l.customer_id);
    typed(w, "Country", "S", l.country);
  };
  int64_t quantity = 0;
  for (auto& l : lines) quantity += l.quantity;
  JsonWriter w;
  w.begin_object();
  fields(w, lines.front(), quantity);
  w.key("Lines").begin_object().key("L").begin_array();
  for (auto& l : lines) {
    w.begin_object().key("M").begin_object();
    fields(w, l, l.quantity);
    w.end_object().end_object();
  }
  w.end_array().end_object().end_object();
  return w.take();
}

} // namespace

std::string seed_answer(int status, std::string_view body) {
  JsonWriter w;
  w.begin_object().field("statusCode", status).field("body", body).end_object();
  return w.take();
}

void ApiService::get_invoice(const std::string& invoice, const std::string* stock_code, HttpResponse& res) {
  auto lines = tables_.invoice_lines(invoice, stock_code);
  if (lines.empty()) {
    json_response(res, 404, error_json(stock_code ? "no item " + *stock_code + " in invoice " + invoice : "no invoice " + invoice));
    return;
  }
  int64_t quantity = 0;
  MoneySum amount = 0;
  for (auto& l : lines) {
    quantity += l.quantity;
    amount += l.amount_milli;
  }
  const InvoiceLine& f = lines.front();
  JsonWriter w;
  w.begin_object().field("invoice_no", invoice);
  if (stock_code) {
    w.field("stock_code", *stock_code).field("description", f.description).field("quantity", quantity);
    w.field("amount", JsonNumber{plain_milli(amount)}).field("line_count", lines.size());
  } else {
    w.field("customer_id", f.customer_id).field("country", f.country).field("invoice_date", format_timestamp(f.invoice_date_us));
    w.field("cancelled", invoice[0] == 'C' || invoice[0] == 'c').field("line_count", lines.size()).field("quantity", quantity);
    w.field("amount", JsonNumber{plain_milli(amount)});
  }
  w.key("lines").begin_array();
  for (auto& l : lines) write_line(w, l);
  w.end_array().end_object();
  json_response(res, 200, w.take());
}

void ApiService::get_customer(const std::string& customer, const std::string& query, HttpResponse& res) {
  auto invoices = tables_.customer_invoices(customer);
  if (invoices.empty()) {
    json_response(res, 404, error_json("no customer " + customer));
    return;
  }
  const FormFields params(query);
  auto number = [&](const char* key, int64_t fallback, int64_t max) -> int64_t {
    std::string v = params.get(key);
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
  MoneySum total_amount = 0;
  for (auto& s : invoices) total_amount += s.amount_milli;
  JsonWriter w;
  w.begin_object().field("customer_id", customer).field("invoice_count", invoices.size());
  w.field("amount", JsonNumber{plain_milli(total_amount)}).field("page", page).field("page_size", size);
  w.key("invoices").begin_array();
  size_t begin = static_cast<size_t>((page - 1) * size);
  for (size_t i = begin; i < invoices.size() && i < begin + static_cast<size_t>(size); ++i) {
    auto& s = invoices[i];
    w.begin_object().field("invoice_no", s.invoice_no).field("invoice_date", format_timestamp(s.invoice_date_us));
    w.field("country", s.country).field("lines", s.lines).field("quantity", s.quantity);
    w.field("amount", JsonNumber{plain_milli(s.amount_milli)}).end_object();
  }
  w.end_array().end_object();
  json_response(res, 200, w.take());
}

void ApiService::compat_get(const std::string& query, HttpResponse& res) {
  const FormFields params(query);
  std::string invoice = params.get("InvoiceNo"), code = params.get("StockCode");
  if (invoice.empty() || code.empty()) {
    json_response(res, 400, seed_answer(400, "give InvoiceNo and StockCode in the query string"));
    return;
  }
  auto lines = tables_.invoice_lines(invoice, &code);
  if (lines.empty()) {
    json_response(res, 404, seed_answer(404, "no item " + code + " in invoice " + invoice));
    return;
  }
  json_response(res, 200, seed_answer(200, dynamodb_item(lines)));
}

} // namespace shopflow
