// The warehouse on PostgreSQL (--warehouse postgresql://USER@HOST:PORT/DB, Redshift's protocol):
// the tables and views of the DuckDB warehouse (sinks/warehouse/warehouse.h), same names and
// types, created if missing. Stream batches are loaded with binary COPY (or, for Amazon Redshift,
// which has no COPY ... FROM STDIN, multi-row INSERTs) in one transaction with their
// stream_offsets rows, so a crash at any moment leaves each shard's rows and offset together.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/postgres/postgres.h"
#include "sinks/cleaned_batch.h"

namespace shopflow {

// A pass refused because another writer stored some of its shards first.
struct StreamOffsetConflict : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// How rows go in: binary COPY ... FROM STDIN, or multi-row INSERTs of text parameters.
enum class PgLoad { Copy, Insert };

class PgWarehouse {
public:
  // Connects and creates what is missing of the schema. Throws PgError.
  explicit PgWarehouse(const std::string& conninfo, PgLoad load = PgLoad::Copy);
  // The next offset of each shard that `sink` has stored.
  std::map<uint32_t, uint64_t> stream_offsets(const std::string& sink);
  // One transaction: every batch's lines, cancellations and rejected rows, and the offsets of
  // sink 'warehouse'. On an error nothing of it is stored (the connection is made anew if lost);
  // StreamOffsetConflict when a shard's stored offset is already past a batch's first record.
  void store_stream_batches(const std::vector<CleanedBatch>& batches);

private:
  void load_lines_into(const char* table, const std::vector<const LineColumns*>& blocks);
  void load_rejected_rows(const std::vector<CleanedBatch>& batches);
  std::vector<std::string> offset_statements(const std::vector<CleanedBatch>& batches) const;
  std::string conninfo_;
  PgLoad load_;
  std::unique_ptr<PgConnection> con_;
};

// The schema in PostgreSQL's dialect (idempotent), for the warehouse and for tests.
std::string pg_warehouse_schema();

} // namespace shopflow
