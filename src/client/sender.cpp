#include "client/sender.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include "client/http_client.h"
#include "util/json_writer.h"
#include "formats/record_source.h"
#include "util/percentile.h"
#include "util/utf8.h"
#include "util/progress.h"
#include "util/sha256.h"
#include "util/clock.h"

namespace shopflow {

namespace {

using Clock = std::chrono::steady_clock;

struct Batch {
  uint64_t index = 0;
  size_t rows = 0;
  std::string body;
};

// A bounded queue between the reader and the senders.
class BatchQueue {
public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity) {}
  void push(Batch b) {
    std::unique_lock lock(m_);
    not_full_.wait(lock, [&] { return q_.size() < capacity_; });
    q_.push_back(std::move(b));
    not_empty_.notify_one();
  }
  std::optional<Batch> pop() {
    std::unique_lock lock(m_);
    not_empty_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return std::nullopt;
    Batch b = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return b;
  }
  void close() {
    std::lock_guard lock(m_);
    closed_ = true;
    not_empty_.notify_all();
  }

private:
  std::mutex m_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Batch> q_;
  size_t capacity_;
  bool closed_ = false;
};

// Spaces requests so that rows per second stay at or under `rate` (0: no limit).
class RateLimiter {
public:
  explicit RateLimiter(double rate) : rate_(rate), next_(Clock::now()) {}
  void acquire(size_t rows) {
    if (rate_ <= 0) return;
    Clock::time_point at;
    {
      std::lock_guard lock(m_);
      at = std::max(next_, Clock::now());
      next_ = at + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(rows / rate_));
    }
    std::this_thread::sleep_until(at);
  }

private:
  double rate_;
  std::mutex m_;
  Clock::time_point next_;
};

// What one POST /v1/records answer says: the request's destinations ({"transactions",
// "cancellations", "rejected": {reason: rows}}; classified false for an answer without them) and
// each shard's highest acknowledged offset. Parsed on the sender's own thread, merged under the
// summary's lock.
struct Answer {
  bool classified = false;
  uint64_t transactions = 0, cancellations = 0;
  std::map<std::string, uint64_t> rejected;
  std::map<uint64_t, uint64_t> last_offsets; // shard -> offset
};

Answer read_answer(simdjson::dom::parser& parser, const std::string& body) {
  Answer a;
  simdjson::dom::element doc;
  simdjson::dom::object rejected;
  simdjson::dom::array shards;
  if (parser.parse(body).get(doc)) return a;
  if (!doc["shards"].get_array().get(shards))
    for (auto range : shards) {
      uint64_t shard = 0, last = 0;
      if (!range["shard"].get_uint64().get(shard) && !range["last_offset"].get_uint64().get(last))
        a.last_offsets[shard] = std::max(a.last_offsets[shard], last);
    }
  if (doc["transactions"].get_uint64().get(a.transactions) || doc["cancellations"].get_uint64().get(a.cancellations) ||
      doc["rejected"].get_object().get(rejected))
    return a;
  a.classified = true;
  for (auto [reason, rows] : rejected) a.rejected[std::string(reason)] += rows.get_uint64().value_unsafe();
  return a;
}

void add_answer(const Answer& a, SendSummary& summary, std::map<uint64_t, uint64_t>& last_offsets) {
  for (auto [shard, last] : a.last_offsets) last_offsets[shard] = std::max(last_offsets[shard], last);
  if (!a.classified) return;
  summary.classified = true;
  summary.transactions += a.transactions;
  summary.cancellations += a.cancellations;
  for (auto& [reason, rows] : a.rejected) summary.rejected[reason] += rows;
}

} // namespace

std::string SendSummary::to_text() const {
  std::string out = fmt::format("sent {} rows in {} requests ({} retries, {} replayed by the server)\n", rows, requests, retries, replayed);
  out += fmt::format("  acked   {:>12}\n  failed  {:>12}\n", acked, failed);
  if (classified) {
    uint64_t all_rejected = 0;
    std::string reasons;
    for (auto& [reason, n] : rejected) {
      all_rejected += n;
      if (n) reasons += fmt::format("{}{} {}", reasons.empty() ? " (" : ", ", reason, n);
    }
    out += fmt::format("  the server stores {} as transactions, {} as cancellations, {} rejected{}\n", transactions, cancellations,
                       all_rejected, reasons.empty() ? "" : reasons + ")");
  }
  out += fmt::format("  seconds {:>12.3f}\n  rows/s  {:>12.0f}\n", seconds, seconds > 0 ? acked / seconds : 0.0);
  if (stored_after_seconds >= 0) out += fmt::format("  stored by every sink {:.3f} s after the start\n", stored_after_seconds);
  out += fmt::format("  latency p50 {:.2f} ms, p99 {:.2f} ms\n", p50_ms, p99_ms);
  if (!first_error.empty()) out += "  first error: " + first_error + "\n";
  if (!note.empty()) out += "  note: " + note + "\n";
  return out;
}

