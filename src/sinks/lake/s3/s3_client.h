// The S3 REST calls the lake needs (path-style or virtual-hosted, SigV4-signed through libcurl):
// objects (put, get, list, delete, copy) and multipart uploads. Keys are whole keys in the
// bucket. Each call is retried on a dropped connection, 5xx and 429 (they are all idempotent:
// a repeated PUT or DELETE leaves the same state). Thread-safe: each call takes a session of its
// own from a pool, so connections are kept alive.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_transfer.h"
#include "sinks/lake/s3/s3_location.h"

namespace shopflow {

// S3 answered with an error: its HTTP status and S3 code ("NoSuchBucket", "AccessDenied").
struct S3Error : std::runtime_error {
  S3Error(const std::string& what, long http_status, std::string s3_code)
      : std::runtime_error(what), status(http_status), code(std::move(s3_code)) {}
  long status;
  std::string code;
};

class S3Client {
public:
  explicit S3Client(S3Settings settings);
  ~S3Client();
  const S3Settings& settings() const { return settings_; }
  std::string describe(std::string_view key) const; // "s3://bucket/key", for messages

  void put(std::string_view key, std::string_view bytes);
  std::optional<std::string> get(std::string_view key); // nullopt: no such key
  struct Listed {
    std::string key;
    uint64_t size = 0;
  };
  std::vector<Listed> list(std::string_view prefix); // every key under it, in key order
  void remove(std::string_view key);                   // no such key: nothing happens
  void copy(std::string_view from, std::string_view to);

  // Multipart uploads: the object appears whole at complete(), never before.
  std::string start_upload(std::string_view key); // the upload id
  std::string upload_part(std::string_view key, const std::string& upload_id, int part, std::string_view bytes); // its ETag
  void complete_upload(std::string_view key, const std::string& upload_id, const std::vector<std::string>& etags);
  void abort_upload(std::string_view key, const std::string& upload_id);
  struct Unfinished {
    std::string key, upload_id;
  };
  std::vector<Unfinished> unfinished_uploads(std::string_view prefix);

  // The bucket exists and the keys may list it; throws naming what is wrong.
  void check_access();
  // Creates the bucket (one the keys already own: nothing happens).
  void create_bucket();

private:
  struct Call {
    const char* method;
    std::string_view key;
    std::string query; // sorted, encoded: libcurl 7.88 signs the query as given
    std::vector<std::string> headers = {};
    std::string_view body = {};
  };
  TransferAnswer call(const Call& c);
  TransferAnswer call_once(const Call& c);
  std::unique_ptr<HttpTransfer> take_session();
  void return_session(std::unique_ptr<HttpTransfer> s);

  S3Settings settings_;
  AwsSigning signing_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<HttpTransfer>> sessions_;
};

// A key or query value as S3 signs it: every byte but A-Z a-z 0-9 - _ . ~ as %XX (and '/' kept
// when `keep_slash`).
std::string s3_encode(std::string_view text, bool keep_slash);

} // namespace shopflow
