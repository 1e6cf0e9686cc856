#include "notify/dispatcher.h"

#include <array>
#include <random>
#include <set>

#include "notify/webhook.h"
#include "util/clock.h"
#include "util/json_writer.h"
#include "util/log.h"
#include "util/idle_priority.h"
#include "util/interruptible_sleep.h"
#include "util/thread_name.h"

namespace shopflow {

Dispatcher::Dispatcher(Outbox& outbox, Options options) : outbox_(outbox), options_(options) {
  watcher_ = std::thread([this] { watch(); });
}

Dispatcher::~Dispatcher() {
  stopping_ = true;
  watcher_.join();
}

std::map<std::string, DispatchStats> Dispatcher::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

void Dispatcher::watch() {
  name_this_thread("sf-notify");
  while (!stopping_) {
    std::set<std::string> wanted;
    for (const Subscription& s : outbox_.subscriptions()) wanted.insert(s.id);
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (wanted.count(it->first)) {
        ++it;
        continue;
      }
      it->second->stop = true;
      it->second->thread.join();
      it = workers_.erase(it);
    }
    for (const std::string& id : wanted)
      if (!workers_.count(id)) {
        auto w = std::make_unique<Worker>();
        Worker& ref = *w;
        w->thread = std::thread([this, id, &ref] { deliver_loop(id, ref); });
        workers_.emplace(id, std::move(w));
      }
    sleep_unless(stopping_, 1000);
  }
  for (auto& [id, w] : workers_) {
    w->stop = true;
    w->thread.join();
  }
}

DeliveryAttempt Dispatcher::send(HttpTransfer& http, const Subscription& sub, const std::vector<StoredEvent>& events, int64_t now_ms,
                                  int64_t& retry_after_ms) const {
  DeliveryAttempt attempt{now_ms, events.front().id, events.size(), false, ""};
  if (!sub.email.empty()) {
    std::vector<MailEvent> mail;
    for (const StoredEvent& e : events) mail.push_back({e.id, e.type, e.body, e.created_ms});
    attempt.detail = options_.smtp ? deliver_email(http, *options_.smtp, sub.email, mail, now_ms, options_.timeout_ms * 3)
                                   : "no SMTP relay on this node (serve --smtp)";
    attempt.delivered = attempt.detail.empty();
    return attempt;
  }
  const StoredEvent& e = events.front(); // a webhook takes one event a request
  DeliveryOutcome out = deliver_webhook(http, sub.webhook_url, sub.secret, {e.id, e.type, e.body}, now_ms / 1000, options_.timeout_ms);
  attempt.delivered = out.delivered;
  attempt.detail = out.detail;
  retry_after_ms = out.retry_after_ms;
  return attempt;
}

DeliveryAttempt Dispatcher::test(const Subscription& sub) {
  const int64_t now = wall_clock_ms();
  JsonWriter body;
  body.begin_object().field("subscription", sub.id).field("test", true).end_object();
  HttpTransfer http;
  int64_t retry_after_ms = -1;
  DeliveryAttempt attempt = send(http, sub, {{0, "notify.test/" + std::to_string(now), "notify.test", now, body.take()}}, now, retry_after_ms);
  record(sub.id, attempt, false); // listed with the others, not counted: the test event is not queued
  return attempt;
}

void Dispatcher::record(const std::string& id, const DeliveryAttempt& attempt, bool counted) {
  std::lock_guard lock(stats_mutex_);
  DispatchStats& st = stats_[id];
  if (counted && attempt.delivered) st.delivered += attempt.events;
  else if (counted) ++st.failed_attempts;
  st.recent.push_front(attempt);
  if (st.recent.size() > DispatchStats::kRecentAttempts) st.recent.pop_back();
}

void Dispatcher::render_metrics(std::string& out) const {
  out += "# HELP shopflow_notify_events_total Events recorded in the notifications' outbox.\n# TYPE shopflow_notify_events_total counter\n";
  out += "shopflow_notify_events_total " + std::to_string(outbox_.events_recorded()) + "\n";
  const std::map<std::string, DispatchStats> stats = this->stats();
  // Per subscription: delivered, failed attempts, queued, dead (the queue scanned once).
  std::map<std::string, std::array<uint64_t, 4>> values;
  for (const Subscription& s : outbox_.subscriptions()) {
    auto it = stats.find(s.id);
    const DispatchStats st = it == stats.end() ? DispatchStats{} : it->second;
    const Outbox::QueueCounts n = outbox_.counts(s.id);
    values[s.id] = {st.delivered, st.failed_attempts, n.queued, n.dead};
  }
  const char* families[4][3] = {{"shopflow_notify_delivered_total", "Events delivered, per subscription (since start).", "counter"},
                                {"shopflow_notify_failed_attempts_total", "Delivery attempts that failed, per subscription (since start).", "counter"},
                                {"shopflow_notify_queued", "Deliveries waiting, per subscription.", "gauge"},
                                {"shopflow_notify_dead", "Deliveries dead-lettered, per subscription.", "gauge"}};
  for (size_t f = 0; f < 4; ++f) {
    const auto& [name, help, type] = families[f];
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const auto& [id, v] : values) // ids are [a-z0-9-]: nothing to escape in a label
      out += std::string(name) + "{subscription=\"" + id + "\"} " + std::to_string(v[f]) + "\n";
  }
}

void Dispatcher::deliver_loop(const std::string& id, Worker& w) {
  name_this_thread("sf-notify-" + id.substr(0, 5));
  run_this_thread_at_idle_priority(); // deliveries are behind the log anyway
  HttpTransfer http;
  std::mt19937_64 random(std::random_device{}());
  while (!w.stop) {
    try {
      std::optional<Subscription> sub = outbox_.subscription(id);
      if (!sub) { // removed: the watcher stops this thread
        sleep_unless(w.stop, 200);
        continue;
      }
      const bool digest = !sub->email.empty() && sub->digest_minutes > 0;
      std::vector<QueuedDelivery> batch = outbox_.next_deliveries(id, digest ? options_.digest_max_events : 1);
      if (batch.empty()) {
        sleep_unless(w.stop, 200);
        continue;
      }
      const QueuedDelivery& first = batch.front();
      int64_t due = first.not_before_ms;
      if (digest && first.attempts == 0) due = std::max(due, first.event.created_ms + int64_t{sub->digest_minutes} * 60'000);
      const int64_t now = wall_clock_ms();
      if (due > now) {
        sleep_unless(w.stop, std::min<int64_t>(due - now, 1000));
        continue;
      }
      std::vector<StoredEvent> events;
      for (const QueuedDelivery& d : batch) events.push_back(d.event);
      int64_t retry_after_ms = -1;
      DeliveryAttempt attempt = send(http, *sub, events, now, retry_after_ms);
      if (attempt.delivered) {
        outbox_.delivered(batch);
      } else {
        int64_t wait = std::max(retry_delay_ms(static_cast<int>(first.attempts) + 1, random(), options_.retry_base_ms, options_.retry_cap_ms),
                                retry_after_ms);
        outbox_.failed(batch, attempt.detail, wall_clock_ms() + wait, sub->max_attempts);
      }
      record(id, attempt, true);
    } catch (const std::exception& e) {
      log::error("notify_delivery_failed", {{"subscription", id}, {"error", e.what()}});
      sleep_unless(w.stop, 1000);
    }
  }
}

} // namespace shopflow
