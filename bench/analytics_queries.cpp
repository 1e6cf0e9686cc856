// The dashboard's analytics queries (query/report.h) run in-process on a data dir's warehouse:
// per query p50 and max over RUNS runs, then queries/s over the whole mix for SECONDS. Each
// filtered query runs twice: unfiltered, and filtered to one country ("NAME|country"), its filter
// parameters written into the text so that any client can send the same statement.
//   analytics_queries DATA_DIR [RUNS] [SECONDS]    measure
//   analytics_queries --json                        print the queries as [{"name", "sql"}]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "db/duckdb.h"
#include "util/json_writer.h"
#include "query/report.h"

using namespace shopflow;
using Clock = std::chrono::steady_clock;

namespace {
struct Query {
  std::string name, sql;
};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
  return s;
}

std::vector<Query> bench_queries() {
  std::vector<Query> out;
  for (auto& q : analytics_queries()) {
    if (!q.filtered) {
      out.push_back({q.name, q.sql});
      continue;
    }
    std::string unfiltered = replace_all(replace_all(replace_all(q.sql, "$1", "NULL"), "$2", "NULL"), "$3", "NULL");
    out.push_back({q.name, unfiltered});
    out.push_back({std::string(q.name) + "|country",
                   replace_all(replace_all(replace_all(q.sql, "$1", "NULL"), "$2", "NULL"), "$3", "'United Kingdom'")});
  }
  return out;
}
} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: analytics_queries DATA_DIR [RUNS] [SECONDS] | --json\n");
    return 2;
  }
  if (std::string(argv[1]) == "--json") {
    JsonWriter w;
    w.begin_array();
    for (auto& q : bench_queries()) w.begin_object().field("name", q.name).field("sql", q.sql).end_object();
    std::printf("%s\n", w.end_array().take().c_str());
    return 0;
  }
  int runs = argc > 2 ? std::stoi(argv[2]) : 30;
  double seconds = argc > 3 ? std::stod(argv[3]) : 5;
  DuckDatabase db(std::string(argv[1]) + "/warehouse.duckdb", {{"access_mode", "READ_ONLY"}});
  DuckConnection con(db);
  const std::vector<Query> queries = bench_queries();
  for (auto& q : queries) {
    con.query(q.sql); // warm
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
      auto t0 = Clock::now();
      con.query(q.sql);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%s p50_ms=%.2f max_ms=%.2f\n", q.name.c_str(), ms[ms.size() / 2], ms.back());
  }
  size_t done = 0;
  auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds)
    con.query(queries[done++ % queries.size()].sql);
  std::printf("mix qps=%.1f\n", done / std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}
