#include "sinks/lake/s3/s3_location.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace shopflow {

namespace {
[[noreturn]] void refuse(const std::string& why) { throw std::invalid_argument(why); }

// S3's rules for new buckets: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit.
void check_bucket(std::string_view b) {
  bool ok = b.size() >= 3 && b.size() <= 63 && std::isalnum(static_cast<unsigned char>(b.front())) &&
            std::isalnum(static_cast<unsigned char>(b.back()));
  for (char c : b) ok = ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-');
  if (!ok) refuse("'" + std::string(b) + "' is not a bucket name (3 to 63 of a-z, 0-9, '.', '-', starting and ending with a letter or digit)");
}

// The prefix's folders: printable ASCII without glob characters (DuckDB reads the lake by glob)
// or '\\', no empty, "." or ".." folder.
std::string check_prefix(std::string_view p) {
  std::string out;
  size_t at = 0;
  while (at < p.size()) {
    size_t slash = std::min(p.find('/', at), p.size());
    std::string_view folder = p.substr(at, slash - at);
    if (folder.empty() || folder == "." || folder == "..") refuse("the PREFIX has an empty, '.' or '..' folder");
    for (char c : folder)
      if (c < 0x21 || c > 0x7e || std::string_view("*?[]{}\\").find(c) != std::string_view::npos)
        refuse("the PREFIX takes printable characters other than * ? [ ] { } \\ and spaces");
    out.append(folder).append("/");
    at = slash + 1;
  }
  return out;
}

// scheme://host[:port] without a path; throws naming `what`.
std::string check_endpoint(std::string_view e, const std::string& what) {
  auto u = boost::urls::parse_uri(e);
  if (!u || (u->scheme() != "http" && u->scheme() != "https") || u->host().empty())
    refuse(what + " '" + std::string(e) + "' is not an http:// or https:// URL of a server");
  if ((!u->path().empty() && u->path() != "/") || u->has_query() || u->has_userinfo() || u->has_fragment())
    refuse(what + " '" + std::string(e) + "' names a server only: scheme://HOST[:PORT]");
  std::string out = std::string(u->scheme()) + "://" + std::string(u->encoded_host_and_port());
  return out;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// aws_access_key_id, aws_secret_access_key, aws_session_token of [profile] in an INI file.
void read_shared_credentials(S3Settings& s, const std::string& profile) {
  std::string file = env("AWS_SHARED_CREDENTIALS_FILE");
  if (file.empty() && !env("HOME").empty()) file = env("HOME") + "/.aws/credentials";
  std::ifstream in(file);
  if (file.empty() || !in) return;
  std::string line, section;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = trim(line.substr(1, line.size() - 2));
      continue;
    }
    size_t eq = line.find('=');
    if (section != profile || eq == std::string::npos) continue;
    std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") s.access_key = value;
    else if (key == "aws_secret_access_key") s.secret_key = value;
    else if (key == "aws_session_token") s.session_token = value;
  }
  if (in.bad()) throw std::runtime_error("cannot read the AWS credentials file " + file);
}
} // namespace

S3Location parse_s3_url(std::string_view url) {
  if (!url.starts_with("s3://")) refuse("not an s3:// URL");
  auto u = boost::urls::parse_uri(url);
  if (!u) refuse("this is not a URL (" + std::string(u.error().message()) + ")");
  if (u->has_userinfo()) refuse("no keys in the URL (the data dir records it): give them in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  if (u->has_port()) refuse("s3://BUCKET takes no port: give the server in ?endpoint=http://HOST:PORT");
  if (u->has_fragment()) refuse("a fragment (#...) means nothing here");
  S3Location at;
  at.bucket = std::string(u->host());
  check_bucket(at.bucket);
  std::string path = u->path();
  at.prefix = check_prefix(path.empty() ? path : path.substr(1));
  for (auto param : u->params()) {
    std::string key = param.key, value = param.value;
    if (key == "endpoint") at.endpoint = check_endpoint(value, "endpoint");
    else if (key == "region") {
      if (value.empty() || value.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
        refuse("region '" + value + "' is not a region name (a-z, 0-9, '-')");
      at.region = value;
    } else if (key == "profile") {
      if (value.empty()) refuse("profile= names a profile of the AWS credentials file");
      at.profile = value;
    } else
      refuse("unknown parameter '" + key + "' (endpoint, region and profile are known)");
  }
  return at;
}

std::string S3Location::url() const {
  boost::urls::url u;
  u.set_scheme("s3");
  u.set_host(bucket);
  std::string path;
  if (!prefix.empty()) path.append("/").append(prefix, 0, prefix.size() - 1);
  u.set_path(path);
  if (!endpoint.empty()) u.params().append({"endpoint", endpoint});
  if (!region.empty()) u.params().append({"region", region});
  if (!profile.empty()) u.params().append({"profile", profile});
  return std::string(u.buffer());
}

S3Settings resolve_s3_settings(const S3Location& at) {
  S3Settings s;
  s.at = at;
  s.region = !at.region.empty() ? at.region : !env("AWS_REGION").empty() ? env("AWS_REGION") : !env("AWS_DEFAULT_REGION").empty() ? env("AWS_DEFAULT_REGION") : "us-east-1";
  try {
    if (!at.endpoint.empty()) s.endpoint = at.endpoint;
    else if (std::string e = env("AWS_ENDPOINT_URL_S3"); !e.empty()) s.endpoint = check_endpoint(e, "AWS_ENDPOINT_URL_S3");
    else if (std::string e2 = env("AWS_ENDPOINT_URL"); !e2.empty()) s.endpoint = check_endpoint(e2, "AWS_ENDPOINT_URL");
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  s.path_style = !s.endpoint.empty();
  if (s.endpoint.empty()) s.endpoint = "https://s3." + s.region + ".amazonaws.com";
  s.access_key = env("AWS_ACCESS_KEY_ID");
  s.secret_key = env("AWS_SECRET_ACCESS_KEY");
  s.session_token = env("AWS_SESSION_TOKEN");
  if (s.access_key.empty() || s.secret_key.empty()) {
    s.access_key.clear();
    s.secret_key.clear();
    s.session_token.clear();
    std::string profile = !at.profile.empty() ? at.profile : !env("AWS_PROFILE").empty() ? env("AWS_PROFILE") : "default";
    read_shared_credentials(s, profile);
    if (s.access_key.empty() || s.secret_key.empty())
      throw std::runtime_error("no S3 keys for " + at.url() + ": set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile " +
                               profile + " aws_access_key_id and aws_secret_access_key in the AWS credentials file");
  }
  return s;
}

std::string S3Settings::bucket_url() const {
  if (path_style) return endpoint + "/" + at.bucket + "/";
  size_t scheme_end = endpoint.find("://") + 3;
  return endpoint.substr(0, scheme_end) + at.bucket + "." + endpoint.substr(scheme_end) + "/";
}

std::string S3Settings::endpoint_host() const { return path_style ? endpoint.substr(endpoint.find("://") + 3) : std::string(); }

} // namespace shopflow
