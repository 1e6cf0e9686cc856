// Ingest: POST /v1/records, the seed's POST contract, and send's file registration.
#include "api/api_service.h"

#include <simdjson.h>

#include "batch/file_identity.h"
#include "util/json_writer.h"
#include "formats/record_body.h"
#include "pipeline/ingest.h"
#include "util/clock.h"
#include "util/sha256.h"

namespace http = boost::beast::http;

namespace shopflow {

void ApiService::ingest(const RecordBody& body, std::string_view raw_body, const std::string& key, Respond respond,
                        std::function<void(const IngestOutcome&)> done) {
  const size_t body_bytes = raw_body.size();
  ingest_.rows_async(body.rows(), wall_clock_us(), key, key.empty() ? std::string() : sha256_bytes(raw_body),
                    [this, body_bytes, keyed = !key.empty(), respond = std::move(respond), done = std::move(done)](IngestOutcome outcome,
                                                                                                               std::exception_ptr error) {
                      if (error) {
                        HttpResponse res;
                        try {
                          std::rethrow_exception(error);
                        } catch (const KeyInUse& e) {
                          res.set(http::field::retry_after, "1");
                          json_response(res, 409, error_json(e.what()));
                        } catch (const KeyReused& e) {
                          json_response(res, 422, error_json(e.what()));
                        } catch (const std::exception& e) {
                          // "Not stored" only when nothing was: some shards may have taken their part.
                          std::string what = outcome.ranges.empty() ? "not stored: "
                                             : keyed ? "stored only in part (retry with the same Idempotency-Key: it stores the rest once): "
                                                     : "stored only in part (a retry without an Idempotency-Key may store some rows twice): ";
                          res.set(http::field::retry_after, "1");
                          json_response(res, 503, error_json(what + e.what()));
                        }
                        respond(std::move(res));
                        return;
                      }
                      metrics_.ingested_records += outcome.appended;
                      metrics_.ingested_bytes += outcome.appended ? body_bytes : 0;
                      done(outcome);
                    });
}

void ApiService::post_records(const HttpRequest& req, Respond respond) {
  HttpResponse res;
  std::unique_ptr<RecordBody> body;
  try {
    body = std::make_unique<RecordBody>(req.body(), header_value(req, http::field::content_type), options_.max_records_per_request);
  } catch (const BodyError& e) {
    bool too_many = std::string_view(e.what()).rfind("too many records", 0) == 0;
    json_response(res, too_many ? 413 : 400, error_json(e.what()));
    return respond(std::move(res));
  }
  std::string key;
  if (auto it = req.find("Idempotency-Key"); it != req.end()) {
    key = std::string(it->value().data(), it->value().size());
    if (!valid_idempotency_key(key)) {
      json_response(res, 400, error_json("Idempotency-Key must be 1 to 200 printable ASCII characters"));
      return respond(std::move(res));
    }
  }
  std::string format(body->format());
  ingest(*body, req.body(), key, respond, [this, respond, count = body->rows().size(), format](const IngestOutcome& outcome) {
           metrics_.malformed_at_ingest += outcome.malformed_count;
           JsonWriter w;
           w.begin_object().field("accepted", count).field("format", format);
           w.field("transactions", outcome.transactions).field("cancellations", outcome.cancellations);
           w.key("rejected").begin_object();
           for (size_t r = 1; r < kRejectReasonCount; ++r) w.field(reason_name(static_cast<RejectReason>(r)), outcome.rejected[r]);
           w.end_object().field("malformed_count", outcome.malformed_count).key("malformed").begin_array();
           for (const MalformedRow& m : outcome.malformed)
             w.begin_object().field("index", m.index).field("reason", "malformed").field("detail", m.detail).end_object();
           w.end_array().key("shards").begin_array();
           for (auto& r : outcome.ranges)
             w.begin_object().field("shard", r.shard).field("first_offset", r.first_offset).field("last_offset", r.last_offset).end_object();
           w.end_array().end_object();
           HttpResponse answer;
           if (outcome.replayed) answer.set("Idempotent-Replayed", "true");
           json_response(answer, 200, w.take());
           respond(std::move(answer));
         });
}

void ApiService::compat_post(const HttpRequest& req, Respond respond) {
  // The seed's client posts one record without a Content-Type.
  std::unique_ptr<RecordBody> body;
  try {
    body = std::make_unique<RecordBody>(req.body(), "application/json", 1);
  } catch (const BodyError& e) {
    HttpResponse res;
    json_response(res, 400, seed_answer(400, e.what()));
    return respond(std::move(res));
  }
  ingest(*body, req.body(), "", respond, [respond, answer = seed_answer(200, req.body())](const IngestOutcome&) {
    HttpResponse res;
    json_response(res, 200, answer);
    respond(std::move(res));
  });
}

namespace {
bool valid_sha256(std::string_view h) { return h.size() == 64 && h.find_first_not_of("0123456789abcdef") == std::string_view::npos; }
} // namespace

// `shopflow send` declaring the file it is about to send (batch/file_identity.h):
//   POST /v1/files {"sha256", "file", "bytes", "batch_rows", "force"} ->
//     200 {"status": "registered"|"resumed", "batch_rows"}: send, with that batch size;
//     200 {"status": "complete", "message"}: already sent, nothing to do;
//     409 {"error"}: imported by shopflow batch (names the job)
//   POST /v1/files/<sha256>/complete {"rows_acked"} -> 200 {"status": "complete"}, or 403 from
//     another client than the one that registered it
void ApiService::complete_file(const HttpRequest& req, const std::string& sha, const std::string& client, HttpResponse& res) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  uint64_t rows = 0;
  if (!valid_sha256(sha) || parser.parse(req.body()).get(doc) || doc["rows_acked"].get_uint64().get(rows))
    return json_response(res, 400, error_json("expected POST /v1/files/<sha256, 64 hex>/complete with {\"rows_acked\": N}"));
  DuckConnection con(dir_.warehouse().database());
  switch (complete_send(con, sha, rows, client)) {
  case SendCompletion::Unknown: return json_response(res, 404, error_json("no send of " + sha + " was registered"));
  case SendCompletion::OtherClient:
    return json_response(res, 403, error_json("the send of " + sha + " was registered by another client; only it may complete it"));
  case SendCompletion::Completed: return json_response(res, 200, JsonWriter().begin_object().field("status", "complete").end_object().take());
  }
}

