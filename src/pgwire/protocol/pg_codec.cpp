#include "pgwire/protocol/pg_codec.h"

#include <fmt/format.h>
#include <strings.h>

#include "core/timestamp.h"
#include "db/duckdb.h"

namespace shopflow {

std::pair<int32_t, int16_t> pg_type(duckdb_type t) {
  switch (t) {
  case DUCKDB_TYPE_BOOLEAN: return {16, 1};
  case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_UTINYINT: return {21, 2};
  case DUCKDB_TYPE_INTEGER: case DUCKDB_TYPE_USMALLINT: return {23, 4};
  case DUCKDB_TYPE_BIGINT: case DUCKDB_TYPE_UINTEGER: return {20, 8};
  case DUCKDB_TYPE_HUGEINT: case DUCKDB_TYPE_UBIGINT: case DUCKDB_TYPE_DECIMAL: return {1700, -1};
  case DUCKDB_TYPE_FLOAT: return {700, 4};
  case DUCKDB_TYPE_DOUBLE: return {701, 8};
  case DUCKDB_TYPE_DATE: return {1082, 4};
  case DUCKDB_TYPE_TIME: return {1083, 8};
  case DUCKDB_TYPE_TIMESTAMP: return {1114, 8};
  case DUCKDB_TYPE_TIMESTAMP_TZ: return {1184, 8};
  case DUCKDB_TYPE_INTERVAL: return {1186, 16};
  case DUCKDB_TYPE_BLOB: return {17, -1};
  case DUCKDB_TYPE_LIST: case DUCKDB_TYPE_ARRAY: return {kTextArrayOid, -1}; // elements as text (pg_array_text)
  default: return {25, -1}; // text
  }
}

int16_t format_of(const std::vector<int16_t>& formats, size_t i) {
  if (formats.empty()) return 0;
  return formats.size() == 1 ? formats[0] : (i < formats.size() ? formats[i] : 0);
}

namespace {

constexpr int64_t kPgEpochUs = 946684800LL * 1'000'000; // 2000-01-01 in unix microseconds

template <class T> std::string big_endian(T v) {
  std::string out(sizeof v, '\0');
  for (size_t i = 0; i < sizeof v; ++i) out[i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * (sizeof v - 1 - i))) & 0xff);
  return out;
}

// PostgreSQL's binary NUMERIC: ndigits, weight, sign, dscale, then base-10000 digits.
std::string numeric_binary(std::string_view text) {
  bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  size_t dot = text.find('.');
  std::string_view int_part = text.substr(0, dot), frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  std::string ints(int_part), fracs(frac);
  ints.insert(0, (4 - ints.size() % 4) % 4, '0');
  fracs.append((4 - fracs.size() % 4) % 4, '0');
  std::vector<int16_t> digits;
  for (size_t i = 0; i < ints.size(); i += 4) digits.push_back(static_cast<int16_t>(std::stoi(ints.substr(i, 4))));
  int weight = static_cast<int>(ints.size() / 4) - 1;
  for (size_t i = 0; i < fracs.size(); i += 4) digits.push_back(static_cast<int16_t>(std::stoi(fracs.substr(i, 4))));
  size_t lead = 0;
  while (lead < digits.size() && digits[lead] == 0) ++lead, --weight;
  digits.erase(digits.begin(), digits.begin() + static_cast<long>(lead));
  while (!digits.empty() && digits.back() == 0) digits.pop_back();
  if (digits.empty()) weight = 0;
  std::string out = big_endian<int16_t>(static_cast<int16_t>(digits.size())) + big_endian<int16_t>(static_cast<int16_t>(weight)) +
                    big_endian<uint16_t>(negative && !digits.empty() ? 0x4000 : 0) + big_endian<int16_t>(static_cast<int16_t>(frac.size()));
  for (int16_t d : digits) out += big_endian<int16_t>(d);
  return out;
}

} // namespace

