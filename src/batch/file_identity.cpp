#include "batch/file_identity.h"

#include <fmt/format.h>

#include "util/clock.h"

namespace shopflow {

std::mutex& file_identity_mutex() {
  static std::mutex m;
  return m;
}

std::optional<SentFile> find_sent_file(DuckConnection& wh, const std::string& sha256) {
  DuckResult r = wh.query("SELECT sha256, file, bytes, batch_rows, CAST(registered_at AS VARCHAR), CAST(completed_at AS VARCHAR), "
                          "coalesce(rows_acked, 0), coalesce(client, '') FROM sent_files WHERE sha256 = " + sql_literal(sha256));
  if (!r.row_count()) return std::nullopt;
  SentFile f{r.text(0, 0), r.text(1, 0), static_cast<uint64_t>(r.int64(2, 0)), static_cast<uint32_t>(r.int64(3, 0)), r.text(4, 0),
             std::nullopt, static_cast<uint64_t>(r.int64(6, 0)), r.text(7, 0)};
  if (!r.is_null(5, 0)) f.completed_at = r.text(5, 0);
  return f;
}

std::optional<std::string> describe_batch_import(DuckConnection& wh, const std::string& sha256) {
  DuckResult r = wh.query("SELECT job, file, rows_read, CAST(finished_at AS VARCHAR) FROM imports WHERE sha256 = " + sql_literal(sha256));
  if (!r.row_count()) return std::nullopt;
  return fmt::format("shopflow batch as job {} ({}, {} rows, imported {} UTC)", r.int64(0, 0), r.text(1, 0), r.int64(2, 0), r.text(3, 0));
}

std::string describe_sent_file(const SentFile& f) {
  return f.completed_at ? fmt::format("shopflow send ({}, {} rows, sent {} UTC)", f.file, f.rows_acked, *f.completed_at)
                        : fmt::format("shopflow send ({}, begun {} UTC and not finished; run the same send again to finish it)",
                                      f.file, f.registered_at);
}

SendRegistration register_send(DuckConnection& wh, const SentFile& file, bool force) {
  std::lock_guard lock(file_identity_mutex());
  SendRegistration out;
  std::optional<SentFile> sent = find_sent_file(wh, file.sha256);
  if (!force) {
    if (auto batch = describe_batch_import(wh, file.sha256)) {
      out.outcome = SendRegistration::Refused;
      out.message = "this content was already imported by " + *batch + "; --force sends it again (its rows are then stored twice)";
      return out;
    }
    if (sent && sent->completed_at) {
      out.outcome = SendRegistration::Complete;
      out.message = "this content was already sent by " + describe_sent_file(*sent) + "; nothing sent (--force sends it again)";
      return out;
    }
    if (sent) {
      out.outcome = SendRegistration::Resumed;
      out.batch_rows = sent->batch_rows;
      return out;
    }
  }
  if (!sent)
    wh.execute(fmt::format("INSERT INTO sent_files VALUES ({}, {}, {}, {}, make_timestamp({}), NULL, NULL, {})", sql_literal(file.sha256),
                           sql_literal(file.file), file.bytes, file.batch_rows, wall_clock_us(), sql_literal(file.client)));
  out.batch_rows = file.batch_rows;
  return out;
}

SendCompletion complete_send(DuckConnection& wh, const std::string& sha256, uint64_t rows_acked, const std::string& client) {
  std::lock_guard lock(file_identity_mutex());
  std::optional<SentFile> sent = find_sent_file(wh, sha256);
  if (!sent) return SendCompletion::Unknown;
  if (sent->client != client) return SendCompletion::OtherClient;
  wh.execute(fmt::format("UPDATE sent_files SET completed_at = coalesce(completed_at, make_timestamp({})), rows_acked = "
                         "greatest(coalesce(rows_acked, 0), {}) WHERE sha256 = {}", wall_clock_us(), rows_acked, sql_literal(sha256)));
  return SendCompletion::Completed;
}

} // namespace shopflow
