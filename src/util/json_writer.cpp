#include "util/json_writer.h"

#include <cmath>

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
} // namespace

JsonWriter::JsonWriter() : impl_(std::make_unique<Impl>()) {}
JsonWriter::~JsonWriter() = default;
JsonWriter::JsonWriter(JsonWriter&&) noexcept = default;
JsonWriter& JsonWriter::operator=(JsonWriter&&) noexcept = default;

JsonWriter& JsonWriter::begin_object() { return checked(*this, impl_->writer.StartObject()); }
JsonWriter& JsonWriter::end_object() { return checked(*this, impl_->writer.EndObject()); }
JsonWriter& JsonWriter::begin_array() { return checked(*this, impl_->writer.StartArray()); }
JsonWriter& JsonWriter::end_array() { return checked(*this, impl_->writer.EndArray()); }
JsonWriter& JsonWriter::key(std::string_view k) { return checked_text(*this, impl_->writer.Key(k.data(), text_size(k))); }
JsonWriter& JsonWriter::value(std::string_view s) { return checked_text(*this, impl_->writer.String(s.data(), text_size(s))); }
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
