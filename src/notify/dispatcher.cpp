#include "notify/dispatcher.h"

#include <chrono>
#include <functional>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>
#include <random>
#include <set>

#include "notify/webhook.h"
#include "util/clock.h"
#include "util/json_writer.h"
#include "util/log.h"
#include "util/thread_name.h"

namespace shopflow {

namespace {
void nap(const std::atomic<bool>& stop, int64_t ms) {
  for (int64_t slept = 0; slept < ms && !stop; slept += 50) std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(50, ms - slept)));
}
} // namespace

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
    nap(stopping_, 1000);
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
  std::lock_guard lock(stats_mutex_); // listed with the others (not counted: the test event is not queued)
  std::deque<DeliveryAttempt>& recent = stats_[sub.id].recent;
  recent.push_front(attempt);
  if (recent.size() > DispatchStats::kRecentAttempts) recent.pop_back();
  return attempt;
}

void Dispatcher::render_metrics(std::string& out) const {
  out += "# HELP shopflow_notify_events_total Events recorded in the notifications' outbox.\n# TYPE shopflow_notify_events_total counter\n";
  out += "shopflow_notify_events_total " + std::to_string(outbox_.events_recorded()) + "\n";
  const std::map<std::string, DispatchStats> stats = this->stats();
  const std::vector<Subscription> subscriptions = outbox_.subscriptions();
  struct Family {
    const char* name;
    const char* help;
    const char* type;
    std::function<uint64_t(const std::string&)> value;
  };
  auto stat = [&](const std::string& id) {
    auto it = stats.find(id);
    return it == stats.end() ? DispatchStats{} : it->second;
  };
  for (const Family& f : std::vector<Family>{
           {"shopflow_notify_delivered_total", "Events delivered, per subscription (since start).", "counter", [&](const std::string& id) { return stat(id).delivered; }},
           {"shopflow_notify_failed_attempts_total", "Delivery attempts that failed, per subscription (since start).", "counter",
            [&](const std::string& id) { return stat(id).failed_attempts; }},
           {"shopflow_notify_queued", "Deliveries waiting, per subscription.", "gauge", [&](const std::string& id) { return outbox_.queued(id); }},
           {"shopflow_notify_dead", "Deliveries dead-lettered, per subscription.", "gauge",
            [&](const std::string& id) { return outbox_.dead_letters(id).size(); }},
       }) {
    out += std::string("# HELP ") + f.name + " " + f.help + "\n# TYPE " + f.name + " " + f.type + "\n";
    for (const Subscription& s : subscriptions) // ids are [a-z0-9-]: nothing to escape in a label
      out += std::string(f.name) + "{subscription=\"" + s.id + "\"} " + std::to_string(f.value(s.id)) + "\n";
  }
}

void Dispatcher::deliver_loop(const std::string& id, Worker& w) {
  name_this_thread("sf-notify-" + id.substr(0, 5));
  // Deliveries yield the CPU to ingest, as the sinks do (pipeline.cpp): they are behind the log
  // anyway, and catch up when ingest leaves them time.
  sched_param idle{};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle) != 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
  HttpTransfer http;
  std::mt19937_64 random(std::random_device{}());
  while (!w.stop) {
    try {
      std::optional<Subscription> sub = outbox_.subscription(id);
      if (!sub) { // removed: the watcher stops this thread
        nap(w.stop, 200);
        continue;
      }
      const bool digest = !sub->email.empty() && sub->digest_minutes > 0;
      std::vector<QueuedDelivery> batch = outbox_.next_deliveries(id, digest ? options_.digest_max_events : 1);
      if (batch.empty()) {
        nap(w.stop, 200);
        continue;
      }
      const QueuedDelivery& first = batch.front();
      int64_t due = first.not_before_ms;
      if (digest && first.attempts == 0) due = std::max(due, first.event.created_ms + int64_t{sub->digest_minutes} * 60'000);
      const int64_t now = wall_clock_ms();
      if (due > now) {
        nap(w.stop, std::min<int64_t>(due - now, 1000));
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
      std::lock_guard lock(stats_mutex_);
      DispatchStats& st = stats_[id];
      if (attempt.delivered) st.delivered += batch.size();
      else ++st.failed_attempts;
      st.recent.push_front(std::move(attempt));
      if (st.recent.size() > DispatchStats::kRecentAttempts) st.recent.pop_back();
    } catch (const std::exception& e) {
      log::error("notify_delivery_failed", {{"subscription", id}, {"error", e.what()}});
      nap(w.stop, 1000);
    }
  }
}

} // namespace shopflow
