// HTTP request handling as `serve` does it: Beast's parser with the server's limits, then the
// body decoded by its Content-Type (JSON, NDJSON, CSV or sniffed) and every record cleaned.
#include <cstdint>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "formats/record_body.h"
#include "core/clean.h"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http::request_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);
  parser.header_limit(16 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return 0;
  const auto& req = parser.get();
  std::string_view content_type;
  if (auto it = req.find(http::field::content_type); it != req.end()) content_type = {it->value().data(), it->value().size()};
  try {
    shopflow::RecordBody body(req.body(), content_type, 100);
    for (auto& row : body.rows()) shopflow::clean(row);
  } catch (const shopflow::BodyError&) {
  }
  return 0;
}
