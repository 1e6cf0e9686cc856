#include "sinks/lake/s3/s3_client.h"

#include <chrono>
#include <thread>

#include <pugixml.hpp>

#include "util/sha256.h"

namespace shopflow {

namespace {
bool retryable(long status) { return status >= 500 || status == 429; }

pugi::xml_document parse_xml(const std::string& body, const std::string& what) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) throw std::runtime_error(what + ": the answer is not XML");
  return doc;
}
} // namespace

std::string s3_encode(std::string_view text, bool keep_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

S3Client::S3Client(S3Settings settings) : settings_(std::move(settings)) {
  signing_ = {settings_.region, "s3", settings_.access_key, settings_.secret_key};
}

S3Client::~S3Client() = default;

std::string S3Client::describe(std::string_view key) const { return "s3://" + settings_.at.bucket + "/" + std::string(key); }

std::unique_ptr<HttpTransfer> S3Client::take_session() {
  std::lock_guard lock(mutex_);
  if (sessions_.empty()) return std::make_unique<HttpTransfer>();
  std::unique_ptr<HttpTransfer> s = std::move(sessions_.back());
  sessions_.pop_back();
  return s;
}

void S3Client::return_session(std::unique_ptr<HttpTransfer> s) {
  std::lock_guard lock(mutex_);
  sessions_.push_back(std::move(s));
}

TransferAnswer S3Client::call_once(const Call& c) {
  TransferRequest r;
  r.method = c.method;
  r.url = settings_.bucket_url() + s3_encode(c.key, true) + (c.query.empty() ? "" : "?" + c.query);
  r.headers = c.headers;
  r.headers.push_back("x-amz-content-sha256: " + to_hex(sha256_bytes(c.body)));
  if (!settings_.session_token.empty()) r.headers.push_back("x-amz-security-token: " + settings_.session_token);
  r.body = c.body;
  r.sign = &signing_;
  r.timeout_ms = 120'000;
  std::unique_ptr<HttpTransfer> session = take_session();
  TransferAnswer a = session->perform(r); // a session whose call threw is dropped
  return_session(std::move(session));
  return a;
}

TransferAnswer S3Client::call(const Call& c) {
  const std::string what = std::string(c.method) + " " + describe(c.key) + (c.query.empty() ? "" : "?" + c.query);
  constexpr int kLastAttempt = 4; // waits 0.1 + 0.2 + 0.4 + 0.8 s between the five
  for (int attempt = 0;; ++attempt) {
    std::optional<TransferAnswer> a;
    try {
      a = call_once(c);
    } catch (const HttpTransferError& e) {
      if (attempt == kLastAttempt) throw std::runtime_error("S3 " + std::string(e.what()));
    }
    if (a && (a->status < 300 || a->status == 404)) return std::move(*a);
    if (a && (!retryable(a->status) || attempt == kLastAttempt)) {
      std::string code, message;
      pugi::xml_document doc;
      if (doc.load_buffer(a->body.data(), a->body.size())) {
        code = doc.child("Error").child_value("Code");
        message = doc.child("Error").child_value("Message");
      }
      throw S3Error("S3 " + what + ": " + std::to_string(a->status) + (code.empty() ? "" : " " + code) +
                        (message.empty() ? "" : " (" + message + ")"),
                    a->status, code);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
  }
}

void S3Client::put(std::string_view key, std::string_view bytes) { call({"PUT", key, "", {}, bytes}); }

std::optional<std::string> S3Client::get(std::string_view key) {
  TransferAnswer a = call({"GET", key, ""});
  if (a.status == 404) return std::nullopt;
  return std::move(a.body);
}

std::vector<S3Client::Listed> S3Client::list(std::string_view prefix) {
  std::vector<Listed> out;
  std::string token;
  for (;;) {
    std::string query = (token.empty() ? "" : "continuation-token=" + s3_encode(token, false) + "&") + "list-type=2&prefix=" + s3_encode(prefix, false);
    TransferAnswer a = call({"GET", "", query});
    if (a.status == 404) throw S3Error("S3 " + describe("") + ": no such bucket", 404, "NoSuchBucket");
    pugi::xml_document doc = parse_xml(a.body, "S3 list " + describe(prefix));
    pugi::xml_node result = doc.child("ListBucketResult");
    for (pugi::xml_node c : result.children("Contents"))
      out.push_back({c.child_value("Key"), std::stoull(std::string("0") + c.child_value("Size"))});
    if (std::string_view(result.child_value("IsTruncated")) != "true") break;
    token = result.child_value("NextContinuationToken");
    if (token.empty()) throw std::runtime_error("S3 list " + describe(prefix) + ": a truncated answer without a continuation token");
  }
  return out;
}

void S3Client::remove(std::string_view key) { call({"DELETE", key, ""}); }

void S3Client::copy(std::string_view from, std::string_view to) {
  TransferAnswer a = call({"PUT", to, "", {"x-amz-copy-source: /" + settings_.at.bucket + "/" + s3_encode(from, true)}});
  if (a.status == 404) throw S3Error("S3 copy " + describe(from) + ": no such key", 404, "NoSuchKey");
  // A copy may fail after its 200 began: the error is then in the body.
  pugi::xml_document doc;
  if (doc.load_buffer(a.body.data(), a.body.size()) && doc.child("Error"))
    throw S3Error("S3 copy " + describe(from) + " to " + describe(to) + ": " + doc.child("Error").child_value("Code"), 200,
                  doc.child("Error").child_value("Code"));
}

std::string S3Client::start_upload(std::string_view key) {
  TransferAnswer a = call({"POST", key, "uploads="});
  pugi::xml_document doc = parse_xml(a.body, "S3 start upload " + describe(key));
  std::string id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (id.empty()) throw std::runtime_error("S3 start upload " + describe(key) + ": no UploadId in the answer");
  return id;
}

std::string S3Client::upload_part(std::string_view key, const std::string& upload_id, int part, std::string_view bytes) {
  TransferAnswer a = call({"PUT", key, "partNumber=" + std::to_string(part) + "&uploadId=" + s3_encode(upload_id, false), {}, bytes});
  if (a.status == 404) throw S3Error("S3 upload part of " + describe(key) + ": the upload is gone", 404, "NoSuchUpload");
  std::string etag = a.header("etag");
  if (etag.empty()) throw std::runtime_error("S3 upload part of " + describe(key) + ": no ETag in the answer");
  return etag;
}

void S3Client::complete_upload(std::string_view key, const std::string& upload_id, const std::vector<std::string>& etags) {
  std::string body = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i)
    body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags[i] + "</ETag></Part>";
  body += "</CompleteMultipartUpload>";
  TransferAnswer a = call({"POST", key, "uploadId=" + s3_encode(upload_id, false), {"Content-Type: application/xml"}, body});
  pugi::xml_document doc;
  if (a.status == 404 || (doc.load_buffer(a.body.data(), a.body.size()) && doc.child("Error")))
    throw S3Error("S3 complete upload " + describe(key) + ": " + (a.status == 404 ? std::string("the upload is gone") : doc.child("Error").child_value("Code")),
                  a.status, a.status == 404 ? "NoSuchUpload" : doc.child("Error").child_value("Code"));
}

void S3Client::abort_upload(std::string_view key, const std::string& upload_id) {
  call({"DELETE", key, "uploadId=" + s3_encode(upload_id, false)});
}

std::vector<S3Client::Unfinished> S3Client::unfinished_uploads(std::string_view prefix) {
  std::vector<Unfinished> out;
  std::string key_marker, id_marker;
  for (;;) {
    std::string query = (key_marker.empty() ? "" : "key-marker=" + s3_encode(key_marker, false) + "&") + "prefix=" + s3_encode(prefix, false) +
                        (id_marker.empty() ? "" : "&upload-id-marker=" + s3_encode(id_marker, false)) + "&uploads=";
    TransferAnswer a = call({"GET", "", query});
    pugi::xml_document doc = parse_xml(a.body, "S3 list uploads " + describe(prefix));
    pugi::xml_node result = doc.child("ListMultipartUploadsResult");
    for (pugi::xml_node u : result.children("Upload")) out.push_back({u.child_value("Key"), u.child_value("UploadId")});
    if (std::string_view(result.child_value("IsTruncated")) != "true") break;
    key_marker = result.child_value("NextKeyMarker");
    id_marker = result.child_value("NextUploadIdMarker");
  }
  return out;
}

void S3Client::check_access() {
  TransferAnswer a = call({"GET", "", "list-type=2&max-keys=1&prefix=" + s3_encode(settings_.at.prefix, false)});
  if (a.status == 404) throw S3Error("S3 bucket " + describe("") + " does not exist (create it first)", 404, "NoSuchBucket");
}

void S3Client::create_bucket() {
  try {
    call({"PUT", "", ""});
  } catch (const S3Error& e) {
    if (e.code != "BucketAlreadyOwnedByYou") throw;
  }
}

} // namespace shopflow
