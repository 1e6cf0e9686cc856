// Where the lake's files live, as an object store: keys such as
// "transactions/year=2010/month=12/stream-0-0-99.parquet" naming whole files. An object appears
// whole or not at all (a local folder renames a finished file into place; S3 completes a PUT), so
// a reader listing the lake never sees half a file. LocalFolderStore (local_folder/) is the
// embedded store; S3Store (s3/) keeps the objects in an S3 bucket.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/duckdb.h"

namespace shopflow {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
};

// Which keys a call may touch: several writers may share a store, each with its own keys.
using KeyFilter = std::function<bool(std::string_view key)>;

class ObjectStore {
public:
  virtual ~ObjectStore() = default;

  // A local file to write an object's bytes into (DuckDB's COPY ... TO, say) before put_file().
  // It is never listed as an object; remove_scratch() deletes those a crashed writer left.
  virtual std::filesystem::path scratch_file(std::string_view key) = 0;
  // Makes the written `scratch` file the object `key`, durably and atomically (replacing an object
  // of that key); the scratch file is consumed.
  virtual void put_file(const std::filesystem::path& scratch, std::string_view key) = 0;
  // The same for small objects held in memory (manifests).
  virtual void put(std::string_view key, std::string_view bytes) = 0;
  // The object's bytes; nullopt when there is no such object. Throws when it cannot be read.
  virtual std::optional<std::string> get(std::string_view key) const = 0;
  // Every object whose key starts with `prefix`, in key order.
  virtual std::vector<ObjectInfo> list(std::string_view prefix) const = 0;
  // Removes an object (none of that key: nothing happens).
  virtual void remove(std::string_view key) = 0;
  // Removes every object under `folder` ("_staging/batch-7/"), scratch files included.
  virtual void remove_folder(std::string_view folder) = 0;
  // Gives object `from` the key `to`, durably (a rename; a copy and a delete where the store has
  // no rename). After a crash the object is under one of the two keys, or both.
  virtual void move(std::string_view from, std::string_view to) = 0;
  // Deletes what writers of the keys under `prefix` for which `whose` is true left unfinished
  // (at start, after a crash): scratch files, and uploads that never completed.
  virtual void remove_scratch(std::string_view prefix, const KeyFilter& whose) = 0;
  // Where DuckDB reads a key, or a glob of keys ("transactions/*/*/*.parquet"): a path in the
  // folder, or the store's URL.
  virtual std::string read_location(std::string_view key) const = 0;
  // Lets the DuckDB database of `con` read read_location()s: nothing for a folder; for S3, loads
  // the httpfs extension and gives it the store's keys (a secret scoped to the lake's prefix).
  // Before the database is confined (Warehouse::confine_to).
  virtual void open_for(DuckConnection& /*con*/) const {}
};

} // namespace shopflow
