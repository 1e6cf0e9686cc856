#include "util/json_writer.h"

#include <cmath>
#include <cstdint>
#include <cstring>

// A misuse of the writer is a bug: RapidJSON's assertions throw instead of writing broken JSON.
// Set before RapidJSON is included, which only this file does.
#define RAPIDJSON_ASSERT(x) ((x) ? static_cast<void>(0) : throw std::logic_error("JSON writer misused: " #x))
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "util/utf8.h"

namespace shopflow {

struct JsonWriter::Impl {
  Impl() : writer(buffer) {}
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator,
                    rapidjson::kWriteValidateEncodingFlag>
      writer;
};

namespace {
JsonWriter& checked(JsonWriter& w, bool ok) {
  if (!ok) throw std::logic_error("JSON writer misused");
  return w;
}
JsonWriter& checked_text(JsonWriter& w, bool ok) {
  if (!ok) throw std::invalid_argument("text for JSON is not valid UTF-8");
  return w;
}
rapidjson::SizeType text_size(std::string_view s) {
  if (s.size() > std::numeric_limits<rapidjson::SizeType>::max()) throw std::length_error("text for JSON over 4 GiB");
  return static_cast<rapidjson::SizeType>(s.size());
}

// Text of printable ASCII but '"' and '\\' (most keys and values) is its own JSON string between
// quotes: written so, without RapidJSON's byte-by-byte escaping and UTF-8 validation.
bool verbatim(std::string_view s) {
  // Eight bytes at a time: a word has a byte below 0x20, above 0x7e, '"' or '\\' when one of
  // these exact tests is true (a zero byte after the XOR: a byte equal to the constant).
  constexpr uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
  auto has_zero = [&](uint64_t v) { return (v - ones) & ~v & highs; };
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (((w - ones * 0x20) & ~w & highs) | (w & highs) | has_zero(w ^ (ones * 0x7f)) | has_zero(w ^ (ones * '"')) | has_zero(w ^ (ones * '\\')))
      return false;
  }
  for (; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}
} // namespace

// A key or a string value (RapidJSON's writer tells them apart by position, as Key() does).
JsonWriter& JsonWriter::text(std::string_view s) {
  if (verbatim(s)) {
    // The writer puts what goes before a string (a comma or colon) and its opening quote; the
    // rest is copied into its buffer whole.
    checked(*this, impl_->writer.RawValue("\"", 1, rapidjson::kStringType));
    char* out = impl_->buffer.Push(s.size() + 1);
    std::memcpy(out, s.data(), s.size());
    out[s.size()] = '"';
    return *this;
  }
  return checked_text(*this, impl_->writer.String(s.data(), text_size(s)));
}

JsonWriter::JsonWriter() : impl_(std::make_unique<Impl>()) {}
JsonWriter::~JsonWriter() = default;
JsonWriter::JsonWriter(JsonWriter&&) noexcept = default;
JsonWriter& JsonWriter::operator=(JsonWriter&&) noexcept = default;

JsonWriter& JsonWriter::begin_object() { return checked(*this, impl_->writer.StartObject()); }
JsonWriter& JsonWriter::end_object() { return checked(*this, impl_->writer.EndObject()); }
JsonWriter& JsonWriter::begin_array() { return checked(*this, impl_->writer.StartArray()); }
JsonWriter& JsonWriter::end_array() { return checked(*this, impl_->writer.EndArray()); }
JsonWriter& JsonWriter::key(std::string_view k) { return text(k); }
JsonWriter& JsonWriter::value(std::string_view s) { return text(s); }
JsonWriter& JsonWriter::value(bool b) { return checked(*this, impl_->writer.Bool(b)); }
JsonWriter& JsonWriter::signed_value(int64_t v) { return checked(*this, impl_->writer.Int64(v)); }
JsonWriter& JsonWriter::unsigned_value(uint64_t v) { return checked(*this, impl_->writer.Uint64(v)); }
JsonWriter& JsonWriter::value(double v) { return std::isfinite(v) ? checked(*this, impl_->writer.Double(v)) : value(nullptr); }
JsonWriter& JsonWriter::value(std::nullptr_t) { return checked(*this, impl_->writer.Null()); }
JsonWriter& JsonWriter::value(JsonNumber n) { return checked(*this, impl_->writer.RawValue(n.text.data(), n.text.size(), rapidjson::kNumberType)); }
JsonWriter& JsonWriter::value(JsonRaw r) { return checked(*this, impl_->writer.RawValue(r.json.data(), r.json.size(), rapidjson::kObjectType)); }
std::string_view JsonWriter::view() const { return {impl_->buffer.GetString(), impl_->buffer.GetSize()}; }

std::string json_string(std::string_view s) {
  JsonWriter w;
  w.value(s);
  return w.take();
}

std::string error_json(std::string_view message) {
  JsonWriter w;
  w.begin_object().field("error", escape_invalid_utf8(message)).end_object();
  return w.take();
}

} // namespace shopflow
