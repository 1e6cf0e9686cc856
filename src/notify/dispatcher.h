// Delivers the outbox's queued events to their subscribers' webhooks: a thread per subscription,
// so that a slow or dead subscriber never holds up another (nor ingest: the outbox is written by
// the log's consumer, not by requests). Each subscription's events go in the order recorded: the
// oldest queued one is retried (exponential backoff with jitter, or the receiver's Retry-After
// when longer) until delivered or dead-lettered after the subscription's max_attempts.
// Subscriptions added or removed are picked up within a second. E-mail subscriptions are not
// delivered by this dispatcher.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "notify/outbox.h"

namespace shopflow {

struct DispatchStats {
  uint64_t delivered = 0, failed_attempts = 0;
  std::string last_error;
  int64_t last_delivered_ms = 0;
};

class Dispatcher {
public:
  struct Options {
    int64_t retry_base_ms = 1000, retry_cap_ms = 600'000;
    long timeout_ms = 10'000; // per delivery attempt
  };
  Dispatcher(Outbox& outbox, Options options); // starts
  ~Dispatcher();                               // stops (an attempt in flight ends by its timeout)
  std::map<std::string, DispatchStats> stats() const;

private:
  struct Worker {
    std::thread thread;
    std::atomic<bool> stop{false};
  };
  void watch();
  void deliver_loop(const std::string& id, Worker& w);

  Outbox& outbox_;
  Options options_;
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
  std::map<std::string, std::unique_ptr<Worker>> workers_; // the watcher's own
  mutable std::mutex stats_mutex_;
  std::map<std::string, DispatchStats> stats_;
};

} // namespace shopflow
