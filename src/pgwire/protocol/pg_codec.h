// PostgreSQL protocol v3 bytes: outgoing messages, reading incoming ones, type OIDs, and values
// in text or binary form (DuckDB gives every value as text; binary is made from that text).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <duckdb.h>

namespace shopflow {

// An outgoing message: type byte, then a length that counts itself, then the body.
class Message {
public:
  explicit Message(char type) : data_(1, type) { data_.append(4, '\0'); }
  Message& i32(int32_t v) {
    uint32_t n = htonl(static_cast<uint32_t>(v));
    data_.append(reinterpret_cast<const char*>(&n), 4);
    return *this;
  }
  Message& i16(int16_t v) {
    uint16_t n = htons(static_cast<uint16_t>(v));
    data_.append(reinterpret_cast<const char*>(&n), 2);
    return *this;
  }
  Message& str(std::string_view s) { // NUL-terminated
    data_.append(s);
    data_.push_back('\0');
    return *this;
  }
  Message& bytes(std::string_view s) {
    data_.append(s);
    return *this;
  }
  const std::string& done() {
    uint32_t n = htonl(static_cast<uint32_t>(data_.size() - 1));
    std::memcpy(data_.data() + 1, &n, 4);
    return data_;
  }

private:
  std::string data_;
};

inline int32_t get_i32(const char* p) {
  uint32_t n;
  std::memcpy(&n, p, 4);
  return static_cast<int32_t>(ntohl(n));
}

// Reads the fields of an incoming message; past the end, ok turns false and values are empty.
struct Reader {
  std::string_view in;
  bool ok = true;
  std::string str() {
    size_t nul = in.find('\0');
    if (nul == std::string_view::npos) {
      ok = false;
      in = {};
      return {};
    }
    std::string out(in.substr(0, nul));
    in.remove_prefix(nul + 1);
    return out;
  }
  std::string_view bytes(size_t n) {
    if (in.size() < n) {
      ok = false;
      n = in.size();
    }
    std::string_view out = in.substr(0, n);
    in.remove_prefix(n);
    return out;
  }
  char byte() {
    auto b = bytes(1);
    return b.empty() ? '\0' : b[0];
  }
  int16_t i16() {
    auto b = bytes(2);
    if (b.size() < 2) return 0;
    uint16_t n;
    std::memcpy(&n, b.data(), 2);
    return static_cast<int16_t>(ntohs(n));
  }
  int32_t i32() {
    auto b = bytes(4);
    return b.size() < 4 ? 0 : get_i32(b.data());
  }
};

// PostgreSQL type OID and size for a DuckDB column type.
std::pair<int32_t, int16_t> pg_type(duckdb_type t);
// text[]: how a DuckDB list (or array) is sent, its elements in their text form.
inline constexpr int32_t kTextArrayOid = 1009;
// A DuckDB list's text ("[a, 'b, c', NULL]") as PostgreSQL's array text ({a,"b, c",NULL}), nested
// lists as nested arrays. Throws DuckError for text that is not a list.
std::string pg_array_text(std::string_view duckdb_list);
// The format code of column (or parameter) i: none given = text, one = for all, else each its own.
int16_t format_of(const std::vector<int16_t>& formats, size_t i);
// A value in PostgreSQL's text or binary form, from DuckDB's text of it. Throws DuckError for a
// type without a binary form here.
std::string encode_value(const std::string& text, int32_t oid, bool binary);
// A binary parameter of type `oid` as text that DuckDB casts to the parameter's type.
std::string decode_binary(std::string_view v, int32_t oid);

} // namespace shopflow
