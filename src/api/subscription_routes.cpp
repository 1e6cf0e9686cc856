// /v1/subscriptions: the notifications' subscriptions (scope admin; notify/subscription.h).
//   GET    /v1/subscriptions            every subscription, with its queued and dead deliveries
//   POST   /v1/subscriptions            add or replace one: its JSON (id, events, filter, webhook_url
//                                        and secret, or email; max_attempts)
//   GET    /v1/subscriptions/{id}       one, with its dead letters (event id, attempts, last error)
//   DELETE /v1/subscriptions/{id}       remove it and what it has queued
//   POST   /v1/subscriptions/{id}/retry queue its dead letters again
//   POST   /v1/subscriptions/{id}/test  deliver a "notify.test" event to it now (not queued): the outcome
// Secrets are never listed (secret_set says whether one is).
#include "api/api_service.h"

#include "notify/webhook.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace http = boost::beast::http;

namespace shopflow {

namespace {
void describe(JsonWriter& w, const Subscription& s, Outbox& outbox, bool with_dead_letters) {
  w.key("subscription").value(JsonRaw{s.to_json(false)});
  std::vector<QueuedDelivery> dead = outbox.dead_letters(s.id);
  w.field("queued", outbox.queued(s.id)).field("dead", dead.size());
  if (!with_dead_letters) return;
  w.key("dead_letters").begin_array();
  for (const QueuedDelivery& d : dead)
    w.begin_object().field("event_id", d.event.id).field("type", d.event.type).field("attempts", d.attempts).field("last_error", d.last_error).end_object();
  w.end_array();
}
} // namespace

void ApiService::subscriptions(const HttpRequest& req, const std::string& id, const std::string& action, HttpResponse& res) {
  Outbox& outbox = *outbox_;
  if (id.empty() && req.method() == http::verb::post) {
    try {
      Subscription s = Subscription::from_json(req.body());
      if (!s.email.empty()) throw std::invalid_argument("e-mail delivery is not built yet: give a webhook_url");
      outbox.put_subscription(s);
      JsonWriter w;
      w.begin_object();
      describe(w, s, outbox, false);
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
      describe(w, s, outbox, false);
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
    const int64_t now_ms = wall_clock_ms();
    JsonWriter body;
    body.begin_object().field("subscription", id).field("test", true).end_object();
    HttpTransfer http;
    DeliveryOutcome out = deliver_webhook(http, sub->webhook_url, sub->secret, {"notify.test/" + std::to_string(now_ms), "notify.test", body.take()},
                                          now_ms / 1000);
    JsonWriter w;
    w.begin_object().field("delivered", out.delivered).field("status", static_cast<int64_t>(out.status)).field("detail", out.detail);
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
  describe(w, *sub, outbox, true);
  json_response(res, 200, w.end_object().take());
}

} // namespace shopflow