void ApiService::register_file(const HttpRequest& req, const std::string& client, HttpResponse& res) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  SentFile file;
  std::string_view sha, name;
  uint64_t bytes = 0, batch_rows = 0;
  bool force = false;
  if (parser.parse(req.body()).get(doc) || doc["sha256"].get_string().get(sha) || !valid_sha256(sha) ||
      doc["file"].get_string().get(name) || doc["bytes"].get_uint64().get(bytes) || doc["batch_rows"].get_uint64().get(batch_rows) ||
      batch_rows == 0 || batch_rows > UINT32_MAX || (!doc["force"].error() && doc["force"].get_bool().get(force))) {
    json_response(res, 400, error_json("expected {\"sha256\": 64 hex, \"file\": name, \"bytes\": N, \"batch_rows\": N >= 1, "
                                       "\"force\": bool}"));
    return;
  }
  file.sha256 = sha;
  file.file = name;
  file.bytes = bytes;
  file.batch_rows = static_cast<uint32_t>(batch_rows);
  file.client = client;
  DuckConnection con(dir_.warehouse().database());
  SendRegistration r = register_send(con, file, force);
  switch (r.outcome) {
  case SendRegistration::Refused: json_response(res, 409, error_json(r.message)); break;
  case SendRegistration::Complete:
    json_response(res, 200, JsonWriter().begin_object().field("status", "complete").field("message", r.message).end_object().take());
    break;
  default:
    json_response(res, 200, JsonWriter().begin_object().field("status", r.outcome == SendRegistration::Resumed ? "resumed" : "registered")
                                .field("batch_rows", r.batch_rows).end_object().take());
  }
}

} // namespace shopflow
