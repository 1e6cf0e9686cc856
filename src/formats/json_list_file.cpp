#include "formats/json_list_file.h"

#include <stdexcept>
#include <string>

#include "util/durable_file.h"

namespace shopflow {

void write_json_list_file(const std::filesystem::path& path, std::string_view member, size_t count,
                          const std::function<void(JsonWriter&, size_t)>& write_element, mode_t mode) {
  std::string out(1, '{');
  out += json_string(member);
  out += ": [\n";
  for (size_t i = 0; i < count; ++i) {
    JsonWriter w;
    write_element(w, i);
    out += "  ";
    out += w.view();
    out += i + 1 < count ? ",\n" : "\n";
  }
  out += "]}\n";
  replace_file_durably(path, out, mode);
}

simdjson::dom::array read_json_list_file(simdjson::dom::parser& parser, const std::filesystem::path& path, std::string_view member,
                                         std::string_view what) {
  simdjson::dom::element doc;
  simdjson::dom::array list;
  if (parser.load(path.string()).get(doc) || doc[member].get_array().get(list))
    throw std::runtime_error(path.string() + " is not a " + std::string(what) + " file ({\"" + std::string(member) + "\": [...]})");
  return list;
}

} // namespace shopflow
