// /v1/subscriptions: the notifications' subscriptions (scope admin; notify/subscription.h).
//   GET    /v1/subscriptions            every subscription, with its queued and dead deliveries, how
//                                        many were delivered and failed since start, and its last attempts
//   POST   /v1/subscriptions            add or replace one: its JSON (id, events, filter, webhook_url
//                                        and secret, or email and digest_minutes; max_attempts)
//   GET    /v1/subscriptions/{id}       one, also with its dead letters (event id, attempts, last error)
//   DELETE /v1/subscriptions/{id}       remove it and what it has queued
//   POST   /v1/subscriptions/{id}/retry queue its dead letters again
//   POST   /v1/subscriptions/{id}/test  deliver a "notify.test" event to it now (not queued): the outcome
//   POST   /v1/events/report.daily?day=YYYY-MM-DD  record a report.daily event for the day now
// Secrets are never listed (secret_set says whether one is).
#include "api/api_service.h"

#include "api/query_string.h"

#include "util/json_writer.h"

namespace http = boost::beast::http;

namespace shopflow {

namespace {
void describe(JsonWriter& w, const Subscription& s, Outbox& outbox, const DispatchStats& stats, bool with_dead_letters) {
  w.key("subscription").value(JsonRaw{s.to_json(false)});
  const Outbox::QueueCounts n = outbox.counts(s.id);
  w.field("queued", n.queued).field("dead", n.dead);
  w.field("delivered", stats.delivered).field("failed_attempts", stats.failed_attempts).key("recent").begin_array();
  for (const DeliveryAttempt& a : stats.recent)
    w.begin_object().field("at_ms", a.at_ms).field("event_id", a.first_event).field("events", a.events).field("delivered", a.delivered)
        .field("detail", a.detail).end_object();
  w.end_array();
  if (!with_dead_letters) return;
  w.key("dead_letters").begin_array();
  for (const QueuedDelivery& d : outbox.dead_letters(s.id))
    w.begin_object().field("event_id", d.event.id).field("type", d.event.type).field("attempts", d.attempts).field("last_error", d.last_error).end_object();
  w.end_array();
}
} // namespace

void ApiService::subscriptions(const HttpRequest& req, const std::string& id, const std::string& action, HttpResponse& res) {
  Outbox& outbox = *notify_.outbox;
  const std::map<std::string, DispatchStats> stats = notify_.dispatcher->stats();
  auto stats_of = [&](const std::string& sub) {
    auto it = stats.find(sub);
    return it == stats.end() ? DispatchStats{} : it->second;
  };
  if (id.empty() && req.method() == http::verb::post) {
    try {
      Subscription s = Subscription::from_json(req.body());
      if (!s.email.empty() && !notify_.dispatcher->sends_email())
        throw std::invalid_argument("this node has no SMTP relay for e-mail subscriptions: serve with --smtp smtp://USER@HOST:PORT?from=ADDRESS");
      outbox.put_subscription(s);
      JsonWriter w;
      w.begin_object();
      describe(w, s, outbox, stats_of(s.id), false);
      json_response(res, 201, w.end_object().take());
    } catch (const std::invalid_argument& e) {
      json_response(res, 400, error_json(e.what()));
    }
    return;
  }
  if (id.empty()) {
    JsonWriter w;
    w.begin_object().key("subscriptions").begin_array();
    for (const Subscription& s : outbox.subscriptions()) {
      w.begin_object();
      describe(w, s, outbox, stats_of(s.id), false);
      w.end_object();
    }
    json_response(res, 200, w.end_array().end_object().take());
    return;
  }
  std::optional<Subscription> sub = outbox.subscription(id);
  if (!sub) {
    json_response(res, 404, error_json("no subscription '" + id + "'"));
    return;
  }
  if (req.method() == http::verb::delete_) {
    outbox.remove_subscription(id);
    json_response(res, 200, R"({"removed":true})");
    return;
  }
  if (action == "test") {
    DeliveryAttempt out = notify_.dispatcher->test(*sub);
    JsonWriter w;
    w.begin_object().field("delivered", out.delivered).field("event_id", out.first_event).field("detail", out.detail);
    json_response(res, 200, w.end_object().take());
    return;
  }
  if (action == "retry") {
    JsonWriter w;
    json_response(res, 200, w.begin_object().field("requeued", outbox.retry_dead(id)).end_object().take());
    return;
  }
  JsonWriter w;
  w.begin_object();
  describe(w, *sub, outbox, stats_of(id), true);
  json_response(res, 200, w.end_object().take());
}

void ApiService::report_daily(const std::string& query, HttpResponse& res) {
  try {
    const std::string day = FormFields(query).get("day");
    if (day.empty()) throw std::invalid_argument("give the day: ?day=YYYY-MM-DD");
    JsonWriter w;
    json_response(res, 201, w.begin_object().field("event_id", notify_.report_daily(day)).end_object().take());
  } catch (const std::invalid_argument& e) {
    json_response(res, 400, error_json(e.what()));
  }
}

} // namespace shopflow
