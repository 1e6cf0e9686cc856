// How long after a POST is acknowledged its row can be read back:
//   - through the API (GET /v1/invoices/{InvoiceNo}, the tables), and
//   - through SQL over the lake (DuckDB reading the lake's Parquet files, Athena's role).
// usage: visibility URL DATA_DIR [SAMPLES]
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "client/http_client.h"
#include "db/duckdb.h"
#include "util/percentile.h"

using namespace shopflow;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: visibility URL DATA_DIR [SAMPLES]\n");
    return 2;
  }
  ParsedUrl url = parse_url(argv[1]);
  std::string lake = std::string(argv[2]) + "/lake/transactions/*/*/*.parquet";
  int samples = argc > 3 ? std::atoi(argv[3]) : 200;
  HttpClient post(url.host, url.port), get(url.host, url.port);
  DuckDatabase db(":memory:");
  DuckConnection con(db);
  std::vector<double> api_ms, sql_ms;
  for (int i = 0; i < samples; ++i) {
    std::string invoice = "9"; // built with += : GCC 12 warns falsely (-Wrestrict) about "x" + std::string
    invoice += std::to_string(getpid() % 1000);
    invoice += std::to_string(100000 + i);
    std::string rec = "{\"InvoiceNo\":\"" + invoice + "\",\"StockCode\":\"85123A\",\"Description\":\"V\",\"Quantity\":1,"
                      "\"InvoiceDate\":\"2011-12-09 12:00:00\",\"UnitPrice\":1.5,\"CustomerID\":12346,\"Country\":\"United Kingdom\"}";
    HttpResult r = post.request("POST", "/v1/records", rec, {{"Content-Type", "application/json"}});
    if (r.status != 200) {
      std::fprintf(stderr, "POST failed: %u %s\n", r.status, r.body.c_str());
      return 1;
    }
    auto acked = Clock::now();
    while (get.request("GET", "/v1/invoices/" + invoice).status != 200) std::this_thread::sleep_for(std::chrono::microseconds(500));
    api_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - acked).count());
    if (i % 5 == 0) { // SQL visibility on every fifth sample (each waits for a lake flush)
      for (;;) {
        try {
          if (con.query("SELECT count(*) FROM read_parquet('" + lake + "') WHERE invoice_no = '" + invoice + "'").int64(0, 0) > 0) break;
        } catch (const DuckError&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      sql_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - acked).count());
    }
  }
  std::printf("visible in GET: p50 %.1f ms, p99 %.1f ms (%zu samples)\n", percentile(api_ms, 0.5), percentile(api_ms, 0.99), api_ms.size());
  std::printf("visible in SQL over the lake: p50 %.1f ms, p99 %.1f ms (%zu samples)\n", percentile(sql_ms, 0.5), percentile(sql_ms, 0.99), sql_ms.size());
  return 0;
}
