#include "query/saved_queries.h"

#include <algorithm>
#include <stdexcept>

#include "formats/json_list_file.h"
#include "util/utf8.h"

namespace fs = std::filesystem;

namespace shopflow {

std::vector<SavedQuery> SavedQueries::load() const {
  std::error_code ec;
  if (!fs::exists(file_, ec)) return {};
  simdjson::dom::parser parser;
  std::vector<SavedQuery> out;
  for (auto e : read_json_list_file(parser, file_, "queries", "saved-queries")) {
    SavedQuery q;
    std::string_view name, sql, by;
    if (e["name"].get_string().get(name) || e["sql"].get_string().get(sql) || e["saved_by"].get_string().get(by) ||
        e["saved_at"].get_int64().get(q.saved_at))
      throw std::runtime_error(file_.string() + ": query " + std::to_string(out.size() + 1) + " lacks name, sql, saved_by or saved_at");
    q.name = name, q.sql = sql, q.saved_by = by;
    out.push_back(std::move(q));
  }
  std::sort(out.begin(), out.end(), [](const SavedQuery& a, const SavedQuery& b) { return a.name < b.name; }); // edited by hand, say
  return out;
}

void write_json(JsonWriter& w, const SavedQuery& q) {
  w.begin_object().field("name", q.name).field("sql", q.sql).field("saved_by", q.saved_by).field("saved_at", q.saved_at).end_object();
}

void SavedQueries::store(const std::vector<SavedQuery>& queries) const {
  write_json_list_file(file_, "queries", queries.size(), [&](JsonWriter& w, size_t i) { write_json(w, queries[i]); });
}

std::vector<SavedQuery> SavedQueries::list() const {
  std::lock_guard lock(mutex_);
  return load();
}

bool SavedQueries::save(const SavedQuery& query) {
  const std::string& name = query.name;
  if (name.empty() || name.size() > kMaxNameBytes || !valid_utf8(name) ||
      std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    throw std::invalid_argument("a saved query's name is 1 to " + std::to_string(kMaxNameBytes) + " bytes of UTF-8 without control characters");
  if (query.sql.find_first_not_of(" \t\r\n") == std::string::npos) throw std::invalid_argument("a saved query needs SQL");
  if (query.sql.size() > kMaxSqlBytes) throw std::invalid_argument("a saved query's SQL is at most " + std::to_string(kMaxSqlBytes) + " bytes");
  if (!valid_utf8(query.sql)) throw std::invalid_argument("a saved query's SQL must be UTF-8");
  std::lock_guard lock(mutex_);
  std::vector<SavedQuery> queries = load();
  auto at = std::lower_bound(queries.begin(), queries.end(), name, [](const SavedQuery& q, const std::string& n) { return q.name < n; });
  bool added = at == queries.end() || at->name != name;
  if (added && queries.size() >= kMaxQueries) throw std::invalid_argument("there are " + std::to_string(kMaxQueries) + " saved queries already; remove one first");
  if (added) queries.insert(at, query);
  else *at = query;
  store(queries);
  return added;
}

bool SavedQueries::remove(const std::string& name) {
  std::lock_guard lock(mutex_);
  std::vector<SavedQuery> queries = load();
  auto n = std::erase_if(queries, [&](const SavedQuery& q) { return q.name == name; });
  if (n) store(queries);
  return n > 0;
}

} // namespace shopflow
