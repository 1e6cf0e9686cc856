#include "net/http_transfer.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>

#include <curl/curl.h>

namespace shopflow {

namespace {
struct Upload {
  std::string_view body;
  size_t sent = 0;
};

size_t read_body(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t n = std::min(size * count, up->body.size() - up->sent);
  std::memcpy(buffer, up->body.data() + up->sent, n);
  up->sent += n;
  return n;
}

size_t write_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// "Name: value\r\n" -> headers[name] = value; the status line and the blank line are skipped.
size_t write_header(char* data, size_t size, size_t count, void* user) {
  std::string_view line(data, size * count);
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    (*static_cast<std::map<std::string, std::string>*>(user))[name] = std::string(value);
  }
  return size * count;
}

// The options every transfer of a session starts from (a reset keeps the connections and the DNS
// cache), and `body` as what is sent when `upload` (a PUT, a POST, a mail's message).
void start(CURL* c, const std::string& url, long timeout_ms, Upload* upload) {
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10'000L));
  if (!upload) return;
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_body);
  curl_easy_setopt(c, CURLOPT_READDATA, upload);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload->body.size()));
}

// Runs the transfer; "" when it went through, else libcurl's words for what failed. The secrets
// set for it do not outlive it in the handle.
std::string run(CURL* c) {
  char detail[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(c, CURLOPT_USERPWD, "");
  curl_easy_setopt(c, CURLOPT_PASSWORD, "");
  if (rc == CURLE_OK) return "";
  return detail[0] ? detail : curl_easy_strerror(rc);
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  void add(const std::string& h) {
    curl_slist* grown = curl_slist_append(list, h.c_str());
    if (!grown) throw std::bad_alloc();
    list = grown;
  }
};
} // namespace

HttpTransfer::HttpTransfer() {
  static std::once_flag global;
  std::call_once(global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  easy_ = curl_easy_init();
  if (!easy_) throw HttpTransferError("libcurl: cannot make a session");
}

HttpTransfer::~HttpTransfer() { curl_easy_cleanup(static_cast<CURL*>(easy_)); }

TransferAnswer HttpTransfer::perform(const TransferRequest& request) {
  CURL* c = static_cast<CURL*>(easy_);
  TransferAnswer answer;
  Upload upload{request.body};
  const bool sends_body = request.method != "GET" && request.method != "HEAD";
  start(c, request.url, request.timeout_ms, sends_body ? &upload : nullptr);
  HeaderList headers;
  for (const std::string& h : request.headers) headers.add(h);
  // No "Expect: 100-continue" wait (a server that does not answer it costs a second a request),
  // removed the way libcurl documents; except when signing: libcurl 7.88 would sign the empty
  // header, which S3 servers do not see, so the signature would not match.
  if (!request.sign) headers.add("Expect:");
  std::string userpwd, sigv4;
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &answer.headers);
  if (request.method == "GET") curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  else if (request.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  else if (request.method != "PUT") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.sign) {
    sigv4 = "aws:amz:" + request.sign->region + ":" + request.sign->service;
    userpwd = request.sign->access_key + ":" + request.sign->secret_key;
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd.c_str());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.list);
  if (std::string failed = run(c); !failed.empty()) throw HttpTransferError(request.method + " " + request.url + ": " + failed);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

void HttpTransfer::send_mail(const MailRequest& request) {
  CURL* c = static_cast<CURL*>(easy_);
  Upload upload{request.message};
  start(c, request.url, request.timeout_ms, &upload);
  HeaderList recipients;
  for (const std::string& to : request.to) recipients.add("<" + to + ">");
  const std::string from = "<" + request.from + ">";
  curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(request.require_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
  if (!request.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, request.ca_file.c_str());
  if (!request.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, request.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, request.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.list);
  if (std::string failed = run(c); !failed.empty()) {
    long reply = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
    throw HttpTransferError("SMTP " + request.url + ": " + failed + (reply ? " (server reply " + std::to_string(reply) + ")" : std::string()));
  }
}

} // namespace shopflow