std::string SendSummary::to_json() const {
  auto fixed = [](double v, const char* format) { return fmt::format(fmt::runtime(format), v); };
  JsonWriter w;
  w.begin_object().field("rows", rows).field("acked", acked).field("failed", failed).field("requests", requests);
  w.field("retries", retries).field("replayed", replayed).field("seconds", JsonNumber{fixed(seconds, "{:.3f}")});
  w.field("rows_per_second", JsonNumber{fixed(seconds > 0 ? acked / seconds : 0.0, "{:.0f}")});
  w.field("latency_p50_ms", JsonNumber{fixed(p50_ms, "{:.3f}")}).field("latency_p99_ms", JsonNumber{fixed(p99_ms, "{:.3f}")});
  w.key("stored");
  if (classified) {
    w.begin_object().field("transactions", transactions).field("cancellations", cancellations).key("rejected").begin_object();
    for (auto& [reason, n] : rejected) w.field(reason, n);
    w.end_object().end_object();
  } else {
    w.value(nullptr);
  }
  w.key("stored_after_seconds");
  if (stored_after_seconds >= 0) w.value(JsonNumber{fixed(stored_after_seconds, "{:.3f}")});
  else w.value(nullptr);
  w.field("first_error", escape_invalid_utf8(first_error)).field("note", escape_invalid_utf8(note));
  return w.end_object().take();
}

TokenSource::TokenSource(std::string host, uint16_t port, const SendOptions& o, bool tls)
    : host_(std::move(host)), port_(port), tls_(tls), ca_file_(o.ca_file), fixed_(o.token), client_id_(o.client_id), client_secret_(o.client_secret) {
  if (!fixed_.empty() && !client_id_.empty()) throw std::invalid_argument("give --token or --client-id/--client-secret, not both");
  if (client_id_.empty() != client_secret_.empty()) throw std::invalid_argument("give both --client-id and --client-secret");
}

std::string TokenSource::get(bool renew) {
  if (!fixed_.empty() || client_id_.empty()) return fixed_;
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (!renew && !token_.empty() && now < renew_at_) return token_;
  HttpClient client(host_, port_, 30, {tls_, ca_file_});
  // application/x-www-form-urlencoded: each value percent-encoded (a secret may hold '&', '+' or '%').
  auto field = [](std::string_view v) { return boost::urls::encode(v, boost::urls::unreserved_chars); };
  std::string form = "grant_type=client_credentials&client_id=" + field(client_id_) + "&client_secret=" + field(client_secret_);
  HttpResult r = client.request("POST", "/oauth2/token", form, {{"Content-Type", "application/x-www-form-urlencoded"}});
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view token;
  int64_t expires_in = 0;
  if (r.status != 200 || parser.parse(r.body).get(doc) || doc["access_token"].get_string().get(token) ||
      doc["expires_in"].get_int64().get(expires_in))
    throw std::runtime_error(fmt::format("token endpoint answered HTTP {}: {}", r.status, r.body.substr(0, 300)));
  token_ = std::string(token);
  renew_at_ = now + std::chrono::seconds(std::max<int64_t>(expires_in - 60, expires_in / 2));
  return token_;
}

