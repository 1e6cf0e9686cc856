#include "serve/sinks.h"

#include "pipeline/notify_consumer.h"

#include <stdexcept>

namespace shopflow {

std::string SinkSet::text() const {
  std::string out;
  for (auto [on, name] : {std::pair{warehouse, "warehouse"}, std::pair{tables, "tables"}, std::pair{lake, "lake"}, std::pair{notify, "notify"}})
    if (on) {
      if (!out.empty()) out += ',';
      out += name;
    }
  return out;
}

SinkSet parse_sink_set(const std::string& list) {
  SinkSet set{false, false, false};
  size_t at = 0;
  while (at <= list.size()) {
    size_t comma = std::min(list.find(',', at), list.size());
    std::string name = list.substr(at, comma - at);
    if (name == "warehouse") set.warehouse = true;
    else if (name == "tables") set.tables = true;
    else if (name == "lake") set.lake = true;
    else if (name == "notify") set.notify = true;
    else throw std::invalid_argument("--sinks: unknown sink '" + name + "' (the sinks are warehouse, tables, lake and notify)");
    at = comma + 1;
  }
  return set;
}

std::vector<std::unique_ptr<SinkConsumer>> make_sinks(DataDir& dir, const SinkSet& set, LakeBuffering lake, Outbox* outbox,
                                                      NotifyTiming notify) {
  std::vector<std::unique_ptr<SinkConsumer>> sinks;
  if (set.warehouse) sinks.push_back(make_warehouse_consumer(dir));
  if (set.tables) sinks.push_back(make_tables_consumer(dir.tables()));
  if (set.lake) sinks.push_back(make_lake_consumer(dir, lake));
  if (set.notify && outbox) sinks.push_back(make_notify_consumer(*outbox, notify));
  return sinks;
}

} // namespace shopflow
