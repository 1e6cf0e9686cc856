#include "storage/backend_urls.h"

#include <array>
#include <cctype>
#include <charconv>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <stdexcept>
#include <utility>

#include "sinks/lake/s3/s3_location.h"
#include "util/durable_file.h"
#include "util/read_file.h"

namespace fs = std::filesystem;

namespace shopflow {

namespace {

struct RoleInfo {
  BackendRole role;
  const char* key;      // in DIR/BACKENDS
  const char* option;
  const char* embedded; // the default's name inside the data dir ("": the data dir itself)
  const char* takes;    // what the option accepts, for errors
};
constexpr std::array<RoleInfo, 4> kRoles{{
    {BackendRole::Log, "log", "--log", "log", "the embedded log's folder (file:///PATH or a path) or kafka://HOST:PORT[,HOST:PORT...]/PREFIX"},
    {BackendRole::Warehouse, "warehouse", "--warehouse", "", "a folder (file:///PATH or a path) or postgresql://USER@HOST:PORT/DB"},
    {BackendRole::Lake, "lake", "--lake", "lake", "a folder (file:///PATH or a path) or s3://BUCKET[/PREFIX][?endpoint=URL&region=NAME]"},
    {BackendRole::Tables, "tables", "--tables", "tables", "a RocksDB folder (file:///PATH or a path)"},
}};

const RoleInfo& info(BackendRole role) { return kRoles[static_cast<size_t>(role)]; }

const BackendLocation& location_of(const Backends& b, BackendRole role) {
  switch (role) {
  case BackendRole::Log: return b.log;
  case BackendRole::Warehouse: return b.warehouse;
  case BackendRole::Lake: return b.lake;
  case BackendRole::Tables: break;
  }
  return b.tables;
}
BackendLocation& location_of(Backends& b, BackendRole role) {
  return const_cast<BackendLocation&>(location_of(std::as_const(b), role));
}

const std::string& url_of(const BackendUrls& u, BackendRole role) {
  switch (role) {
  case BackendRole::Log: return u.log;
  case BackendRole::Warehouse: return u.warehouse;
  case BackendRole::Lake: return u.lake;
  case BackendRole::Tables: break;
  }
  return u.tables;
}

[[noreturn]] void refuse(const char* option, const char* takes, std::string_view url, const std::string& why) {
  throw std::invalid_argument(std::string(option) + " '" + std::string(url) + "': " + why + "; it takes " + takes);
}
[[noreturn]] void refuse(BackendRole role, std::string_view url, const std::string& why) {
  refuse(info(role).option, info(role).takes, url, why);
}

// The path a file URL names (file:///PATH or file://localhost/PATH).
fs::path file_url_path(BackendRole role, std::string_view text, const boost::urls::url_view& u) {
  if (u.has_authority() && !u.host().empty() && u.host() != "localhost")
    refuse(role, text, "a file URL names no other host than localhost");
  if (u.has_query() || u.has_fragment()) refuse(role, text, "a file URL has no query or fragment");
  std::string path = u.path();
  if (path.empty() || path.front() != '/') refuse(role, text, "a file URL's path is absolute (file:///PATH)");
  if (path.find('\0') != std::string::npos) refuse(role, text, "the path holds a NUL byte");
  return path;
}

// `path` normalised, without a trailing '/' ("lake/" and "lake/." are "lake").
fs::path folder_path(const fs::path& path) {
  fs::path out = path.lexically_normal();
  return out.has_filename() || out == out.root_path() ? out : out.parent_path();
}

} // namespace

// kafka://HOST:PORT[,HOST:PORT...]/NAME: the servers are checked here, the name is a topic's or
// a topic prefix (letters, digits, '.', '_', '-'; Kafka allows 249 characters in all).
BackendLocation parse_kafka_url(const char* option, const char* takes, std::string_view url) {
  auto refuse = [&](std::string_view u, const std::string& why) { shopflow::refuse(option, takes, u, why); };
  if (!url.starts_with("kafka://")) refuse(url, "not a kafka:// URL");
  std::string_view rest = url.substr(std::string_view("kafka://").size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) refuse(url, "no /NAME after the servers");
  std::string_view servers = rest.substr(0, slash), prefix = rest.substr(slash + 1);
  if (servers.empty()) refuse(url, "no HOST:PORT");
  for (size_t at = 0; at <= servers.size();) {
    size_t comma = std::min(servers.find(',', at), servers.size());
    std::string_view server = servers.substr(at, comma - at);
    size_t colon = server.rfind(':');
    bool ok = colon != std::string_view::npos && colon > 0;
    unsigned port = 0;
    if (ok) {
      std::string_view digits = server.substr(colon + 1);
      auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
      ok = error == std::errc() && end == digits.data() + digits.size() && port > 0 && port < 65536;
    }
    for (size_t i = 0; ok && i < colon; ++i) ok = std::isalnum(static_cast<unsigned char>(server[i])) || server[i] == '.' || server[i] == '-';
    if (!ok) refuse(url, std::string("'").append(server).append("' is not HOST:PORT"));
    at = comma + 1;
  }
  if (prefix.empty() || prefix.size() > 200) refuse(url, "the topic NAME is 1 to 200 characters");
  for (char c : prefix)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      refuse(url, "the topic NAME takes letters, digits, '.', '_' and '-'");
  BackendLocation at;
  at.embedded = false;
  at.kafka_servers = servers;
  at.kafka_prefix = prefix;
  return at;
}

namespace {

std::string file_url(const fs::path& path) {
  boost::urls::url u;
  u.set_scheme("file");
  u.set_encoded_authority("");
  u.set_path(path.string());
  return std::string(u.buffer());
}

// The URL that names `at` (a file URL for a folder).
std::string location_url(const BackendLocation& at) {
  return at.kafka() ? "kafka://" + at.kafka_servers + "/" + at.kafka_prefix : at.postgres() ? at.postgres_url : at.s3_lake() ? at.s3->url() : file_url(at.path);
}

std::string record_text(const Backends& b) {
  std::string out = "# The backends this data dir was first opened with (storage/backend_urls.h); empty: embedded.\n";
  for (const RoleInfo& r : kRoles) {
    const BackendLocation& at = location_of(b, r.role);
    out += std::string(r.key) + "=" + (at.embedded ? "" : location_url(at)) + "\n";
  }
  return out;
}

Backends read_record(const fs::path& file, const std::string& text, const fs::path& data_dir) {
  Backends out;
  std::array<bool, kRoles.size()> seen{};
  size_t line_no = 0, at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + at, end - at);
    at = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    auto damaged = [&](const std::string& why) {
      return std::runtime_error(file.string() + " line " + std::to_string(line_no) + ": " + why +
                                " (the file records the data dir's backends; restore it or remove it to record them again)");
    };
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) throw damaged("not role=URL");
    std::string_view key = line.substr(0, eq);
    const RoleInfo* role = nullptr;
    for (const RoleInfo& r : kRoles)
      if (key == r.key) role = &r;
    if (!role) throw damaged("unknown role '" + std::string(key) + "'");
    if (seen[static_cast<size_t>(role->role)]) throw damaged("role '" + std::string(key) + "' twice");
    seen[static_cast<size_t>(role->role)] = true;
    try {
      location_of(out, role->role) = parse_backend_url(role->role, line.substr(eq + 1), data_dir);
    } catch (const std::invalid_argument& e) {
      throw damaged(e.what());
    }
  }
  return out;
}

} // namespace