namespace {

// One element of a DuckDB list's text form: NULL, a value's text, or a nested list.
struct ListElement {
  bool null = false, nested = false;
  std::string text;
  std::vector<ListElement> children;
};

// Parses DuckDB's text of a list ("[a, 'b, c', NULL, [1, 2]]"): a string that would be ambiguous
// is quoted ('...', with \ escapes), NULL is bare, a struct or map ({...}) is kept as its text.
std::vector<ListElement> parse_duckdb_list(std::string_view s, size_t& at) {
  auto fail = [&] { throw DuckError("cannot read the list value " + std::string(s) + " at byte " + std::to_string(at)); };
  if (at >= s.size() || s[at] != '[') fail();
  ++at;
  std::vector<ListElement> out;
  if (at < s.size() && s[at] == ']') return ++at, out;
  for (;;) {
    ListElement e;
    if (at >= s.size()) fail();
    if (s[at] == '[') {
      e.nested = true;
      e.children = parse_duckdb_list(s, at);
    } else if (s[at] == '\'') {
      for (++at; at < s.size() && s[at] != '\''; ++at) e.text.push_back(s[at] == '\\' && at + 1 < s.size() ? s[++at] : s[at]);
      if (at++ >= s.size()) fail();
    } else {
      int depth = 0; // a struct's or map's braces
      bool quoted = false;
      size_t begin = at;
      for (; at < s.size(); ++at) {
        char c = s[at];
        if (quoted) {
          if (c == '\\') ++at;
          else if (c == '\'') quoted = false;
        } else if (c == '\'') quoted = true;
        else if (c == '{' || c == '[') ++depth;
        else if ((c == '}' || c == ']') && depth > 0) --depth;
        else if (depth == 0 && (c == ',' || c == ']')) break;
      }
      e.text = s.substr(begin, at - begin);
      e.null = e.text == "NULL";
    }
    out.push_back(std::move(e));
    if (at < s.size() && s[at] == ']') return ++at, out;
    if (at + 1 >= s.size() || s[at] != ',' || s[at + 1] != ' ') fail();
    at += 2;
  }
}

void append_pg_array(std::string& out, const std::vector<ListElement>& elements) {
  out.push_back('{');
  for (size_t i = 0; i < elements.size(); ++i) {
    const ListElement& e = elements[i];
    if (i) out.push_back(',');
    if (e.nested) append_pg_array(out, e.children);
    else if (e.null) out += "NULL";
    else {
      bool quote = e.text.empty() || strcasecmp(e.text.c_str(), "NULL") == 0 ||
                   e.text.find_first_of("{}\",\\ \t\n\r\v\f") != std::string::npos;
      if (!quote) out += e.text;
      else {
        out.push_back('"');
        for (char c : e.text) {
          if (c == '"' || c == '\\') out.push_back('\\');
          out.push_back(c);
        }
        out.push_back('"');
      }
    }
  }
  out.push_back('}');
}

std::vector<ListElement> parse_whole_list(std::string_view duckdb_list) {
  size_t at = 0;
  std::vector<ListElement> elements = parse_duckdb_list(duckdb_list, at);
  if (at != duckdb_list.size()) throw DuckError("cannot read the list value " + std::string(duckdb_list) + ": text after its end");
  return elements;
}

} // namespace

std::string pg_array_text(std::string_view duckdb_list) {
  std::string out;
  append_pg_array(out, parse_whole_list(duckdb_list));
  return out;
}

// PostgreSQL's binary array: dimensions, a has-nulls flag, the element type, each dimension's
// length and lower bound (1), then each element's length (-1: NULL) and bytes.
std::string pg_array_binary(std::string_view duckdb_list) {
  std::vector<ListElement> elements = parse_whole_list(duckdb_list);
  bool nulls = false;
  for (const ListElement& e : elements) {
    if (e.nested) throw DuckError("a nested list cannot be sent in binary; ask for text");
    nulls = nulls || e.null;
  }
  std::string out = big_endian<int32_t>(elements.empty() ? 0 : 1) + big_endian<int32_t>(nulls) + big_endian<int32_t>(25);
  if (!elements.empty()) out += big_endian<int32_t>(static_cast<int32_t>(elements.size())) + big_endian<int32_t>(1);
  for (const ListElement& e : elements) {
    if (e.null) out += big_endian<int32_t>(-1);
    else out += big_endian<int32_t>(static_cast<int32_t>(e.text.size())) + e.text;
  }
  return out;
}

