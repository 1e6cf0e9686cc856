// Stops a query on a DuckDB connection when its time is up or when its client has gone: a thread
// that interrupts the connection (duckdb_interrupt) once the deadline passes or, given the
// client's socket, once the peer has hung up. The owner checks the deadline itself too, between
// chunks, so the limit also covers encoding and sending the answer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "db/duckdb.h"

namespace shopflow {

class QueryWatchdog {
public:
  enum class Fired { No, Timeout, Disconnected };
  // timeout_ms <= 0: no deadline. client_fd < 0: no socket to watch.
  QueryWatchdog(DuckConnection& con, int64_t timeout_ms, int client_fd = -1);
  ~QueryWatchdog();
  QueryWatchdog(const QueryWatchdog&) = delete;
  QueryWatchdog& operator=(const QueryWatchdog&) = delete;
  Fired fired();
  bool past_deadline() const;

private:
  void watch(DuckConnection& con, int client_fd);
  std::chrono::steady_clock::time_point deadline_;
  bool has_deadline_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  Fired fired_ = Fired::No;
  std::thread thread_;
};

} // namespace shopflow
