// Helpers for integration tests: temp dirs, running the shopflow binary, reading files.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "client/http_client.h"

namespace shopflow::test {

// A fresh directory under /tmp, removed when the object dies.
struct TempDir {
  TempDir();
  ~TempDir();
  std::filesystem::path path;
};

struct RunResult {
  int exit_code;
  std::string out, err;
};
// Runs build/shopflow with `args` (shell-quoted by the caller) and captures stdout and stderr.
RunResult run_shopflow(const std::string& args);
// A shell command line; its exit code, stdout and stderr.
RunResult run_command(const std::string& command);

std::string reference_csv(); // ../shared/data/online_retail_2010-12.csv
// Writes the reference file's header and the data rows (0-based) for which keep(row) holds to
// `file`; returns its path.
std::string write_reference_rows(const std::filesystem::path& file, const std::function<bool(size_t row)>& keep);

// The JSON value at a dotted path of `json` ("rows.0.1": numbers index arrays), minified
// ("1", "\"Bearer\"", "[1,2]"); when `json` is not JSON or has no such value, a text saying so
// (which no expected value equals, and which the failed assertion prints).
std::string json_at(const std::string& json, const std::string& path);
// The string at a path, unquoted ("" when it is absent or not a string).
std::string json_text(const std::string& json, const std::string& path);
// Whether a line of NDJSON text has `value` (minified JSON) at `path`.
bool any_json_line(const std::string& lines, const std::string& path, const std::string& value);

// `shopflow clients add NAME --scopes SCOPES --json` on a data dir: the new client's id and secret.
struct ClientCredentials {
  std::string id, secret;
};
ClientCredentials add_client(const std::filesystem::path& data, const std::string& name, const std::string& scopes);

// Checks, with gtest expectations, that the closed data dir's warehouse and lake hold exactly the
// reference file's rows (CONTRACT.md's counts and revenue, every line once).
void expect_reference_warehouse_and_lake(const std::filesystem::path& data);

// A loopback port that was free a moment ago, below the ephemeral range (no client connection takes it).
uint16_t free_port();

// A shopflow command running in a child process (stdout and stderr in files beside `data`),
// started once its stdout holds `ready`; SIGKILLed at destruction if still running.
class ShopflowProcess {
public:
  ShopflowProcess(const std::filesystem::path& data, const std::string& args, const std::string& ready);
  ~ShopflowProcess();
  int stop(int signal = 15); // returns the exit code (128 + signal when killed)
  std::string log() const;   // its stderr so far
  std::string out() const;   // its stdout so far

private:
  std::filesystem::path out_, err_;
  int pid_ = -1;
};

// `shopflow serve` on a free loopback port, in a child process; stopped with SIGTERM.
class ServeProcess : public ShopflowProcess {
public:
  // port 0: any free port. Without `auth` the server runs with --insecure-no-auth.
  explicit ServeProcess(const std::filesystem::path& data, const std::string& extra_args = "", uint16_t port = 0, bool auth = false);
  const std::string& url() const { return url_; }
  uint16_t port() const { return port_; }

private:
  std::string url_;
  uint16_t port_ = 0;
};
// Runs scripts/SCRIPT COMMAND (a test server's up/down/... script) and returns its stdout; throws
// with its stderr when it fails.
std::string run_server_script(const std::string& script, const std::string& command);

// A Kafka cluster on loopback (scripts/kafka/cluster.py: N KRaft nodes, small heaps), stopped
// and removed at destruction.
class KafkaCluster {
public:
  explicit KafkaCluster(int brokers = 1);
  ~KafkaCluster();
  const std::string& bootstrap() const { return bootstrap_; } // host:port,...
  void kill(int node); // SIGKILL
  void stop();         // SIGTERM to every node: a clean shutdown
  void restart();      // starts what was killed or stopped
  // A node's log.dirs (its partitions' segment files, one folder per partition).
  std::filesystem::path data_dir(int node) const { return dir_.path / ("node-" + std::to_string(node)) / "data"; }

private:
  std::string run(const std::string& command) { return run_server_script("kafka/cluster.py", command); }
  TempDir dir_;
  std::string bootstrap_;
};

// A PostgreSQL 15 server on a free loopback port (scripts/postgres/server.py), database `shop`
// owned by role `shopflow` without a password; stopped and removed at destruction.
class PostgresServer {
public:
  PostgresServer();
  ~PostgresServer();
  const std::string& url() const { return url_; } // postgresql://shopflow@127.0.0.1:PORT/shop
  const std::string& reader_url() const { return reader_url_; } // shopflow_reader: SELECT on what shopflow creates

private:
  std::string run(const std::string& command) { return run_server_script("postgres/server.py", command); }
  TempDir dir_;
  std::string url_, reader_url_;
};

// Ceph's RADOS Gateway on a one-node cluster (scripts/s3/rgw.py), up for the object's life. The
// S3 keys are set in this process's AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which child
// processes inherit.
class S3Server {
public:
  S3Server();
  ~S3Server();
  const std::string& endpoint() const { return endpoint_; } // http://127.0.0.1:PORT
  // s3://BUCKET/PREFIX?endpoint=...: a lake URL on this server; the bucket is created.
  std::string lake_url(const std::string& bucket, const std::string& prefix);
  void create_bucket(const std::string& bucket);

private:
  std::string run(const std::string& command) { return run_server_script("s3/rgw.py", command); }
  TempDir dir_;
  std::string endpoint_;
};

// An SMTP server on loopback (scripts/smtp/server.py, Debian's aiosmtpd): STARTTLS and AUTH
// required, its certificate self-signed (ca_file() to trust it); every message it accepts is
// decoded by Python's email package into mail() (subject, text, html, envelope).
class SmtpServer {
public:
  SmtpServer();
  ~SmtpServer();
  uint16_t port() const { return port_; }
  const std::string& ca_file() const { return ca_file_; }
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }
  // The messages accepted so far, each its JSON record, in order.
  std::vector<std::string> mail() const;

private:
  std::string run(const std::string& command) { return run_server_script("smtp/server.py", command); }
  TempDir dir_;
  uint16_t port_ = 0;
  std::string ca_file_, user_, password_;
};

// The December file POSTed to `client` as CSV in requests of `lines` rows (each answered 200);
// after_each(n) after the n-th (from 0).
void stream_reference(HttpClient& client, int lines, const std::function<void(int)>& after_each = {});

std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& content);

} // namespace shopflow::test