std::string encode_value(const std::string& text, int32_t oid, bool binary) {
  if (oid == kTextArrayOid) return binary ? pg_array_binary(text) : pg_array_text(text);
  if (oid == 16) return binary ? std::string(1, text == "true" ? '\1' : '\0') : std::string(text == "true" ? "t" : "f");
  if (!binary) return text;
  switch (oid) {
  case 21: return big_endian<int16_t>(static_cast<int16_t>(std::stoi(text)));
  case 23: return big_endian<int32_t>(std::stoi(text));
  case 20: return big_endian<int64_t>(std::stoll(text));
  case 700: {
    float f = std::stof(text);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return big_endian<uint32_t>(u);
  }
  case 701: {
    double d = std::stod(text);
    uint64_t u;
    std::memcpy(&u, &d, 8);
    return big_endian<uint64_t>(u);
  }
  case 1700: return numeric_binary(text);
  case 1082: {
    auto us = parse_timestamp_us(text + " 00:00:00");
    if (!us) throw DuckError("cannot send date " + text + " in binary");
    return big_endian<int32_t>(static_cast<int32_t>((*us - kPgEpochUs) / 86'400'000'000LL));
  }
  case 1114: {
    auto us = parse_timestamp_us(text);
    if (!us) throw DuckError("cannot send timestamp " + text + " in binary");
    return big_endian<int64_t>(*us - kPgEpochUs);
  }
  case 25: case 1043: case 17: return text;
  default: throw DuckError("binary results are not supported for type OID " + std::to_string(oid) + "; ask for text");
  }
}

std::string decode_binary(std::string_view v, int32_t oid) {
  // Microseconds since 2000-01-01 as unix microseconds, if within years 1 to 9999.
  auto in_year_range = [&](int64_t since_2000_us) {
    constexpr int64_t kMin = -62135596800LL * 1'000'000, kMax = 253402300799LL * 1'000'000;
    if (since_2000_us < kMin - kPgEpochUs || since_2000_us > kMax - kPgEpochUs)
      throw DuckError("binary date/timestamp parameter out of range (years 1 to 9999)");
    return since_2000_us + kPgEpochUs;
  };
  auto be = [&](size_t at, size_t n) {
    uint64_t x = 0;
    for (size_t i = 0; i < n; ++i) x = (x << 8) | static_cast<unsigned char>(v[at + i]);
    return x;
  };
  auto need = [&](size_t n) {
    if (v.size() != n) throw DuckError("binary parameter of type OID " + std::to_string(oid) + " has " + std::to_string(v.size()) + " bytes");
  };
  switch (oid) {
  case 16: need(1); return v[0] ? "true" : "false";
  case 21: need(2); return std::to_string(static_cast<int16_t>(be(0, 2)));
  case 23: need(4); return std::to_string(static_cast<int32_t>(be(0, 4)));
  case 20: need(8); return std::to_string(static_cast<int64_t>(be(0, 8)));
  case 700: {
    need(4);
    uint32_t u = static_cast<uint32_t>(be(0, 4));
    float f;
    std::memcpy(&f, &u, 4);
    return fmt::format("{}", f);
  }
  case 701: {
    need(8);
    uint64_t u = be(0, 8);
    double d;
    std::memcpy(&d, &u, 8);
    return fmt::format("{}", d);
  }
  case 1700: {
    if (v.size() < 8) throw DuckError("binary numeric parameter too short");
    size_t n = be(0, 2);
    int weight = static_cast<int16_t>(be(2, 2));
    uint16_t sign = static_cast<uint16_t>(be(4, 2));
    int dscale = static_cast<int16_t>(be(6, 2));
    if (v.size() != 8 + 2 * n || dscale < 0 || dscale > 1000) throw DuckError("malformed binary numeric parameter");
    if (sign == 0xC000) return "NaN";
    // value = 0.<groups> x 10000^(weight + 1)
    std::string all;
    for (size_t i = 0; i < n; ++i) all += fmt::format("{:04}", be(8 + 2 * i, 2));
    long point = (static_cast<long>(weight) + 1) * 4;
    std::string ints, fracs;
    if (point <= 0) {
      ints = "0";
      fracs = std::string(static_cast<size_t>(-point), '0') + all;
    } else if (static_cast<size_t>(point) >= all.size()) {
      ints = all + std::string(static_cast<size_t>(point) - all.size(), '0');
    } else {
      ints = all.substr(0, static_cast<size_t>(point));
      fracs = all.substr(static_cast<size_t>(point));
    }
    ints.erase(0, std::min(ints.find_first_not_of('0'), ints.size() - 1));
    if (ints.empty()) ints.push_back('0');
    fracs.resize(static_cast<size_t>(dscale), '0');
    std::string text = sign == 0x4000 ? "-" : "";
    text += ints;
    if (dscale) {
      text += '.';
      text += fracs;
    }
    return text;
  }
  case 1082: {
    need(4);
    int64_t days = static_cast<int32_t>(be(0, 4));
    if (days < -800'000 || days > 3'000'000) throw DuckError("binary date parameter out of range (years 1 to 9999)");
    return format_timestamp(in_year_range(days * 86'400'000'000LL)).substr(0, 10);
  }
  case 1114: case 1184: {
    need(8);
    return format_timestamp(in_year_range(static_cast<int64_t>(be(0, 8))));
  }
  case 25: case 1043: case 0: return std::string(v);
  default: throw DuckError("binary parameters of type OID " + std::to_string(oid) + " are not supported; send them as text");
  }
}

} // namespace shopflow
