// `shopflow send`: the seed's insert script, batched and fast. Reads a CSV or NDJSON file,
// POSTs it to /v1/records in batches over C keep-alive connections, and retries failed batches
// with backoff for up to retry_for seconds, reusing each batch's Idempotency-Key
// (<sha256 of the file, 16 hex>-<batch size>-<batch number>), so that a server crash never
// duplicates or loses a row. Before its first row it registers the file's content with the
// server (POST /v1/files, batch/file_identity.h): content that `shopflow batch` imported is
// refused, content sent in full before is not sent again, and an unfinished send is resumed with
// its first batch size; after its last row it marks the send complete.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <map>
#include <string>

namespace shopflow {

struct SendOptions {
  std::string url = "http://127.0.0.1:8080";
  std::string token;           // sent as "Authorization: Bearer <token>" when set
  std::string client_id, client_secret; // or: tokens from the server's /oauth2/token, renewed before expiry
  std::string ca_file;         // https:// URLs: CA certificates to check the server with (default: the system's)
  size_t batch = 500;          // rows per request
  size_t concurrency = 4;      // connections
  double rate = 0;             // rows per second, 0 = as fast as possible
  double retry_for_seconds = 60;
  bool progress = true;
  bool force = false;          // send content the server already has (from batch, or sent in full) again
  bool wait = false;           // after the last ack, wait (up to retry_for) until every sink stored the rows
};

struct SendSummary {
  uint64_t rows = 0, acked = 0, failed = 0, requests = 0, retries = 0, replayed = 0;
  // What the server did with the acknowledged rows (its answers' counts; absent from a target
  // that does not give them): stored as transactions or cancellations, or rejected by reason.
  bool classified = false;
  uint64_t transactions = 0, cancellations = 0;
  std::map<std::string, uint64_t> rejected; // reason -> rows (every reason the server names)
  double seconds = 0, p50_ms = 0, p99_ms = 0;
  double stored_after_seconds = -1; // --wait: when every sink held the rows (-1: not waited for)
  std::string first_error;
  std::string note;            // e.g. why nothing was sent (the file was sent in full before)
  std::string to_text() const;
  std::string to_json() const;
};

SendSummary send_file(const std::string& path, const SendOptions& options);

// A bearer token for requests: a fixed one, or one obtained with client credentials from
// HOST:PORT/oauth2/token and renewed a minute before it expires (or when the server refuses it).
class TokenSource {
public:
  TokenSource(std::string host, uint16_t port, const SendOptions& o, bool tls);
  // Empty when no token is configured. Throws naming the token endpoint's answer on failure.
  std::string get(bool renew = false);

private:
  std::string host_;
  uint16_t port_;
  bool tls_;
  std::string ca_file_;
  std::string fixed_, client_id_, client_secret_;
  std::mutex mutex_;
  std::string token_;
  std::chrono::steady_clock::time_point renew_at_{};
};

} // namespace shopflow
