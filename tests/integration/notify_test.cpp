// Notifications: webhook signing and delivery against a real HTTP receiver on loopback.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "api/http_server.h"
#include "notify/webhook.h"
#include "test_support.h"

using namespace shopflow;
using namespace shopflow::test;

TEST(Webhook, SignaturesHoldOnlyForTheirBodySecretAndTime) {
  const std::string body = R"({"invoice_no":"536365","amount":"139.120"})";
  const std::string header = webhook_signature("s3cret", 1'700'000'000, body);
  EXPECT_TRUE(header.starts_with("t=1700000000,v1=")) << header;
  EXPECT_EQ(header.size(), std::string("t=1700000000,v1=").size() + 64);
  struct Case {
    std::string header, secret, body;
    int64_t now;
    bool valid;
  };
  for (const Case& c : std::vector<Case>{
           {header, "s3cret", body, 1'700'000'000, true},
           {header, "s3cret", body, 1'700'000'299, true},            // within the 300 s tolerance
           {header, "s3cret", body, 1'700'000'301, false},           // a replay, later
           {header, "s3cret", body, 1'699'999'600, false},           // signed in the future
           {header, "other", body, 1'700'000'000, false},            // another secret
           {header, "s3cret", body + " ", 1'700'000'000, false},     // another body
           {"t=1700000000,v1=00", "s3cret", body, 1'700'000'000, false},
           {"v1=" + header.substr(16), "s3cret", body, 1'700'000'000, false},
           {"t=17e8," + header.substr(13), "s3cret", body, 1'700'000'000, false},
           {"", "s3cret", body, 1'700'000'000, false},
       }) {
    EXPECT_EQ(webhook_signature_valid(c.header, c.secret, c.body, c.now), c.valid) << c.header << " at " << c.now;
  }
}

TEST(Webhook, UrlsAreHttpsOrThisMachine) {
  for (const char* ok : {"https://hooks.example.com/shop", "https://10.0.0.5:8443/x?y=1", "http://127.0.0.1:9000/hook", "http://localhost/h",
                         "http://[::1]:8080/h"})
    EXPECT_NO_THROW(check_webhook_url(ok)) << ok;
  for (auto [bad, says] : std::vector<std::pair<const char*, const char*>>{{"http://hooks.example.com/shop", "give an https:// URL"},
                                                                           {"ftp://example.com/x", "give an https:// URL"},
                                                                           {"https://user:pw@example.com/x", "no user or password"},
                                                                           {"hooks.example.com", "is not a URL"},
                                                                           {"https:///nohost", "give an https:// URL"}}) {
    try {
      check_webhook_url(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << bad << ": " << e.what();
    }
  }
}

TEST(Webhook, RetriesBackOffExponentiallyWithJitterUnderACap) {
  std::set<int64_t> seen;
  for (uint64_t r = 0; r < 1000; r += 7) {
    EXPECT_LE(retry_delay_ms(1, r * 2654435761u), 1000);
    EXPECT_LE(retry_delay_ms(3, r * 2654435761u), 4000);
    EXPECT_LE(retry_delay_ms(40, r * 2654435761u), 600'000);
    seen.insert(retry_delay_ms(5, r * 2654435761u));
  }
  EXPECT_GT(seen.size(), 50u); // jittered, not one fixed delay
  EXPECT_GT(*seen.rbegin(), 8000);
}

// Deliveries to a real receiver on loopback, which checks every request's signature and headers
// and answers as each case asks.
TEST(Webhook, DeliveryReportsWhatTheReceiverDid) {
  std::mutex mutex;
  std::vector<std::string> received; // "event id|type|signature valid"
  std::atomic<int> status{200};
  std::atomic<int> delay_ms{0};
  HttpServerOptions options;
  options.port = 0;
  HttpServer receiver(options, [&](HttpRequest&& req, HttpServer::Reply reply) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms.load()));
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    bool valid = webhook_signature_valid(std::string(req["Shopflow-Signature"]), "s3cret", req.body(), now);
    {
      std::lock_guard lock(mutex);
      received.push_back(std::string(req["Idempotency-Key"]) + "|" + std::string(req["Shopflow-Event"]) + "|" + (valid ? "valid" : "invalid") +
                         "|" + std::string(req[boost::beast::http::field::content_type]));
    }
    HttpResponse res{static_cast<boost::beast::http::status>(status.load()), req.version()};
    if (status == 503) res.set(boost::beast::http::field::retry_after, "7");
    res.body() = status == 200 ? "" : "busy";
    res.prepare_payload();
    reply(std::move(res));
  });
  receiver.start();
  const std::string url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook";
  const WebhookEvent event{"order.completed/536365", "order.completed", R"({"invoice_no":"536365","amount":"139.120"})"};
  auto now = [] { return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count(); };
  HttpTransfer http;

  DeliveryOutcome ok = deliver_webhook(http, url, "s3cret", event, now());
  EXPECT_TRUE(ok.delivered) << ok.detail;
  EXPECT_EQ(ok.status, 200);
  status = 503;
  DeliveryOutcome busy = deliver_webhook(http, url, "s3cret", event, now());
  EXPECT_FALSE(busy.delivered);
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.retry_after_ms, 7000);
  EXPECT_EQ(busy.detail, "answered 503: busy");
  status = 200;
  delay_ms = 1500;
  DeliveryOutcome slow = deliver_webhook(http, url, "s3cret", event, now(), 300);
  EXPECT_FALSE(slow.delivered);
  EXPECT_EQ(slow.status, 0);
  EXPECT_NE(slow.detail.find("imed out"), std::string::npos) << slow.detail;
  delay_ms = 0;
  {
    std::lock_guard lock(mutex);
    ASSERT_GE(received.size(), 2u);
    for (const std::string& r : received) EXPECT_EQ(r, "order.completed/536365|order.completed|valid|application/json");
  }
  receiver.stop();
  DeliveryOutcome gone = deliver_webhook(http, url, "s3cret", event, now());
  EXPECT_FALSE(gone.delivered);
  EXPECT_EQ(gone.status, 0);
  EXPECT_NE(gone.detail.find("127.0.0.1"), std::string::npos) << gone.detail;
}
