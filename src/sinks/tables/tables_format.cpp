#include "sinks/tables/tables_format.h"

#include <stdexcept>

#include "util/byte_codec.h"

namespace shopflow {

namespace {
// Reads a stored value; a truncated one is an error (the tables are corrupt).
struct Reader {
  ByteReader bytes;
  template <class T> T num() { return check_ok(bytes.num<T>()); }
  std::string str() { return std::string(check_ok(bytes.str())); }
  template <class V> V check_ok(V v) {
    if (!bytes.ok) throw std::runtime_error("tables: truncated value");
    return v;
  }
};
} // namespace

void line_key(std::string& key, std::string_view invoice_no, std::string_view stock_code, std::string_view source) {
  key.clear();
  key.push_back('i');
  key.append(invoice_no).push_back('\0');
  key.append(stock_code).push_back('\0');
  key.append(source);
}

std::optional<std::string> invoice_prefix(std::string_view invoice_no, const std::string* stock_code) {
  if (invoice_no.find('\0') != std::string_view::npos || (stock_code && stock_code->find('\0') != std::string::npos)) return std::nullopt;
  std::string prefix = "i";
  prefix.append(invoice_no).push_back('\0');
  if (stock_code) prefix.append(*stock_code).push_back('\0');
  return prefix;
}

void summary_key(std::string& key, std::string_view customer_id, std::string_view invoice_no) {
  key.clear();
  key.push_back('c');
  key.append(customer_id).push_back('\0');
  key.append(invoice_no);
}

std::optional<std::string> customer_prefix(std::string_view customer_id) {
  if (customer_id.find('\0') != std::string_view::npos) return std::nullopt;
  std::string prefix = "c";
  prefix.append(customer_id).push_back('\0');
  return prefix;
}

std::string job_key(int64_t job) {
  std::string key(1, 'j');
  return key.append(std::to_string(job));
}

void encode_line(std::string& key, std::string& value, std::string_view invoice_no, std::string_view stock_code,
                 std::string_view source, const std::string_view* description, int32_t quantity, int64_t date_us,
                 int64_t price_milli, int64_t amount_milli, LineType type, std::string_view customer_id, std::string_view country) {
  line_key(key, invoice_no, stock_code, source);
  value.clear();
  put_num<int32_t>(value, quantity);
  put_num<int64_t>(value, date_us);
  put_num<int64_t>(value, price_milli);
  put_num<int64_t>(value, amount_milli);
  put_num<uint8_t>(value, static_cast<uint8_t>(type));
  put_num<uint8_t>(value, description ? 1 : 0);
  put_str(value, description ? *description : std::string_view{});
  put_str(value, customer_id);
  put_str(value, country);
}

InvoiceLine decode_line(std::string_view key, std::string_view value) {
  InvoiceLine line;
  key.remove_prefix(1); // 'i'
  size_t a = key.find('\0'), b = a == std::string_view::npos ? a : key.find('\0', a + 1);
  if (b == std::string_view::npos) throw std::runtime_error("tables: a line key without its three parts");
  line.invoice_no = key.substr(0, a);
  line.stock_code = key.substr(a + 1, b - a - 1);
  line.source = key.substr(b + 1);
  Reader r{{value}};
  line.quantity = r.num<int32_t>();
  line.invoice_date_us = r.num<int64_t>();
  line.unit_price_milli = r.num<int64_t>();
  line.amount_milli = r.num<int64_t>();
  line.line_type = static_cast<LineType>(r.num<uint8_t>());
  bool has_description = r.num<uint8_t>() & 1;
  std::string description = r.str();
  if (has_description) line.description = std::move(description);
  line.customer_id = r.str();
  line.country = r.str();
  return line;
}

void encode_summary(std::string& value, const InvoiceSummary& s) {
  value.clear();
  put_num<int64_t>(value, s.invoice_date_us);
  put_num<int64_t>(value, s.lines);
  put_num<int64_t>(value, s.quantity);
  put_num<MoneySum>(value, s.amount_milli);
  put_str(value, s.country);
}

void decode_summary(std::string_view value, InvoiceSummary& s) {
  Reader r{{value}};
  s.invoice_date_us = r.num<int64_t>();
  s.lines = r.num<int64_t>();
  s.quantity = r.num<int64_t>();
  s.amount_milli = r.num<MoneySum>();
  s.country = r.str();
}

} // namespace shopflow
