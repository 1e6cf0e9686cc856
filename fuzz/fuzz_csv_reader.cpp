// The CSV reader on arbitrary bytes, fed in uneven chunks; every row is cleaned.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "core/clean.h"
#include "formats/csv_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t pos = 0, chunk = size ? 1 + data[0] % 97 : 1;
  shopflow::CsvReader::Options options;
  options.max_record_bytes = 512;
  options.block_bytes = 256;
  shopflow::CsvReader reader(
      [&](char* dst, size_t capacity) {
        size_t n = std::min({capacity, chunk, in.size() - pos});
        std::copy_n(in.data() + pos, n, dst);
        pos += n;
        return n;
      },
      options);
  std::vector<shopflow::InputRow> rows;
  try {
    while (reader.read_batch(rows, 7))
      for (auto& r : rows) shopflow::clean(r);
  } catch (const std::runtime_error&) { // a header naming an unknown column
  }
  return 0;
}
