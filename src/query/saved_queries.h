// The SQL queries analysts save from the dashboard's console, shared by every client with scope
// sql, kept in one file of the data dir:
//   {"queries": [{"name": "...", "sql": "...", "saved_by": "<client id>", "saved_at": <unix s>}, ...]}
// sorted by name, replaced whole and durably on each change. The file is read on every call (it is
// small), so a damaged file is reported by name and never overwritten.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "util/json_writer.h"

namespace shopflow {

struct SavedQuery {
  std::string name, sql, saved_by;
  int64_t saved_at = 0;
};
// {"name", "sql", "saved_by", "saved_at"}: a query as the file and the API give it.
void write_json(JsonWriter& w, const SavedQuery& q);

class SavedQueries {
public:
  static constexpr size_t kMaxQueries = 1000, kMaxNameBytes = 100, kMaxSqlBytes = 64 * 1024;
  explicit SavedQueries(std::filesystem::path file) : file_(std::move(file)) {}

  std::vector<SavedQuery> list() const; // throws std::runtime_error naming the file if it is damaged
  // Adds or replaces `query` by name; true if it was new. Throws std::invalid_argument for a bad
  // name (empty, over kMaxNameBytes, control characters, not UTF-8), empty or oversized SQL, or a
  // full list.
  bool save(const SavedQuery& query);
  bool remove(const std::string& name); // false if there was none

private:
  std::vector<SavedQuery> load() const;
  void store(const std::vector<SavedQuery>& queries) const;
  std::filesystem::path file_;
  mutable std::mutex mutex_;
};

} // namespace shopflow
