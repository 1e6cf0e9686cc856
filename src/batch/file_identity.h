// A file's content identity (the SHA-256 of its bytes) is the same whichever path it takes into
// the warehouse: `shopflow batch` records each imported file in `imports`, and `shopflow send`
// registers each file in `sent_files` before its first row and marks it complete after its last.
// The same content arriving again by the other path is refused with a message naming the first,
// unless forced; by the same path it is a no-op (batch: "already imported"; send: a resumed send
// reuses the first one's batch size, so every row it already stored is a replay).
//
// sent_files: sha256, file (as send named it), bytes, batch_rows (the Idempotency-Keys depend on
// it), registered_at, completed_at and rows_acked (NULL until complete), client (who registered).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "db/duckdb.h"

namespace shopflow {

struct SentFile {
  std::string sha256, file;
  uint64_t bytes = 0;
  uint32_t batch_rows = 0;
  std::string registered_at;              // as DuckDB prints a TIMESTAMP
  std::optional<std::string> completed_at; // unset while the send has not finished
  uint64_t rows_acked = 0;
  std::string client;                      // the client id that registered it ("" without access control)
};

// Imports and registrations check and record under one lock, so that two paths never both
// take the same content.
std::mutex& file_identity_mutex();

std::optional<SentFile> find_sent_file(DuckConnection& warehouse, const std::string& sha256);
// "job 3 (FILE, 42481 rows, imported 2026-12-03 10:00:00)" for a batch import of that content.
std::optional<std::string> describe_batch_import(DuckConnection& warehouse, const std::string& sha256);
std::string describe_sent_file(const SentFile& f);

// What POST /v1/files answers a `send` about to start (see the header comment).
struct SendRegistration {
  enum Outcome { Registered, Resumed, Complete, Refused } outcome = Registered;
  uint32_t batch_rows = 0; // Registered/Resumed: the batch size the send must use
  std::string message;     // Complete/Refused: what the first import was
};
SendRegistration register_send(DuckConnection& warehouse, const SentFile& file, bool force);
// Marks a send complete, only for the client that registered it (Completed): no other client can
// make a send that never happened look done. Unknown and OtherClient change nothing.
enum class SendCompletion { Completed, Unknown, OtherClient };
SendCompletion complete_send(DuckConnection& warehouse, const std::string& sha256, uint64_t rows_acked, const std::string& client);

} // namespace shopflow
