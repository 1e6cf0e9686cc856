#include "reference.h"
#include "test_support.h"

#include <algorithm>

#include <simdjson.h>

#include <gtest/gtest.h>

#include "db/duckdb.h"
#include "sinks/lake/s3/s3_client.h"
#include "storage/backend_urls.h"

#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>
#include <random>
#include <sstream>
#include <stdexcept>
#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace shopflow::test {

TempDir::TempDir() {
  std::random_device rd;
  path = fs::temp_directory_path() / ("shopflow-test-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path);
}
TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

RunResult run_shopflow(const std::string& args) { return run_command(std::string(SHOPFLOW_BIN) + " " + args); }

RunResult run_command(const std::string& command) {
  TempDir io;
  std::string cmd = command + " >" + (io.path / "out").string() + " 2>" + (io.path / "err").string();
  int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(io.path / "out");
  r.err = read_file(io.path / "err");
  return r;
}

std::string run_server_script(const std::string& script, const std::string& command) {
  TempDir io;
  std::string cmd = std::string("/usr/bin/python3 ") + SHOPFLOW_SOURCE_DIR + "/scripts/" + script + " " + command + " >" +
                    (io.path / "out").string() + " 2>" + (io.path / "err").string();
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("scripts/" + script + " " + command + " failed: " + read_file(io.path / "err"));
  return read_file(io.path / "out");
}

namespace {

// A string field of the JSON state a script's `up` printed.
std::string state_field(const std::string& script, const std::string& state, const char* field) {
  simdjson::dom::parser parser;
  std::string_view value;
  if (parser.parse(state)[field].get_string().get(value)) throw std::runtime_error("scripts/" + script + " up said: " + state);
  return std::string(value);
}

} // namespace

KafkaCluster::KafkaCluster(int brokers) {
  bootstrap_ = state_field("kafka/cluster.py", run("up " + dir_.path.string() + " --brokers " + std::to_string(brokers)), "bootstrap");
}

KafkaCluster::~KafkaCluster() {
  try {
    run("down " + dir_.path.string());
  } catch (const std::exception&) {
  }
}

void KafkaCluster::kill(int node) { run("kill " + dir_.path.string() + " " + std::to_string(node)); }
PostgresServer::PostgresServer() {
  // The server runs as user postgres when the tests run as root: it must reach its folder.
  fs::permissions(dir_.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                                 fs::perms::others_exec);
  const std::string state = run("up " + (dir_.path / "pg").string());
  url_ = state_field("postgres/server.py", state, "url");
  reader_url_ = state_field("postgres/server.py", state, "reader_url");
}

PostgresServer::~PostgresServer() {
  try {
    run("down " + (dir_.path / "pg").string());
  } catch (const std::exception&) {
  }
}

SmtpServer::SmtpServer() {
  const std::string state = run("up " + dir_.path.string());
  port_ = static_cast<uint16_t>(std::stoi(json_at(state, "port")));
  ca_file_ = state_field("smtp/server.py", state, "ca_file");
  user_ = state_field("smtp/server.py", state, "user");
  password_ = state_field("smtp/server.py", state, "password");
}

SmtpServer::~SmtpServer() {
  try {
    run("down " + dir_.path.string());
  } catch (const std::exception&) {
  }
}

std::vector<std::string> SmtpServer::mail() const {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_.path / "mail", ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const fs::path& f : files) out.push_back(read_file(f));
  return out;
}

S3Server::S3Server() {
  std::string state = run("up " + dir_.path.string());
  endpoint_ = state_field("s3/rgw.py", state, "endpoint");
  setenv("AWS_ACCESS_KEY_ID", state_field("s3/rgw.py", state, "access_key").c_str(), 1);
  setenv("AWS_SECRET_ACCESS_KEY", state_field("s3/rgw.py", state, "secret_key").c_str(), 1);
  setenv("AWS_REGION", state_field("s3/rgw.py", state, "region").c_str(), 1);
}

