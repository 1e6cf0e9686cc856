#include "storage/data_dir.h"

#include <filesystem>
#include <cstdio>
#include <optional>
#include <random>
#include <set>

#include "sinks/lake/local_folder/local_folder_store.h"
#include "sinks/lake/s3/s3_store.h"
#include "sinks/warehouse/postgres/pg_warehouse.h"
#include "stream/kafka/kafka_log.h"
#include "util/durable_file.h"
#include "util/read_file.h"

namespace fs = std::filesystem;

namespace shopflow {

std::pair<std::string, std::string> batch_source_range(int64_t job) {
  std::string base = "batch:" + std::to_string(job);
  return {base + ":", base + ";"}; // ';' follows ':' in ASCII
}

namespace {
// The directory, created if missing, as an absolute path: the warehouse's allowed folders are
// absolute, so every file path handed to DuckDB must be too.
std::string prepare(const std::string& path) {
  fs::create_directories(path);
  return fs::canonical(path).string();
}

// A backend kept outside the data dir belongs to it alone: FOLDER/OWNER names the data dir that
// first used it, and any other is refused (its recovery would delete what it did not write). The
// log's and the lake's folders also hold a LOCK while open (RocksDB and DuckDB lock their own).
std::vector<std::unique_ptr<DataDirLock>> claim_outside(const std::string& data_dir, const Backends& b, const std::string& purpose) {
  std::vector<std::unique_ptr<DataDirLock>> locks;
  struct Claim {
    const BackendLocation& at;
    const char* what;
    bool lock;
  };
  for (const Claim& c : {Claim{b.log, "log", !b.log.kafka()}, Claim{b.warehouse, "warehouse", false}, Claim{b.lake, "lake", true},
                         Claim{b.tables, "tables", false}}) {
    if (c.at.embedded || c.at.kafka() || c.at.postgres() || c.at.s3_lake()) continue;
    fs::create_directories(c.at.path);
    if (c.lock) locks.push_back(std::make_unique<DataDirLock>(c.at.path.string(), purpose));
    const fs::path owner = c.at.path / "OWNER";
    std::optional<std::string> holder = read_file(owner);
    if (!holder) {
      replace_file_durably(owner, data_dir + "\n");
      continue;
    }
    if (holder->ends_with('\n')) holder->pop_back();
    if (*holder != data_dir)
      throw std::runtime_error(std::string("the ") + c.what + " at " + c.at.path.string() + " belongs to data dir " + *holder +
                               " (named in " + owner.string() + "); give data dir " + data_dir + " a place of its own");
  }
  return locks;
}

} // namespace

std::unique_ptr<ObjectStore> open_lake_store(const BackendLocation& at) {
  if (!at.s3_lake()) return std::make_unique<LocalFolderStore>(at.path);
  auto store = std::make_unique<S3Store>(resolve_s3_settings(*at.s3), at.path);
  store->client().check_access();
  return store;
}

DataDir::DataDir(const std::string& path, const std::string& purpose, const BackendUrls& backends,
                 const std::string& memory_limit)
    : path_(prepare(path)), lock_(path_, purpose), backends_(settle_backends(path_, backends, false)),
      outside_locks_(claim_outside(path_, backends_, purpose)),
      warehouse_(warehouse_file(backends_.warehouse).string(), memory_limit),
      lake_store_(open_lake_store(backends_.lake)),
      lake_(*lake_store_, backends_.lake_shared_by_workers()), tables_(backends_.tables.path.string()) {
  claim_s3_lake();
  recover();
  // Answers of an earlier run that died while writing them.
  fs::remove_all(sql_answers_dir());
  fs::create_directories(sql_answers_dir());
  lake_store_->open_for(warehouse_.connection());
  std::vector<std::string> lake_urls;
  if (backends_.lake.s3_lake()) lake_urls.push_back(lake_store_->read_location(""));
  warehouse_.confine_to({backends_.lake.path, sql_answers_dir(), lines_from_postgres_dir()}, lake_urls);
  // Recorded once every backend opened: a mistyped bucket or server is not kept as the data dir's.
  settle_backends(path_, backends, true);
}

void DataDir::claim_s3_lake() {
  // An S3 lake not shared by workers is one data dir's, as a folder lake is (claim_outside): the
  // object _owner names the data dir (node id and path) that first used it, and another is refused.
  if (!backends_.lake.s3_lake() || backends_.lake_shared_by_workers()) return;
  const std::string me = node_id() + " " + path_ + "\n";
  std::optional<std::string> owner = lake_store_->get("_owner");
  if (!owner) {
    lake_store_->put("_owner", me);
  } else if (owner->substr(0, 16) != me.substr(0, 16)) {
    if (owner->ends_with('\n')) owner->pop_back();
    throw std::runtime_error("the lake at " + lake_store_->read_location("") + " belongs to data dir " + *owner + " (named in " +
                             lake_store_->read_location("_owner") + "); give data dir " + path_ + " a lake of its own");
  }
}

void DataDir::with_lines_from(PgWarehouse& pg, const std::string& from, const std::string& to, const std::function<void(DuckConnection&)>& use) {
  const fs::path copied = lines_from_postgres_dir();
  fs::remove_all(copied);
  fs::create_directories(copied);
  pg.export_job_lines(from, to, copied);
  DuckConnection& con = warehouse_.connection();
  con.execute("BEGIN TRANSACTION");
  try {
    for (const char* table : {"transactions", "cancellations"})
      con.execute(std::string("COPY ") + table + " FROM " + sql_literal((copied / (std::string(table) + ".csv")).string()) +
                  " (FORMAT csv, HEADER true)");
    use(con);
  } catch (...) {
    con.execute("ROLLBACK");
    fs::remove_all(copied);
    throw;
  }
  con.execute("ROLLBACK");
  fs::remove_all(copied);
}

DataDir::~DataDir() = default;

std::string DataDir::node_id() const {
  const fs::path file = fs::path(path_) / "NODE";
  if (std::optional<std::string> id = read_file(file); id && id->size() == 17 && id->back() == '\n') return id->substr(0, 16);
  std::random_device random;
  char id[17];
  std::snprintf(id, sizeof id, "%08x%08x", random(), random());
  replace_file_durably(file, std::string(id) + "\n");
  return id;
}

std::unique_ptr<Log> DataDir::open_log(const LocalLogOptions& options) const {
  const BackendLocation& at = backends_.log;
  if (at.kafka())
    return std::make_unique<KafkaLog>(KafkaLogOptions{.servers = at.kafka_servers,
                                                      .prefix = at.kafka_prefix,
                                                      .shards = options.shards,
                                                      .transactional_id = "shopflow-" + at.kafka_prefix + "-" + node_id()});
  return std::make_unique<LocalLog>(at.path, options);
}

void DataDir::recover() {
  // The committed jobs: the warehouse's imports rows (in PostgreSQL, when the warehouse is there).
  std::set<int64_t> committed;
  std::unique_ptr<PgWarehouse> pg;
  if (const BackendLocation& at = backends_.warehouse; at.postgres()) {
    pg = std::make_unique<PgWarehouse>(at.postgres_conninfo, at.postgres_insert ? PgLoad::Insert : PgLoad::Copy);
    committed = pg->imported_jobs();
  } else {
    DuckResult jobs = warehouse_.connection().query("SELECT job FROM imports");
    for (size_t r = 0; r < jobs.row_count(); ++r) committed.insert(jobs.int64(0, r));
  }

  lake_.recover_staging([&](int64_t job) { return committed.count(job) > 0; });
  // Lake files of jobs that are no longer imported (a forced re-import that crashed midway).
  lake_.remove_published([&](int64_t job) { return !committed.count(job); });
  // Line files of a job that did not reach its marker are rebuilt from the warehouse below.
  tables_.discard_line_files();
  for (int64_t job : committed) {
    if (tables_.has_job(job)) continue;
    auto [from, to] = batch_source_range(job);
    if (pg) with_lines_from(*pg, from, to, [&](DuckConnection& con) { tables_.derive_job(con, job, from, to); });
    else tables_.derive_job(warehouse_.connection(), job, from, to);
  }
}

} // namespace shopflow
