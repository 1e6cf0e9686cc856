// Backend URL options and the data dir's record of them (storage/backend_urls.h).
#include <gtest/gtest.h>

#include <tuple>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "storage/backend_urls.h"

using namespace shopflow;
namespace fs = std::filesystem;

namespace {

struct Folder {
  Folder() {
    char name[] = "/tmp/shopflow-backends-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~Folder() { fs::remove_all(path); }
  fs::path path;
};

} // namespace

TEST(BackendUrls, WhatEachOptionAccepts) {
  struct Case {
    BackendRole role;
    const char* url;
    const char* result; // the path (DATA: the data dir), or for a refusal a text the error holds
    bool accepted;
  };
  const Case cases[] = {
      {BackendRole::Lake, "", "DATA/lake", true},
      {BackendRole::Log, "", "DATA/log", true},
      {BackendRole::Warehouse, "", "DATA", true},
      {BackendRole::Tables, "", "DATA/tables", true},
      {BackendRole::Lake, "/srv/lake", "/srv/lake", true},
      {BackendRole::Lake, "/srv/lake/", "/srv/lake", true},
      {BackendRole::Lake, "/srv/./x/../lake", "/srv/lake", true},
      {BackendRole::Lake, "file:///srv/lake", "/srv/lake", true},
      {BackendRole::Lake, "file://localhost/srv/lake", "/srv/lake", true},
      {BackendRole::Lake, "file:/srv/lake", "/srv/lake", true},
      {BackendRole::Lake, "file:///srv/my%20lake", "/srv/my lake", true},
      {BackendRole::Warehouse, "file:///srv/w", "/srv/w", true},
      {BackendRole::Warehouse, "DATA/", "DATA", true},
      {BackendRole::Lake, "DATA/lake", "DATA/lake", true},
      {BackendRole::Lake, "s3://Bucket/prefix", "--lake 's3://Bucket/prefix': 'Bucket' is not a bucket name", false},
      {BackendRole::Lake, "s3://bucket/a?endpoint=http://h:1&key=x", "unknown parameter 'key'", false},
      {BackendRole::Warehouse, "s3://bucket/prefix", "S3 holds the lake only", false},
      {BackendRole::Log, "gs://bucket/prefix", "--log 'gs://bucket/prefix': this build knows no backend of scheme 'gs'", false},
      {BackendRole::Log, "redis://localhost:6379/0", "--log 'redis://localhost:6379/0': this build knows no backend of scheme 'redis'", false},
      {BackendRole::Lake, "kafka://localhost:9092/shop", "a Kafka cluster holds the log only", false},
      {BackendRole::Warehouse, "postgresql://u:secret@h/db", "no password in the URL", false},
      {BackendRole::Warehouse, "postgresql://u@h", "no /DB", false},
      {BackendRole::Warehouse, "postgresql://u@h/db/x", "no /DB", false},
      {BackendRole::Warehouse, "postgresql:///db", "no HOST", false},
      {BackendRole::Warehouse, "postgresql://u@h/db#x", "a fragment", false},
      {BackendRole::Warehouse, "postgresql://u@h/db?load=fast", "load= takes copy (the default) or insert", false},
      {BackendRole::Lake, "postgres://u@h/db", "PostgreSQL holds the warehouse only", false},
      {BackendRole::Tables, "redis://h", "--tables", false},
      {BackendRole::Lake, "file://otherhost/srv/lake", "no other host than localhost", false},
      {BackendRole::Lake, "file:///srv/lake?x=1", "no query or fragment", false},
      {BackendRole::Lake, "file:///srv/lake#x", "no query or fragment", false},
      {BackendRole::Lake, "file:lake", "path is absolute", false},
      {BackendRole::Lake, "file:///", "root", false},
      {BackendRole::Lake, "/", "root", false},
      {BackendRole::Lake, "c:lake", "scheme 'c' (a path with ':' in it: write ./c:lake)", false},
      {BackendRole::Lake, "file:///srv/my lake", "this is not a URL", false},
  };
  Folder data;
  // A PostgreSQL warehouse: its URL as given; the node's own DuckDB stays in the data dir.
  for (const char* url : {"postgresql://shopflow@127.0.0.1:5432/shop", "postgres://u@db.example.com/shop?sslmode=require"}) {
    BackendLocation at = parse_backend_url(BackendRole::Warehouse, url, data.path);
    EXPECT_TRUE(at.postgres()) << url;
    EXPECT_EQ(at.postgres_url, url);
    EXPECT_FALSE(at.embedded) << url;
    EXPECT_EQ(at.path, fs::absolute(data.path)) << url;
    EXPECT_EQ(at.postgres_conninfo, url);
    EXPECT_FALSE(at.postgres_insert);
  }
  // load=insert (Amazon Redshift) is shopflow's: recorded in the URL, kept from libpq.
  for (auto [url, conninfo, insert] : {std::tuple{"postgresql://u@h:5439/dev?load=insert", "postgresql://u@h:5439/dev", true},
                                       std::tuple{"postgresql://u@h/dev?sslmode=require&load=insert", "postgresql://u@h/dev?sslmode=require", true},
                                       std::tuple{"postgresql://u@h/dev?load=copy&sslmode=require", "postgresql://u@h/dev?sslmode=require", false}}) {
    BackendLocation at = parse_backend_url(BackendRole::Warehouse, url, data.path);
    EXPECT_EQ(at.postgres_url, url);
    EXPECT_EQ(at.postgres_conninfo, conninfo);
    EXPECT_EQ(at.postgres_insert, insert) << url;
  }
  // An S3 lake: its location parsed (the canonical URL is what DIR/BACKENDS records); scratch
  // files stay in the data dir.
  for (auto [url, canonical] : {std::pair{"s3://shop-lake", "s3://shop-lake"}, std::pair{"s3://shop-lake/a/b/", "s3://shop-lake/a/b"},
                                std::pair{"s3://shop-lake/a?region=eu-west-1&endpoint=http://127.0.0.1:7480/",
                                          "s3://shop-lake/a?endpoint=http://127.0.0.1:7480&region=eu-west-1"}}) {
    BackendLocation at = parse_backend_url(BackendRole::Lake, url, data.path);
    ASSERT_TRUE(at.s3_lake()) << url;
    EXPECT_EQ(at.s3->url(), canonical);
    EXPECT_FALSE(at.embedded) << url;
    EXPECT_EQ(at.path, fs::absolute(data.path) / "lake-scratch") << url;
  }
  auto fill = [&](std::string s) {
    if (s.starts_with("DATA")) s = data.path.string() + s.substr(4);
    return s;
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    if (!c.accepted) {
      try {
        parse_backend_url(c.role, c.url, data.path);
        ADD_FAILURE() << "accepted";
      } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find(c.result), std::string::npos) << e.what();
      }
      continue;
    }
    BackendLocation at = parse_backend_url(c.role, fill(c.url), data.path);
    EXPECT_EQ(at.path, fs::path(fill(c.result)));
    EXPECT_EQ(at.embedded, std::string(c.result).starts_with("DATA")) << "embedded";
  }
  // A relative path is the working directory's.
  EXPECT_EQ(parse_backend_url(BackendRole::Lake, "rel/lake", data.path).path, fs::current_path() / "rel/lake");
}