S3Server::~S3Server() {
  try {
    run("down " + dir_.path.string());
  } catch (const std::exception&) {
  }
}

void S3Server::create_bucket(const std::string& bucket) {
  S3Location at;
  at.bucket = bucket;
  at.endpoint = endpoint_;
  S3Client(resolve_s3_settings(at)).create_bucket();
}

std::string S3Server::lake_url(const std::string& bucket, const std::string& prefix) {
  create_bucket(bucket);
  return "s3://" + bucket + "/" + prefix + "?endpoint=" + endpoint_;
}

void stream_reference(HttpClient& client, int lines, const std::function<void(int)>& after_each) {
  std::string csv = read_file(reference_csv());
  size_t header_end = csv.find('\n') + 1, pos = header_end;
  for (int request = 0; pos < csv.size(); ++request) {
    size_t end = pos;
    for (int n = 0; n < lines && end < csv.size(); ++n) end = csv.find('\n', end) + 1;
    HttpResult r = client.request("POST", "/v1/records", csv.substr(0, header_end) + csv.substr(pos, end - pos), {{"Content-Type", "text/csv"}});
    ASSERT_EQ(r.status, 200u) << r.body;
    pos = end;
    if (after_each) after_each(request);
  }
}

void KafkaCluster::stop() { run("down " + dir_.path.string()); }
void KafkaCluster::restart() { run("restart " + dir_.path.string()); }

void expect_reference_warehouse_and_lake(const fs::path& data) {
  const Backends at = settle_backends(data, {}, false);
  DuckDatabase db(warehouse_file(at.warehouse).string(), {{"access_mode", "READ_ONLY"}});
  DuckConnection con(db);
  auto q = [&](const std::string& sql) { return con.query(sql).text(0, 0); };
  EXPECT_EQ(q("SELECT count(*) FROM transactions"), text(kReferenceTransactions));
  EXPECT_EQ(q("SELECT count(*) FROM cancellations"), text(kReferenceCancellations));
  EXPECT_EQ(q("SELECT count(*) FROM rejected"), text(kReferenceRejected));
  EXPECT_EQ(q("SELECT sum(amount) FROM transactions"), kReferenceRevenue);
  EXPECT_EQ(q("SELECT count(DISTINCT source) FROM transactions"), text(kReferenceTransactions));
  EXPECT_EQ(q("SELECT count(DISTINCT invoice_no) FROM transactions"), "1559");
  std::string lake = at.lake.path.string();
  EXPECT_EQ(q("SELECT count(*) || ' ' || count(DISTINCT source) || ' ' || sum(amount) FROM read_parquet('" + lake +
              "/transactions/*/*/*.parquet')"), text(kReferenceTransactions) + " " + text(kReferenceTransactions) + " " + kReferenceRevenue);
  EXPECT_EQ(q("SELECT count(*) FROM read_parquet('" + lake + "/cancellations/*/*/*.parquet')"), text(kReferenceCancellations));
}

namespace {
// Binds `port` on 127.0.0.1 (0: any); returns the port bound, or 0.
uint16_t bind_loopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  socklen_t len = sizeof addr;
  bool bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
               getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  return bound ? ntohs(addr.sin_port) : 0;
}
} // namespace

// As scripts/loopback_port.py: below the kernel's ephemeral range, which outgoing connections
// take their local ports from, so no client's connection takes the port before the server binds it.
uint16_t free_port() {
  constexpr int kLowest = 10000; // below: installed services' ports
  int start = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> start;
  if (start - kLowest >= 1000) {
    thread_local std::mt19937 pick(std::random_device{}());
    std::uniform_int_distribution<int> port(kLowest, start - 1);
    for (int i = 0; i < 100; ++i)
      if (uint16_t p = bind_loopback(static_cast<uint16_t>(port(pick)))) return p;
  }
  return bind_loopback(0);
}

