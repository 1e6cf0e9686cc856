// Delivers the outbox's queued events to their subscribers (webhooks, or e-mail through the node's
// SMTP relay: a message per event, or a digest of what came in the subscription's digest_minutes
// after the oldest waiting event): a thread per subscription,
// so that a slow or dead subscriber never holds up another (nor ingest: the outbox is written by
// the log's consumer, not by requests). Each subscription's events go in the order recorded: the
// oldest queued one is retried (exponential backoff with jitter, or the receiver's Retry-After
// when longer) until delivered or dead-lettered after the subscription's max_attempts.
// A digest is one attempt for all its events. Subscriptions added or removed are picked up within
// a second.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <optional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "notify/email_delivery.h"
#include "notify/outbox.h"

namespace shopflow {

// One attempt, as the dashboard lists it.
struct DeliveryAttempt {
  int64_t at_ms = 0;
  std::string first_event; // the event's id (a digest's first)
  size_t events = 1;
  bool delivered = false;
  std::string detail; // why not
};

struct DispatchStats {
  uint64_t delivered = 0, failed_attempts = 0; // events delivered; attempts failed
  std::deque<DeliveryAttempt> recent;          // the last attempts, newest first (kRecentAttempts at most)
  static constexpr size_t kRecentAttempts = 20;
};

class Dispatcher {
public:
  struct Options {
    int64_t retry_base_ms = 1000, retry_cap_ms = 600'000;
    long timeout_ms = 10'000; // per delivery attempt
    std::optional<SmtpRelay> smtp; // e-mail subscriptions wait (failing) without one
    size_t digest_max_events = 500;  // in one digest message
  };
  Dispatcher(Outbox& outbox, Options options); // starts
  ~Dispatcher();                               // stops (an attempt in flight ends by its timeout)
  std::map<std::string, DispatchStats> stats() const;
  // Delivers a "notify.test" event to `sub` now (not queued, not retried): the outcome, also
  // listed among the subscription's recent attempts.
  DeliveryAttempt test(const Subscription& sub);
  bool sends_email() const { return options_.smtp.has_value(); }
  // Prometheus text: events recorded; per subscription deliveries made and failed attempts (since
  // start), deliveries queued and dead.
  void render_metrics(std::string& out) const;

private:
  struct Worker {
    std::thread thread;
    std::atomic<bool> stop{false};
  };
  void watch();
  void deliver_loop(const std::string& id, Worker& w);
  // Lists an attempt among the subscription's recent ones; `counted`: in delivered / failed_attempts too.
  void record(const std::string& id, const DeliveryAttempt& attempt, bool counted);
  // One attempt to deliver `events` (a webhook: the first only); sets retry_after_ms when the receiver asks.
  DeliveryAttempt send(HttpTransfer& http, const Subscription& sub, const std::vector<StoredEvent>& events, int64_t now_ms,
                       int64_t& retry_after_ms) const;

  Outbox& outbox_;
  Options options_;
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
  std::map<std::string, std::unique_ptr<Worker>> workers_; // the watcher's own
  mutable std::mutex stats_mutex_;
  std::map<std::string, DispatchStats> stats_;
};

} // namespace shopflow
