#include "api/api_service.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/asio/post.hpp>

#include "api/query_string.h"
#include "util/json_writer.h"
#include "util/log.h"

namespace http = boost::beast::http;

namespace shopflow {

ApiService::ApiService(DataDir& dir, Log& log, Pipeline& pipeline, Ingest& ingest, SqlRunner& sql, HandedJobs& batch_jobs,
                       ApiOptions options, AccessControl* access, NotifyAccess notify)
    : dir_(dir), tables_(dir.tables()), log_(log), pipeline_(pipeline), options_(options), access_(access), ingest_(ingest), sql_(sql), batch_jobs_(batch_jobs),
      notify_(std::move(notify)),
      saved_queries_(std::filesystem::path(dir.path()) / "saved-queries.json") {
  // The hashing pool's one thread yields to ingest and SQL: its first task lowers its priority.
  boost::asio::post(hashing_, [] { setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10); });
  add_routes();
}

void ApiService::handle(HttpRequest&& request, HttpServer::Reply reply) {
  auto started = std::chrono::steady_clock::now();
  Call call;
  call.req = std::make_shared<const HttpRequest>(std::move(request)); // shared with answers given later
  call.peer_address = reply.peer_address();
  std::string_view method(call.req->method_string().data(), call.req->method_string().size());
  // Every answer goes through here: the route's latency is measured up to the answer, and the
  // request gets its log line (never its token: the client id the token named, if any).
  auto client = std::make_shared<std::string>();
  auto respond_as = [this, started, reply, client, method_name = std::string(method)](std::string name) {
    return [this, started, reply, client, method_name, name = std::move(name)](HttpResponse res) {
      double seconds = seconds_since(started);
      metrics_.route(name, res.result_int()).observe(seconds);
      if (log::enabled(log::Level::Info)) // the fields are not formatted when nobody reads them
        log::info("request", {{"method", method_name}, {"route", name}, {"status", std::to_string(res.result_int())},
                              {"ms", fmt::format("{:.2f}", seconds * 1000)}, {"client", client->empty() ? "-" : *client}});
      reply(std::move(res));
    };
  };
  HttpResponse res;
  try {
    RequestTarget target = parse_request_target(std::string_view(call.req->target().data(), call.req->target().size()));
    call.path = std::move(target.path);
    call.query = std::move(target.query);
  } catch (const std::invalid_argument& e) { // says nothing about the routes: no authorisation needed
    json_response(res, 400, error_json(e.what()));
    return respond_as("other")(std::move(res));
  }
  auto match = routes_.match(method, call.path);
  const Route* route = match.route;
  std::string name = route ? route->name : "other";
  call.granted = kAllScopes & ~kScopeAdmin; // without access control nobody may write through SQL
  if (access_) {
    // The route's scope; for a method the path lacks, its first route's; for no route, read.
    ScopeSet needed = route ? route->scope : match.path_route ? match.path_route->scope : ScopeSet{kScopeRead};
    if (needed && !authorize(*call.req, needed, res, call.granted, *client)) return respond_as("unauthorized")(std::move(res));
  }
  call.client = *client;
  if (!route) {
    if (match.allow.empty()) json_response(res, 404, error_json("no route " + call.path));
    else {
      std::string allow = fmt::format("{}", fmt::join(match.allow, ", "));
      res.set(http::field::allow, allow);
      json_response(res, 405, error_json("method not allowed; use " + allow));
    }
    return respond_as(name)(std::move(res));
  }
  call.params = std::move(match.params);
  const Handler& handler = route->handler;
  if (handler.answer_later) return handler.answer_later(call, respond_as(name));
  // A handler that throws is answered 500, on either thread, through respond_as like any answer.
  auto answer = [&handler](const Call& c) {
    HttpResponse out;
    try {
      handler.answer(c, out);
    } catch (const std::exception& e) {
      out = HttpResponse{};
      json_response(out, 500, error_json(e.what()));
    }
    return out;
  };
  if (handler.runs_on == Handler::RunsOn::IoThread) return respond_as(name)(answer(call));
  boost::asio::post(blocking_, [answer, call = std::move(call), respond = respond_as(name)] { respond(answer(call)); });
}

bool ApiService::authorize(const HttpRequest& req, ScopeSet needed, HttpResponse& res, ScopeSet& granted, std::string& client_id) {
  std::string_view header = header_value(req, http::field::authorization);
  Principal who;
  try {
    who = access_->authenticate(header, wall_clock_us() / 1'000'000);
  } catch (const AuthError& e) {
    // RFC 6750 section 3 allows %x20-21 / %x23-5B / %x5D-7E in error_description: no quote, no
    // backslash (so no escaping either), nothing outside printable ASCII. The message may quote a
    // token's unverified claims.
    std::string description(e.what());
    for (char& c : description)
      if (c == '"' || c == '\\') c = '\'';
      else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '?';
    res.set(http::field::www_authenticate,
            header.empty() ? std::string("Bearer realm=\"shopflow\"")
                           : "Bearer realm=\"shopflow\", error=\"invalid_token\", error_description=\"" + description + "\"");
    json_response(res, 401, error_json(e.what()));
    metrics_.unauthorized += 1;
    log::warn("refused", {{"status", "401"}, {"target", std::string(req.target())}, {"reason", e.what()}});
    return false;
  }
  client_id = who.client_id;
  if ((who.scopes & needed) != needed) {
    res.set(http::field::www_authenticate, "Bearer realm=\"shopflow\", error=\"insufficient_scope\", scope=\"" + scope_names(needed) + "\"");
    json_response(res, 403, error_json("the token's scopes (" + scope_names(who.scopes) + ") do not include " + scope_names(needed)));
    metrics_.forbidden += 1;
    log::warn("refused", {{"status", "403"}, {"target", std::string(req.target())}, {"client", who.client_id},
                          {"reason", "missing scope " + scope_names(needed)}});
    return false;
  }
  double wait = 0;
  if (!access_->within_rate(who.client_id, wait)) {
    res.set(http::field::retry_after, std::to_string(static_cast<int64_t>(wait) + 1));
    json_response(res, 429, error_json("client " + who.client_id + " is over its rate limit"));
    metrics_.rate_limited += 1;
    log::warn("refused", {{"status", "429"}, {"target", std::string(req.target())}, {"client", who.client_id}, {"reason", "over the rate limit"}});
    return false;
  }
  granted = who.scopes;
  return true;
}

std::string ApiService::without_data_dir(std::string message) const {
  for (size_t at; (at = message.find(dir_.path())) != std::string::npos;) message.replace(at, dir_.path().size(), "DIR");
  return message;
}

void ApiService::set_public_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  std::lock_guard lock(public_url_mutex_);
  public_url_ = std::move(url);
}

std::string ApiService::public_url() const {
  std::lock_guard lock(public_url_mutex_);
  return public_url_;
}

} // namespace shopflow