namespace {
// POSTs `body` (JSON) to `target`, retrying what a retry may cure (no answer, 429, 5xx) for up to
// retry_for seconds. Returns the last answer.
HttpResult post_json_retrying(const ParsedUrl& url, const SendOptions& o, TokenSource& tokens, const std::string& target,
                              const std::string& body) {
  auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.retry_for_seconds * 1000));
  std::chrono::milliseconds backoff(100);
  for (;;) {
    std::map<std::string, std::string> headers = {{"Content-Type", "application/json"}};
    if (std::string token = tokens.get(); !token.empty()) headers["Authorization"] = "Bearer " + token;
    HttpResult r;
    std::string error;
    try {
      // An attempt waits no longer than what is left of retry_for (a server that does not answer).
      auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now()).count();
      HttpClient client(url.host, url.port, static_cast<int>(std::clamp<int64_t>(left + 1, 1, 30)), {url.tls, o.ca_file});
      r = client.request("POST", target, body, headers);
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (error.empty() && r.status != 429 && r.status < 500) return r;
    if (Clock::now() >= deadline)
      throw std::runtime_error((error.empty() ? fmt::format("POST {}: HTTP {}: {}", target, r.status, r.body.substr(0, 300)) : error) +
                               fmt::format(" (gave up after --retry-for {} s)", o.retry_for_seconds));
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

// Polls GET /healthz until every sink's stored_offsets pass each shard's highest acknowledged
// offset; "" once they do, else (after retry_for seconds) what was still missing.
std::string wait_until_stored(const ParsedUrl& url, const SendOptions& o, const std::map<uint64_t, uint64_t>& last_offsets) {
  auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.retry_for_seconds * 1000));
  std::string missing = "no answer from GET /healthz";
  for (;;) {
    try {
      HttpClient client(url.host, url.port, 10, {url.tls, o.ca_file});
      HttpResult r = client.request("GET", "/healthz");
      simdjson::dom::parser parser;
      simdjson::dom::array sinks;
      if (parser.parse(r.body)["sinks"].get_array().get(sinks)) throw std::runtime_error("GET /healthz: no sinks in " + r.body.substr(0, 200));
      missing.clear();
      for (auto sink : sinks) {
        std::string_view name;
        simdjson::dom::array stored;
        if (sink["sink"].get_string().get(name) || sink["stored_offsets"].get_array().get(stored))
          throw std::runtime_error("GET /healthz: a sink without stored_offsets (an older server?)");
        for (auto [shard, last] : last_offsets) {
          uint64_t next = 0;
          if (shard >= stored.size() || stored.at(shard).get_uint64().get(next) || next <= last) {
            missing = fmt::format("sink {} had stored shard {} up to offset {} of {}", name, shard, next, last + 1);
            break;
          }
        }
        if (!missing.empty()) break;
      }
      if (missing.empty()) return {};
    } catch (const std::exception& e) {
      missing = e.what();
    }
    if (Clock::now() >= deadline) return missing;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string json_field(const std::string& body, const char* name) {
  simdjson::dom::parser parser;
  std::string_view v;
  if (parser.parse(body)[name].get_string().get(v)) return {};
  return std::string(v);
}
} // namespace

