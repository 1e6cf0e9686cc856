// Little-endian fixed-width numbers and u32-length-prefixed strings, for the binary formats of
// the log rows (pipeline/log_record.h) and the lookup tables' values (sinks/tables/tables.h).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace shopflow {

template <class T> void put_num(std::string& out, T v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

inline void put_str(std::string& out, std::string_view s) {
  put_num<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Reads what put_num/put_str wrote. A read past the end sets ok = false and yields zero/empty.
struct ByteReader {
  std::string_view in;
  bool ok = true;

  template <class T> T num() {
    T v{};
    if (in.size() < sizeof v) {
      ok = false;
      return v;
    }
    std::memcpy(&v, in.data(), sizeof v);
    in.remove_prefix(sizeof v);
    return v;
  }
  std::string_view str() {
    uint32_t n = num<uint32_t>();
    if (!ok || in.size() < n) {
      ok = false;
      return {};
    }
    std::string_view s = in.substr(0, n);
    in.remove_prefix(n);
    return s;
  }
};

} // namespace shopflow
