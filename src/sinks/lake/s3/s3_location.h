// Where a lake on S3 lives, and how to reach it.
//   s3://BUCKET[/PREFIX][?endpoint=URL&region=NAME&profile=NAME]
// endpoint: an S3-compatible server (http://127.0.0.1:7480), addressed path-style
//           (URL/BUCKET/KEY); none: Amazon S3 itself (https://BUCKET.s3.REGION.amazonaws.com/KEY).
// Whatever the URL leaves out comes from the standard AWS environment: AWS_ENDPOINT_URL_S3 or
// AWS_ENDPOINT_URL; AWS_REGION or AWS_DEFAULT_REGION (else us-east-1); the keys from
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, else from the profile (the
// URL's, AWS_PROFILE, else "default") of the shared credentials file (AWS_SHARED_CREDENTIALS_FILE,
// else ~/.aws/credentials). Keys never go in the URL: the data dir records it.
#pragma once

#include <string>
#include <string_view>

namespace shopflow {

struct S3Location {
  std::string bucket;
  std::string prefix;   // "" or "a/b/" (ends with '/')
  std::string endpoint; // from the URL; empty: from the environment at open
  std::string region;   // likewise
  std::string profile;  // likewise
  std::string url() const; // the canonical s3:// URL of the above
  bool operator==(const S3Location&) const = default;
};

// Throws std::invalid_argument saying what is wrong with `url` (not prefixed with the option).
S3Location parse_s3_url(std::string_view url);

struct S3Settings {
  S3Location at;
  std::string endpoint; // scheme://host[:port], no trailing '/'
  bool path_style = true;
  std::string region;
  std::string access_key, secret_key, session_token;
  // "https://host:port/BUCKET/" or "https://BUCKET.host/": the URL a key is appended to.
  std::string bucket_url() const;
  // "host:port" as DuckDB's S3 secret names an endpoint; empty for Amazon S3.
  std::string endpoint_host() const;
  bool uses_tls() const { return endpoint.starts_with("https://"); }
};

// `at` completed from the environment; throws std::runtime_error naming what is missing (no
// keys anywhere) or wrong (an endpoint that is not an http(s) URL, an unreadable credentials file).
S3Settings resolve_s3_settings(const S3Location& at);

} // namespace shopflow