SendSummary send_file(const std::string& path, const SendOptions& options) {
  SendOptions o = options;
  if (o.batch == 0 || o.concurrency == 0) throw std::invalid_argument("--batch and --concurrency must be at least 1");
  ParsedUrl url = parse_url(o.url);
  std::string target = url.path == "/" ? "/v1/records" : url.path;
  const std::string sha256 = sha256_file(path);
  OpenedSource opened = open_record_file(path);
  bool csv = opened.source->format() == RecordFormat::Csv;

  SendSummary summary;
  std::map<uint64_t, uint64_t> last_offsets; // shard -> highest acknowledged offset (under summary_mutex)
  std::mutex summary_mutex;
  std::vector<double> latencies;
  BatchQueue queue(o.concurrency * 2);
  RateLimiter limiter(o.rate);
  auto started = Clock::now();

  TokenSource tokens(url.host, url.port, o, url.tls);
  tokens.get(); // a bad secret fails here, before any row is read

  // The file's content identity (batch/file_identity.h): refused if `shopflow batch` imported
  // it, nothing to do if it was sent in full, and a resumed send keeps the first one's batch
  // size, so that its Idempotency-Keys replay every row already stored.
  const bool registered = target == "/v1/records";
  std::string nonce; // --force: keys of their own, so the rows are stored again
  if (registered) {
    HttpResult r = post_json_retrying(url, o, tokens, "/v1/files",
                                      JsonWriter()
                                          .begin_object()
                                          .field("sha256", sha256)
                                          .field("file", escape_invalid_utf8(std::filesystem::absolute(path).string()))
                                          .field("bytes", opened.size_bytes)
                                          .field("batch_rows", o.batch)
                                          .field("force", o.force)
                                          .end_object()
                                          .take());
    if (r.status == 409) throw std::runtime_error(path + ": " + json_field(r.body, "error"));
    if (r.status != 200) throw std::runtime_error(fmt::format("POST /v1/files: HTTP {}: {}", r.status, r.body.substr(0, 300)));
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string_view status;
    uint64_t batch_rows = 0;
    if (parser.parse(r.body).get(doc) || doc["status"].get_string().get(status))
      throw std::runtime_error("POST /v1/files: unexpected answer " + r.body.substr(0, 300));
    if (status == "complete") {
      summary.note = json_field(r.body, "message");
      return summary;
    }
    if (doc["batch_rows"].get_uint64().get(batch_rows) || batch_rows == 0)
      throw std::runtime_error("POST /v1/files: unexpected answer " + r.body.substr(0, 300));
    if (status == "resumed" && batch_rows != o.batch)
      summary.note = fmt::format("resumed the unfinished send of this file with its batch size, {} rows (not --batch {}), so that "
                                 "rows it stored are not stored again", batch_rows, o.batch);
    o.batch = batch_rows;
    if (o.force) nonce = fmt::format("f{:x}-", wall_clock_us());
  }
  const std::string key_prefix = sha256.substr(0, 16) + "-" + std::to_string(o.batch) + "-" + nonce;

  // A send gives up once nothing has succeeded for retry_for seconds, in total: the clock starts
  // at a failure and stops at the next success, whichever batches they were.
  std::atomic<int64_t> failing_since_ms{0}; // steady clock; 0: the last request succeeded
  auto sender = [&] {
    HttpClient client(url.host, url.port, 30, {url.tls, o.ca_file});
    simdjson::dom::parser parser; // one per sender thread, reused for every answer
    std::map<std::string, std::string> headers = {{"Content-Type", csv ? "text/csv" : "application/x-ndjson"}};

    while (auto batch = queue.pop()) {
      limiter.acquire(batch->rows);
      headers["Idempotency-Key"] = key_prefix + std::to_string(batch->index);
      std::chrono::milliseconds backoff(100);
      uint64_t retries = 0;
      bool renewed = false, renew = false; // after a 401 the token is renewed, once per batch
      for (;;) {
        auto t0 = Clock::now();
        std::string error;
        unsigned status = 0;
        bool replayed = false;
        std::string answer;
        try {
          if (std::string token = tokens.get(std::exchange(renew, false)); !token.empty()) headers["Authorization"] = "Bearer " + token;
          HttpResult r = client.request("POST", target, batch->body, headers);
          status = r.status;
          answer = std::move(r.body);
          replayed = r.headers.count("idempotent-replayed") > 0;
          if (status != 200) error = fmt::format("HTTP {}: {}", status, answer.substr(0, 300));
        } catch (const std::exception& e) {
          error = e.what();
        }
        if (error.empty()) {
          failing_since_ms = 0;
          Answer said = read_answer(parser, answer);
          std::lock_guard lock(summary_mutex);
          add_answer(said, summary, last_offsets);
          summary.acked += batch->rows;
          summary.requests += 1 + retries;
          summary.retries += retries;
          summary.replayed += replayed;
          latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          break;
        }
        // 409: the same key in flight; 401: a token that expired meanwhile, renewed once.
        bool retryable = status == 0 || status == 409 || status == 429 || status >= 500 || (status == 401 && !renewed && !o.client_id.empty());
        if (status == 401 && !renewed) renewed = renew = true;
        int64_t now = steady_ms(), since = 0;
        if (failing_since_ms.compare_exchange_strong(since, now)) since = now; // else: when the failures began
        bool given_up = now - since >= static_cast<int64_t>(o.retry_for_seconds * 1000);
        if (!retryable || given_up) {
          std::lock_guard lock(summary_mutex);
          summary.failed += batch->rows;
          summary.requests += 1 + retries;
          summary.retries += retries;
          if (summary.first_error.empty()) summary.first_error = error;
          break;
        }
        ++retries;
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      }
    }
  };
  std::vector<std::thread> senders;
  for (size_t i = 0; i < o.concurrency; ++i) senders.emplace_back(sender);

  Progress progress("send " + path, opened.size_bytes, o.progress);
  std::vector<InputRow> rows;
  std::string header = opened.source->header_line();
  uint64_t index = 0;
  try {
    while (opened.source->read_batch(rows, o.batch)) {
      Batch b;
      b.index = index++;
      b.rows = rows.size();
      if (csv && !header.empty()) b.body = header + "\n";
      for (auto& r : rows) {
        b.body.append(r.raw);
        b.body.push_back('\n');
      }
      summary.rows += rows.size();
      queue.push(std::move(b));
      progress.update(opened.source->bytes_consumed(), summary.rows);
    }
  } catch (...) {
    queue.close();
    for (auto& t : senders) t.join();
    throw;
  }
  queue.close();
  for (auto& t : senders) t.join();
  progress.finish();
  if (registered && summary.failed == 0)
    post_json_retrying(url, o, tokens, "/v1/files/" + sha256 + "/complete", JsonWriter().begin_object().field("rows_acked", summary.acked).end_object().take());
  if (o.wait && summary.failed == 0 && !last_offsets.empty()) {
    if (std::string missing = wait_until_stored(url, o, last_offsets); missing.empty()) summary.stored_after_seconds = seconds_since(started);
    else summary.first_error = fmt::format("every row was acknowledged, but not stored by every sink within --retry-for {} s: {}",
                                           o.retry_for_seconds, missing);
  }
  summary.seconds = seconds_since(started);
  summary.p50_ms = percentile(latencies, 0.50);
  summary.p99_ms = percentile(latencies, 0.99);
  return summary;
}

} // namespace shopflow
