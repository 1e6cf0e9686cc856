// Where `shopflow sql` and `shopflow catalog` run their queries: on the data dir itself (its
// warehouse opened read-only), or, while a `shopflow serve` holds it, through that server's
// POST /v1/sql under its SQL policy and limits. Either way the answer is the same TextTable, so
// both print the same.
#pragma once

#include <memory>
#include <string>

#include "query/query_engine.h"

namespace shopflow {

class QuerySource {
public:
  virtual ~QuerySource() = default;
  // Throws DuckError with the database's message for a SQL error.
  virtual TextTable query(const std::string& sql) = 0;
  // The data dir as the queries must name it (absolute: a server's working folder is not ours).
  virtual std::string data_dir() const = 0;
};

std::unique_ptr<QuerySource> open_query_source(const std::string& data_dir);

} // namespace shopflow
