// A small file holding one list of JSON objects under one member, one object per line so that a
// person can read and edit it (the OAuth clients, the saved queries):
//   {"<member>": [
//     {...},
//     {...}
//   ]}
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string_view>

#include <simdjson.h>

#include "util/json_writer.h"

namespace shopflow {

// Replaces the file durably (util/durable_file.h) with `count` elements, element i written by
// write_element(w, i) on a writer of its own, the file created with `mode`.
void write_json_list_file(const std::filesystem::path& path, std::string_view member, size_t count,
                          const std::function<void(JsonWriter&, size_t)>& write_element, mode_t mode = 0644);
// The list under `member`, parsed by `parser` (which owns what it returns). Throws
// std::runtime_error "<path> is not a <what> file ({"<member>": [...]})" when it is not one.
simdjson::dom::array read_json_list_file(simdjson::dom::parser& parser, const std::filesystem::path& path, std::string_view member,
                                         std::string_view what);

} // namespace shopflow
