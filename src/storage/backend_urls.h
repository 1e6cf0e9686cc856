// Where each backend of a data dir lives, chosen by URL options; the one place they are parsed.
// Every option may be left out: the backend is then the embedded one inside the data dir.
//   option       accepts                  backend (interface)                      default
//   --log        file:///PATH or a path   the embedded log's folder (stream/log.h)  DIR/log
//                kafka://HOST:PORT[,HOST:PORT...]/PREFIX   topics PREFIX.* on a Kafka cluster
//   --warehouse  file:///PATH or a path   the folder of warehouse.duckdb            DIR
//                postgresql://USER@HOST:PORT/DB[?load=insert]   a PostgreSQL database (password:
//                PGPASSWORD or ~/.pgpass; load=insert for Amazon Redshift: no COPY FROM STDIN there)
//   --lake       file:///PATH or a path   a folder (sinks/lake/object_store.h)      DIR/lake
//                s3://BUCKET[/PREFIX][?endpoint=URL&region=NAME&profile=NAME]   an S3 bucket
//                (sinks/lake/s3/s3_location.h; keys from the AWS environment)
//   --tables     file:///PATH or a path   a RocksDB folder (sinks/lookup_tables.h)  DIR/tables
// A plain path may be relative (to the working directory); a file URL's path is absolute. Any
// other scheme is refused with an error naming the option, the URL and what it accepts.
// A new backend is a folder implementing the role's interface plus its scheme in parse_backend_url.
//
// DIR/BACKENDS records what the data dir was first opened with, one `role=URL` line per role
// (empty: the embedded default). Later opens that name no location use the record; one naming a
// different location is refused, so a command never writes to a second warehouse or lake.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "sinks/lake/s3/s3_location.h"

namespace shopflow {

enum class BackendRole { Log, Warehouse, Lake, Tables };
const char* backend_option(BackendRole role); // "--lake"

// The options as given; empty: the recorded location, else the embedded default.
struct BackendUrls {
  std::string log = {}, warehouse = {}, lake = {}, tables = {};
};

struct BackendLocation {
  bool embedded = true;        // the default inside the data dir
  std::filesystem::path path;  // absolute; empty for a Kafka log
  // A Kafka log: the bootstrap servers (host:port,...) and the topics' prefix. Two locations
  // with one prefix are the same log, whichever brokers they list.
  std::string kafka_servers, kafka_prefix;
  // A PostgreSQL warehouse: its postgresql:// URL as given (no password in it); `path` is then
  // the data dir's own folder, where the local DuckDB keeps what is the node's alone. shopflow's
  // own parameter load=copy|insert (insert: multi-row INSERTs, for Amazon Redshift) is taken out
  // of postgres_conninfo, which libpq gets.
  std::string postgres_url = {}, postgres_conninfo = {};
  bool postgres_insert = false;
  // An S3 lake: where it is; `path` is then the data dir's folder for scratch files (DIR/lake-scratch).
  std::optional<S3Location> s3 = {};
  bool kafka() const { return !kafka_prefix.empty(); }
  bool postgres() const { return !postgres_url.empty(); }
  bool s3_lake() const { return s3.has_value(); }
  bool operator==(const BackendLocation& o) const {
    return embedded == o.embedded && path == o.path && kafka_prefix == o.kafka_prefix && postgres_url == o.postgres_url && s3 == o.s3;
  }
};

// The warehouse's DuckDB file in its folder (the name is its SQL catalog's: `warehouse`).
inline std::filesystem::path warehouse_file(const BackendLocation& warehouse) { return warehouse.path / "warehouse.duckdb"; }

struct Backends {
  BackendLocation log, warehouse, lake, tables;
  // Workers of one Kafka log share an S3 lake shard by shard; any other lake is one data dir's.
  bool lake_shared_by_workers() const { return lake.s3_lake() && log.kafka(); }
};

// The location `url` names for `role`, inside `data_dir` when url is empty. Throws
// std::invalid_argument naming the option, the URL and what it accepts.
BackendLocation parse_backend_url(BackendRole role, std::string_view url, const std::filesystem::path& data_dir);

// kafka://HOST:PORT[,HOST:PORT...]/NAME as `option` takes it (`takes` says what, for errors):
// kafka_servers and kafka_prefix (NAME) set. Throws std::invalid_argument naming the option.
BackendLocation parse_kafka_url(const char* option, const char* takes, std::string_view url);

// The data dir's backends: the given URLs checked against DIR/BACKENDS, which is written when
// missing if `record` (a writer holding the data dir's lock). Throws std::invalid_argument on a
// URL that differs from the record, std::runtime_error on a damaged record.
Backends settle_backends(const std::filesystem::path& data_dir, const BackendUrls& given, bool record);

} // namespace shopflow
