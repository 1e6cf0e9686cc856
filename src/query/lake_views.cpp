#include "query/lake_views.h"

namespace shopflow {

LakeViews::LakeViews(DuckDatabase& db, LakeWriter& lake) : lake_(lake), ddl_(db) {
  ddl_.execute("ATTACH IF NOT EXISTS ':memory:' AS lake");
  for (const char* table : kLakeTables) define(table, "");
}

void LakeViews::define(const std::string& table, const std::string& files) {
  const std::string variable = files_variable(table);
  // Defining a view binds it: the variable holds files here too.
  std::string body = !files.empty()
      ? "SET VARIABLE " + variable + " = " + files + ";\nCREATE OR REPLACE VIEW lake.main." + table +
            " AS SELECT * FROM read_parquet(getvariable(" + sql_literal(variable) + "), hive_partitioning = true)"
      : "CREATE OR REPLACE VIEW lake.main." + table + " AS SELECT *, CAST(NULL AS BIGINT) AS year, CAST(NULL AS BIGINT) AS month FROM warehouse.main." +
            table + " WHERE false";
  ddl_.execute(body);
  reads_files_[table] = !files.empty();
}

std::string LakeViews::files_of(const std::string& table) {
  const uint64_t changes = lake_.changes(); // before listing: a change during it lists again next time
  if (!lake_.others_write()) {
    std::lock_guard lock(mutex_);
    if (Listed& l = listed_[table]; l.changes == changes) return l.files;
  }
  std::string list;
  for (const std::string& key : lake_.readable_files(table)) list += (list.empty() ? "" : ", ") + sql_literal(lake_.store().read_location(key));
  list = list.empty() ? "" : "[" + list + "]";
  std::lock_guard lock(mutex_);
  listed_[table] = {changes, list};
  return list;
}

LakeHolds::Hold LakeViews::read_now(DuckConnection& con) {
  LakeHolds::Hold hold = lake_.holds().hold(); // before listing: what is listed stays
  std::string set;
  for (const char* table : kLakeTables) {
    const std::string list = files_of(table);
    {
      // A view turns to reading files when the table's first arrive (and back, should they all
      // go); a query under way keeps the view it bound.
      std::lock_guard lock(mutex_);
      if (reads_files_[table] == list.empty()) define(table, list);
    }
    set += "SET VARIABLE " + files_variable(table) + " = " + (list.empty() ? "[]" : list) + "::VARCHAR[];\n";
  }
  con.execute(set);
  return hold;
}

} // namespace shopflow
