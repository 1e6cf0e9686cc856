#include "notify/dispatcher.h"

#include <chrono>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>
#include <random>
#include <set>

#include "notify/webhook.h"
#include "util/clock.h"
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
    for (const Subscription& s : outbox_.subscriptions())
      if (!s.webhook_url.empty()) wanted.insert(s.id);
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
      std::optional<QueuedDelivery> d = sub ? outbox_.next_delivery(id) : std::nullopt;
      if (!d) {
        nap(w.stop, 200);
        continue;
      }
      const int64_t now = wall_clock_ms();
      if (d->not_before_ms > now) {
        nap(w.stop, std::min<int64_t>(d->not_before_ms - now, 1000));
        continue;
      }
      DeliveryOutcome out = deliver_webhook(http, sub->webhook_url, sub->secret, {d->event.id, d->event.type, d->event.body},
                                            now / 1000, options_.timeout_ms);
      if (out.delivered) {
        outbox_.delivered(*d);
      } else {
        int64_t wait = std::max(retry_delay_ms(static_cast<int>(d->attempts) + 1, random(), options_.retry_base_ms, options_.retry_cap_ms),
                                out.retry_after_ms);
        outbox_.failed(*d, out.detail, wall_clock_ms() + wait, sub->max_attempts);
      }
      std::lock_guard lock(stats_mutex_);
      DispatchStats& st = stats_[id];
      if (out.delivered) {
        ++st.delivered;
        st.last_delivered_ms = wall_clock_ms();
      } else {
        ++st.failed_attempts;
        st.last_error = out.detail;
      }
    } catch (const std::exception& e) {
      log::error("notify_delivery_failed", {{"subscription", id}, {"error", e.what()}});
      nap(w.stop, 1000);
    }
  }
}

} // namespace shopflow
