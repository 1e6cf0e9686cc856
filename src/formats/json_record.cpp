#include "formats/json_record.h"

#include <array>

namespace shopflow {

using namespace simdjson;

namespace {
int field_for_key(std::string_view key) {
  for (size_t f = 0; f < kFieldCount; ++f)
    if (key == kFieldNames[f]) return int(f);
  // Also accept any letter case ("invoiceno", "INVOICENO").
  for (size_t f = 0; f < kFieldCount; ++f) {
    std::string_view name = kFieldNames[f];
    if (name.size() != key.size()) continue;
    bool same = true;
    for (size_t i = 0; i < key.size() && same; ++i) same = (key[i] | 0x20) == (name[i] | 0x20);
    if (same) return int(f);
  }
  return -1;
}


constexpr std::array<std::string_view, kFieldCount> kMissing = {
    "missing key InvoiceNo", "missing key StockCode", "missing key Description", "missing key Quantity",
    "missing key InvoiceDate", "missing key UnitPrice", "missing key CustomerID", "missing key Country"};
constexpr std::array<std::string_view, kFieldCount> kBadType = {
    "InvoiceNo is not a string or number", "StockCode is not a string or number",
    "Description is not a string or number", "Quantity is not a string or number",
    "InvoiceDate is not a string or number", "UnitPrice is not a string or number",
    "CustomerID is not a string or number", "Country is not a string or number"};
constexpr std::array<std::string_view, kFieldCount> kDuplicate = {
    "duplicate key InvoiceNo", "duplicate key StockCode", "duplicate key Description", "duplicate key Quantity",
    "duplicate key InvoiceDate", "duplicate key UnitPrice", "duplicate key CustomerID", "duplicate key Country"};
} // namespace

void JsonRecordParser::parse(std::string_view json, size_t capacity, InputRow& row, std::string& arena) {
  row = InputRow{};
  row.raw = json;
  row.valid_utf8 = simdjson::validate_utf8(json.data(), json.size());
  if (!row.valid_utf8) return;
  auto fail = [&](std::string_view why) { row.framing_error = why; };
  ondemand::document doc;
  if (parser_.iterate(json.data(), json.size(), capacity).get(doc)) return fail("not valid JSON");
  ondemand::object obj;
  if (doc.get_object().get(obj)) return fail("JSON value is not an object");
  std::array<bool, kFieldCount> seen{};
  uint32_t count = 0;
  for (auto member : obj) {
    std::string_view key;
    if (member.unescaped_key().get(key)) return fail("not valid JSON");
    int field = field_for_key(key);
    if (field < 0) return fail("unknown key (expected the 8 keys InvoiceNo..Country)");
    if (seen[field]) return fail(kDuplicate[field]);
    seen[field] = true;
    ++count;
    ondemand::value value;
    if (member.value().get(value)) return fail("not valid JSON");
    ondemand::json_type type;
    if (value.type().get(type)) return fail("not valid JSON");
    InputField& out = row.fields[field];
    switch (type) {
    case ondemand::json_type::string: {
      std::string_view s;
      if (value.get_string().get(s)) return fail("not valid JSON");
      size_t at = arena.size();
      arena.append(s);
      out.text = std::string_view(arena.data() + at, s.size());
      out.kind = FieldKind::Text;
      break;
    }
    case ondemand::json_type::number: {
      std::string_view token = value.raw_json_token();
      while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' || token.back() == '\t'))
        token.remove_suffix(1);
      out.text = token; // points into `json`
      out.kind = FieldKind::Number;
      break;
    }
    case ondemand::json_type::null:
      if (value.is_null().error()) return fail("not valid JSON");
      out.kind = FieldKind::Null;
      break;
    default:
      return fail(kBadType[field]);
    }
  }
  if (!doc.current_location().error()) return fail("text after the JSON object");
  for (size_t f = 0; f < kFieldCount; ++f)
    if (!seen[f]) return fail(kMissing[f]);
  row.field_count = count;
}

} // namespace shopflow