const char* backend_option(BackendRole role) { return info(role).option; }

BackendLocation parse_backend_url(BackendRole role, std::string_view url, const fs::path& data_dir) {
  const fs::path embedded = folder_path(fs::absolute(data_dir) / info(role).embedded);
  if (url.empty()) return {true, embedded, {}, {}, {}};
  if (url.starts_with("kafka://")) {
    if (role != BackendRole::Log) refuse(role, url, "a Kafka cluster holds the log only");
    return parse_kafka_url(info(role).option, info(role).takes, url);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    if (role != BackendRole::Warehouse) refuse(role, url, "PostgreSQL holds the warehouse only");
    auto u = boost::urls::parse_uri(url);
    if (!u) refuse(role, url, "this is not a URL (" + std::string(u.error().message()) + ")");
    if (u->has_password())
      refuse(role, url, "no password in the URL (the data dir records it in DIR/BACKENDS): give it in PGPASSWORD or ~/.pgpass");
    if (u->host().empty()) refuse(role, url, "no HOST: write postgresql://USER@HOST:PORT/DB");
    if (u->path().size() < 2 || u->path().find('/', 1) != std::string::npos) refuse(role, url, "no /DB: write postgresql://USER@HOST:PORT/DB");
    if (u->has_fragment()) refuse(role, url, "a fragment (#...) means nothing here");
    BackendLocation at{false, embedded, {}, {}, std::string(url)};
    boost::urls::url conninfo(*u);
    for (auto it = conninfo.params().begin(); it != conninfo.params().end();) {
      if ((*it).key != "load") {
        ++it;
        continue;
      }
      if ((*it).value != "copy" && (*it).value != "insert") refuse(role, url, "load= takes copy (the default) or insert (Amazon Redshift)");
      at.postgres_insert = (*it).value == "insert";
      it = conninfo.params().erase(it);
    }
    if (conninfo.params().empty()) conninfo.remove_query();
    at.postgres_conninfo = std::string(conninfo.buffer());
    return at;
  }
  if (url.starts_with("s3://")) {
    if (role != BackendRole::Lake) refuse(role, url, "S3 holds the lake only");
    BackendLocation at{false, folder_path(fs::absolute(data_dir) / "lake-scratch"), {}, {}, {}};
    try {
      at.s3 = parse_s3_url(url);
    } catch (const std::invalid_argument& e) {
      refuse(role, url, e.what());
    }
    return at;
  }
  fs::path path;
  if (auto u = boost::urls::parse_uri(url)) {
    if (u->scheme_id() != boost::urls::scheme::file)
      refuse(role, url, "this build knows no backend of scheme '" + std::string(u->scheme()) +
                            "' (a path with ':' in it: write ./" + std::string(url) + ")");
    path = file_url_path(role, url, *u);
  } else {
    if (url.find('\0') != std::string_view::npos) refuse(role, url, "the path holds a NUL byte");
    if (url.find("://") != std::string_view::npos) refuse(role, url, "this is not a URL (" + std::string(u.error().message()) + ")");
    path = fs::absolute(fs::path(url));
  }
  path = folder_path(path);
  if (path == path.root_path()) refuse(role, url, "the file system's root is not a place to keep data");
  return {path == embedded, path, {}, {}, {}};
}

