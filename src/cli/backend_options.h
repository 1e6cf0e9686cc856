// The backend URL options (storage/backend_urls.h) of the commands that open a data dir to write.
#pragma once

#include <CLI/CLI.hpp>

#include "storage/backend_urls.h"

namespace shopflow {

inline void add_backend_options(CLI::App* cmd, BackendUrls& urls) {
  const char* group = "Backends (default: inside the data dir; recorded in DIR/BACKENDS at its first open)";
  cmd->add_option("--log", urls.log, "The log: a folder (file:///PATH or a path)")->group(group);
  cmd->add_option("--warehouse", urls.warehouse, "The warehouse: the folder of its DuckDB file, warehouse.duckdb (file:///PATH or a path)")->group(group);
  cmd->add_option("--lake", urls.lake, "The lake: a folder (file:///PATH or a path)")->group(group);
  cmd->add_option("--tables", urls.tables, "The lookup tables: a RocksDB folder (file:///PATH or a path)")->group(group);
}

} // namespace shopflow