TEST(BackendUrls, KafkaLogs) {
  const std::pair<const char*, const char*> accepted[] = {
      {"kafka://localhost:9092/shop", "localhost:9092"},
      {"kafka://10.0.0.1:9092,10.0.0.2:9093,b-3.example.com:19092/shop.eu_1-x", "10.0.0.1:9092,10.0.0.2:9093,b-3.example.com:19092"},
  };
  Folder data;
  for (auto [url, servers] : accepted) {
    BackendLocation at = parse_backend_url(BackendRole::Log, url, data.path);
    EXPECT_TRUE(at.kafka()) << url;
    EXPECT_FALSE(at.embedded) << url;
    EXPECT_EQ(at.kafka_servers, servers);
    EXPECT_EQ(at.kafka_prefix, std::string(url).substr(std::string(url).rfind('/') + 1));
  }
  const std::pair<const char*, const char*> refused[] = {
      {"kafka://localhost:9092", "no /NAME"},
      {"kafka://localhost:9092/", "1 to 200 characters"},
      {"kafka:///shop", "no HOST:PORT"},
      {"kafka://localhost/shop", "'localhost' is not HOST:PORT"},
      {"kafka://localhost:0/shop", "is not HOST:PORT"},
      {"kafka://localhost:65536/shop", "is not HOST:PORT"},
      {"kafka://a:1,,b:2/shop", "'' is not HOST:PORT"},
      {"kafka://a_b:1/shop", "is not HOST:PORT"},
      {"kafka://a:1/sh op", "letters, digits"},
      {"kafka://a:1/shop/x", "letters, digits"},
  };
  for (auto [url, says] : refused) {
    try {
      parse_backend_url(BackendRole::Log, url, data.path);
      ADD_FAILURE() << "accepted " << url;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  }
  // Recorded; later commands use it, another prefix is refused, other brokers of it are not.
  settle_backends(data.path, {.log = "kafka://a:1/shop"}, true);
  EXPECT_EQ(settle_backends(data.path, {}, false).log.kafka_servers, "a:1");
  EXPECT_EQ(settle_backends(data.path, {.log = "kafka://b:2,c:3/shop"}, false).log.kafka_servers, "b:2,c:3");
  EXPECT_THROW(settle_backends(data.path, {.log = "kafka://a:1/other"}, false), std::invalid_argument);
  EXPECT_THROW(settle_backends(data.path, {.log = (data.path / "log").string()}, false), std::invalid_argument);
}

TEST(BackendUrls, TheFirstOpenIsRecordedAndLaterOnesMustAgree) {
  Folder data, elsewhere;
  const std::string lake = (elsewhere.path / "my lake").string();
  Backends first = settle_backends(data.path, {.lake = lake}, true);
  EXPECT_FALSE(first.lake.embedded);
  EXPECT_TRUE(first.log.embedded);

  // Left out: the recorded place, not the default. The same place named another way: accepted.
  Backends again = settle_backends(data.path, {}, false);
  EXPECT_EQ(again.lake.path, fs::path(lake));
  std::string as_url = "file://" + (elsewhere.path / "my%20lake/").string();
  EXPECT_EQ(settle_backends(data.path, {.lake = as_url}, false).lake.path, fs::path(lake));
  EXPECT_EQ(settle_backends(data.path, {.log = (data.path / "log").string()}, false).log, first.log);

  // Another place: refused, naming the recorded one and the option.
  for (const BackendUrls& other : {BackendUrls{.lake = (elsewhere.path / "other").string()},
                                   BackendUrls{.lake = (data.path / "lake").string()},
                                   BackendUrls{.warehouse = (elsewhere.path / "w").string()}}) {
    try {
      settle_backends(data.path, other, true);
      ADD_FAILURE() << "accepted " << other.lake << other.warehouse;
    } catch (const std::invalid_argument& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(other.lake.empty() ? "--warehouse" : "--lake"), std::string::npos) << what;
      EXPECT_NE(what.find("BACKENDS"), std::string::npos) << what;
    }
  }

  // A moved data dir keeps its embedded backends: the record names them relative to it.
  Folder moved;
  fs::copy_file(data.path / "BACKENDS", moved.path / "BACKENDS");
  EXPECT_EQ(settle_backends(moved.path, {}, false).log.path, moved.path / "log");
}

TEST(BackendUrls, TwoRolesInOneFolderAreRefused) {
  Folder data;
  try {
    settle_backends(data.path, {.log = "/srv/shared", .lake = "file:///srv/shared/"}, true);
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--log and --lake name the same folder, /srv/shared"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(data.path / "BACKENDS"));
}

TEST(BackendUrls, ADamagedRecordIsAnErrorNamingItsLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"log=\nlake\n", "line 2: not role=URL"},
      {"stream=/x\n", "unknown role 'stream'"},
      {"lake=/a\nlake=/b\n", "role 'lake' twice"},
      {"lake=s3://b/p\n", "not a bucket name"},
      {"lake=gs://bucket/p\n", "scheme 'gs'"},
  };
  for (auto [text, says] : cases) {
    Folder data;
    std::ofstream(data.path / "BACKENDS") << text;
    try {
      settle_backends(data.path, {}, true);
      ADD_FAILURE() << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  }
}
