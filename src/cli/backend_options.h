// The options of the commands that open a data dir to write: where its backends live
// (storage/backend_urls.h), which sinks the process keeps, and how its lake sink writes files.
#pragma once

#include <CLI/CLI.hpp>

#include "serve/sinks.h"
#include "storage/backend_urls.h"

namespace shopflow {

inline void add_backend_options(CLI::App* cmd, BackendUrls& urls) {
  const char* group = "Backends (default: inside the data dir; recorded in DIR/BACKENDS at its first open)";
  cmd->add_option("--log", urls.log, "The log: a folder (file:///PATH or a path), or kafka://HOST:PORT[,HOST:PORT...]/PREFIX")->group(group);
  cmd->add_option("--warehouse", urls.warehouse, "The warehouse: the folder of its DuckDB file, warehouse.duckdb (file:///PATH or a path)")->group(group);
  cmd->add_option("--lake", urls.lake, "The lake: a folder (file:///PATH or a path)")->group(group);
  cmd->add_option("--tables", urls.tables, "The lookup tables: a RocksDB folder (file:///PATH or a path)")->group(group);
}

// How the lake sink buffers lines into files and merges its small files (LakeBuffering).
inline void add_lake_options(CLI::App* cmd, LakeBuffering& lake) {
  cmd->add_option("--lake-flush-ms", lake.max_age_ms, "Lake buffering: flush after this many milliseconds")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--lake-flush-lines", lake.max_lines, "Lake buffering: flush at this many lines")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--lake-merge-files", lake.compact_at_files, "Lake: merge a shard's files of one month once this many of one size gather")
      ->check(CLI::Range(size_t{2}, size_t{100'000}))->capture_default_str();
}

// --sinks LIST: which sinks this process stores the log into (serve/sinks.h).
inline void add_sinks_option(CLI::App* cmd, std::string& list) {
  cmd->add_option("--sinks", list, "The sinks this process keeps: warehouse, tables, lake (comma-separated)")
      ->check(CLI::Validator(
          [](std::string& v) {
            try {
              return parse_sink_set(v).any() ? std::string() : std::string("no sink named");
            } catch (const std::invalid_argument& e) {
              return std::string(e.what());
            }
          },
          "LIST"))
      ->capture_default_str();
}

} // namespace shopflow