ShopflowProcess::ShopflowProcess(const fs::path& data, const std::string& args, const std::string& ready) {
  std::string name = args.substr(0, args.find(' '));
  out_ = data.string() + "." + name + ".out";
  err_ = data.string() + "." + name + ".err";
  std::string cmd = std::string("exec ") + SHOPFLOW_BIN + " " + args + " >" + out_.string() + " 2>>" + err_.string();
  write_file(out_, "");
  pid_ = fork();
  if (pid_ == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 1200; ++i) {
    if (read_file(out_).find(ready) != std::string::npos) return;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                            : "exit code " + std::to_string(WEXITSTATUS(status));
      throw std::runtime_error(name + " exited (" + how + "): " + read_file(err_));
    }
    usleep(50'000);
  }
  stop(9);
  throw std::runtime_error(name + " did not start within a minute: " + read_file(err_));
}

ShopflowProcess::~ShopflowProcess() {
  if (pid_ > 0) stop(9);
}

int ShopflowProcess::stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int status = 0;
  // A process that does not exit within two minutes is a failure (a hang), not a stuck test.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "pid %d did not exit within 2 minutes of signal %d; killed\n", pid_, signal);
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ShopflowProcess::log() const { return read_file(err_); }
std::string ShopflowProcess::out() const { return read_file(out_); }

ServeProcess::ServeProcess(const fs::path& data, const std::string& extra_args, uint16_t port, bool auth)
    : ShopflowProcess(data,
                      "serve --listen 127.0.0.1:" + std::to_string(port) + " --data " + data.string() + " " + extra_args +
                          (auth ? "" : " --insecure-no-auth"),
                      "listening on ") {
  std::string text = out();
  size_t at = text.find("listening on ") + 13;
  url_ = text.substr(at, text.find_first_of(" \n", at) - at);
  port_ = static_cast<uint16_t>(std::stoi(url_.substr(url_.rfind(':') + 1)));
}

ClientCredentials add_client(const fs::path& data, const std::string& name, const std::string& scopes) {
  RunResult r = run_shopflow("clients add " + name + " --scopes " + scopes + " --json --data " + data.string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return {json_text(r.out, "client_id"), json_text(r.out, "client_secret")};
}

namespace {
// The element at `path`, or an error naming the part that was missing.
simdjson::error_code element_at(simdjson::dom::parser& parser, const std::string& json, const std::string& path, simdjson::dom::element& out) {
  if (auto err = parser.parse(json).get(out)) return err;
  for (size_t at = 0; at < path.size();) {
    size_t dot = std::min(path.find('.', at), path.size());
    std::string part = path.substr(at, dot - at);
    at = dot + 1;
    simdjson::dom::array array;
    auto err = !out.get_array().get(array) && !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)
                   ? array.at(std::stoul(part)).get(out)
                   : out[part].get(out);
    if (err) return err;
  }
  return simdjson::SUCCESS;
}
} // namespace

std::string json_at(const std::string& json, const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (auto err = element_at(parser, json, path, e)) return "<no value at " + path + " (" + simdjson::error_message(err) + ") in: " + json.substr(0, 300) + ">";
  return simdjson::minify(e);
}

std::string json_text(const std::string& json, const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  std::string_view text;
  if (element_at(parser, json, path, e) || e.get_string().get(text)) return "";
  return std::string(text);
}

bool any_json_line(const std::string& lines, const std::string& path, const std::string& value) {
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && json_at(line, path) == value) return true;
  return false;
}

std::string reference_csv() { return std::string(SHOPFLOW_SHARED_DATA) + "/online_retail_2010-12.csv"; }

std::string write_reference_rows(const fs::path& file, const std::function<bool(size_t row)>& keep) {
  const std::string csv = read_file(reference_csv());
  size_t at = csv.find('\n') + 1;
  std::string out = csv.substr(0, at);
  for (size_t row = 0; at < csv.size(); ++row) {
    size_t end = csv.find('\n', at);
    end = end == std::string::npos ? csv.size() : end + 1;
    if (keep(row)) out.append(csv, at, end - at);
    at = end;
  }
  write_file(file, out);
  return file.string();
}

} // namespace shopflow::test
