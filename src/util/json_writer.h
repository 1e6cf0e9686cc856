// JSON text for every answer and file shopflow writes as JSON, through RapidJSON's streaming
// Writer (Debian's rapidjson-dev, wrapped here once): it escapes strings, refuses text that is not
// UTF-8 and keeps the structure well formed. Numbers that must stay exact (money as decimals, DuckDB's numeric
// text) go in as number text, never through a double; a value already serialized (a SQL answer
// inside the dashboard's) goes in whole.
//
//   JsonWriter w;
//   w.begin_object().field("invoice_no", no).field("amount", JsonNumber{"15.30"}).end_object();
//   std::string body = w.take();
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace shopflow {

struct JsonNumber { // number text written as it is: "15.30", "-3", "1e3"
  std::string_view text;
};
struct JsonRaw { // a complete JSON value, written as it is
  std::string_view json;
};

class JsonWriter {
public:
  JsonWriter();
  ~JsonWriter();
  JsonWriter(JsonWriter&&) noexcept;
  JsonWriter& operator=(JsonWriter&&) noexcept;

  // A misuse (a value where a key belongs, closing what is not open) throws std::logic_error
  // instead of writing broken JSON.
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);

  // Values. A string must be UTF-8 (std::invalid_argument otherwise).
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b);
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  JsonWriter& value(T v) {
    if constexpr (std::is_signed_v<T>) return signed_value(v);
    else return unsigned_value(v);
  }
  JsonWriter& value(double v); // non-finite: null (JSON has no NaN)
  JsonWriter& value(std::nullptr_t);
  JsonWriter& value(JsonNumber n);
  JsonWriter& value(JsonRaw r);
  template <class T> JsonWriter& value(const std::optional<T>& v) { return v ? value(*v) : value(nullptr); }
  template <class T> JsonWriter& field(std::string_view k, const T& v) { return key(k).value(v); }

  // The text so far (complete once every object and array is closed).
  std::string_view view() const;
  std::string take() const { return std::string(view()); }

private:
  JsonWriter& signed_value(int64_t v);
  JsonWriter& unsigned_value(uint64_t v);
  JsonWriter& text(std::string_view s);
  struct Impl; // RapidJSON's writer and buffer, seen only by json_writer.cpp
  std::unique_ptr<Impl> impl_;
};

// One string as a JSON string literal (UTF-8, else std::invalid_argument).
std::string json_string(std::string_view s);
// {"error": message}: the body of every JSON error answer. A message quoting what a client sent
// may hold bytes that are not UTF-8: they are written as "\xNN" (util/utf8.h).
std::string error_json(std::string_view message);

} // namespace shopflow