Backends settle_backends(const fs::path& data_dir, const BackendUrls& given, bool record) {
  Backends wanted;
  for (const RoleInfo& r : kRoles) {
    BackendLocation& at = location_of(wanted, r.role);
    at = parse_backend_url(r.role, url_of(given, r.role), data_dir);
    for (const RoleInfo& before : kRoles) {
      if (before.role == r.role) break;
      if (location_of(wanted, before.role).path == at.path)
        throw std::invalid_argument(std::string(before.option) + " and " + r.option + " name the same folder, " +
                                    at.path.string() + "; give each a place of its own");
    }
  }
  const fs::path file = data_dir / "BACKENDS";
  std::optional<std::string> text = read_file(file);
  if (!text) {
    if (record) replace_file_durably(file, record_text(wanted));
    return wanted;
  }
  Backends recorded = read_record(file, *text, data_dir);
  for (const RoleInfo& r : kRoles) {
    const std::string& url = url_of(given, r.role);
    const BackendLocation& was = location_of(recorded, r.role);
    if (!url.empty() && location_of(wanted, r.role) != was)
      refuse(r.role, url,
             "data dir " + data_dir.string() + " keeps its " + r.key + " at " + (was.embedded ? "its default, " : "") +
                 (was.kafka() || was.postgres() || was.s3_lake() ? location_url(was) : was.path.string()) + " (recorded in " + file.string() + "); leave " + r.option + " out or name that");
  }
  // A Kafka log is the same log whichever of its brokers are named: the given ones are used.
  if (!given.log.empty() && recorded.log.kafka()) recorded.log = wanted.log;
  return recorded;
}

} // namespace shopflow
