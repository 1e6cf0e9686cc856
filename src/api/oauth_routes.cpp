// OAuth2: the token endpoint (client credentials) and the OpenID configuration.
#include "api/api_service.h"

#include <sys/resource.h>
#include <unistd.h>


#include <boost/asio/post.hpp>

#include "api/query_string.h"
#include "auth/base64url.h"
#include "util/json_writer.h"
#include "util/clock.h"

namespace http = boost::beast::http;

namespace shopflow {

namespace {
// {"error": code, "error_description": text}: an OAuth2 error (RFC 6749 section 5.2).
std::string oauth_error_json(std::string_view code, std::string_view description) {
  JsonWriter w;
  w.begin_object().field("error", code).field("error_description", description).end_object();
  return w.take();
}
} // namespace

// The client id and secret a token request presents: HTTP Basic, else the form's fields; nullopt
// for malformed credentials (Basic, or a form that is not URL encoding).
std::optional<std::pair<std::string, std::string>> ApiService::client_credentials(const HttpRequest& req) {
  try {
    const FormFields form(req.body());
    std::string id = form.get("client_id"), secret = form.get("client_secret");
    if (std::string_view v = header_value(req, http::field::authorization); v.size() > 6 && (v.starts_with("Basic ") || v.starts_with("basic "))) {
      auto decoded = base64_decode(v.substr(6));
      size_t colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos) return std::nullopt;
      id = percent_decode(decoded->substr(0, colon), true);
      secret = percent_decode(decoded->substr(colon + 1), true);
    }
    return std::pair{id, secret};
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

// POST /oauth2/token: rate-limited per source address and per client id before any hashing, then
// hashed on a pool of its own with a bounded queue, so a flood of logins cannot take the threads
// or the cores that SQL and ingest use.
void ApiService::token_request(std::shared_ptr<const HttpRequest> req, const std::string& address, Respond respond) {
  HttpResponse res;
  double wait = 0;
  auto credentials = client_credentials(*req);
  if (!token_by_address_.allow(address, wait) || (credentials && !token_by_client_.allow(credentials->first, wait))) {
    res.set(http::field::retry_after, std::to_string(static_cast<int64_t>(wait) + 1));
    json_response(res, 429, oauth_error_json("slow_down", "too many token requests from this address or for this client"));
    metrics_.rate_limited += 1;
    return respond(std::move(res));
  }
  if (hashing_queued_.fetch_add(1) >= options_.token_queue) {
    hashing_queued_ -= 1;
    res.set(http::field::retry_after, "1");
    json_response(res, 503, oauth_error_json("temporarily_unavailable", "too many token requests at once"));
    return respond(std::move(res));
  }
  boost::asio::post(hashing_, [this, req, credentials = std::move(credentials), respond = std::move(respond)] {
    HttpResponse out;
    try {
      issue_token(*req, credentials, out);
    } catch (const std::exception& e) {
      out = HttpResponse{};
      json_response(out, 500, error_json(e.what()));
    }
    hashing_queued_ -= 1;
    respond(std::move(out));
  });
}

// RFC 6749 section 4.4: grant_type=client_credentials, the client authenticated by HTTP Basic or
// by client_id/client_secret form fields; an optional "scope" narrows the client's scopes. A
// failed authentication is challenged (WWW-Authenticate: Basic) only when the client sent Basic
// (or other) credentials (section 5.2): a form's failure must not make a browser pop up its own dialog.
void ApiService::issue_token(const HttpRequest& req, const std::optional<std::pair<std::string, std::string>>& credentials,
                             HttpResponse& res) {
  const bool tried_http_auth = !header_value(req, http::field::authorization).empty();
  auto oauth_error = [&](unsigned status, const char* code, const std::string& description) {
    if (status == 401 && tried_http_auth) res.set(http::field::www_authenticate, "Basic realm=\"shopflow\"");
    json_response(res, status, oauth_error_json(code, description));
  };
  std::optional<FormFields> form;
  try {
    form.emplace(req.body());
  } catch (const std::invalid_argument& e) {
    return oauth_error(400, "invalid_request", e.what());
  }
  if (form->get("grant_type") != "client_credentials")
    return oauth_error(400, "unsupported_grant_type", "only grant_type=client_credentials is supported");
  if (!credentials) return oauth_error(401, "invalid_client", "malformed Basic credentials");
  auto& [id, secret] = *credentials;
  if (id.empty() || secret.empty()) return oauth_error(401, "invalid_client", "give client_id and client_secret (HTTP Basic or form)");
  auto client = access_->clients().authenticate(id, secret);
  if (!client) return oauth_error(401, "invalid_client", "unknown client or wrong secret");
  ScopeSet scopes = client->scopes;
  if (std::string asked = form->get("scope"); !asked.empty()) {
    try {
      scopes = parse_scopes(asked);
    } catch (const std::invalid_argument& e) {
      return oauth_error(400, "invalid_scope", e.what());
    }
    if ((scopes & client->scopes) != scopes)
      return oauth_error(400, "invalid_scope", "client " + client->name + " has only: " + scope_names(client->scopes));
  }
  auto token = access_->issuer().mint(client->client_id, scopes, wall_clock_us() / 1'000'000, access_->options().token_ttl_s);
  res.set(http::field::cache_control, "no-store");
  JsonWriter w;
  w.begin_object().field("access_token", token.access_token).field("token_type", "Bearer").field("expires_in", token.expires_in);
  json_response(res, 200, w.field("scope", scope_names(scopes)).end_object().take());
}

void ApiService::openid_configuration(HttpResponse& res) {
  // The configured public URL (or the listener's own), never the request's Host header: a
  // client must not be able to point others' token requests elsewhere.
  std::string base = public_url();
  JsonWriter w;
  w.begin_object().field("issuer", access_->issuer().issuer()).field("jwks_uri", base + "/.well-known/jwks.json");
  w.field("token_endpoint", base + "/oauth2/token");
  w.key("grant_types_supported").begin_array().value("client_credentials").end_array();
  w.key("token_endpoint_auth_methods_supported").begin_array().value("client_secret_basic").value("client_secret_post").end_array();
  w.key("scopes_supported").begin_array();
  for (const char* scope : {"ingest", "read", "sql", "admin"}) w.value(scope);
  w.end_array().key("id_token_signing_alg_values_supported").begin_array().value(jws_alg_name(access_->issuer().key().alg())).end_array();
  json_response(res, 200, w.end_object().take());
}

// GET /v1/me: {"client_id", "name", "scopes"} of the token's client.
void ApiService::me(const Call& call, HttpResponse& res) {
  if (!access_) return json_response(res, 404, error_json("no clients: the server runs with --insecure-no-auth"));
  auto client = access_->clients().find(call.client);
  JsonWriter w;
  w.begin_object().field("client_id", call.client).field("name", client ? client->name : "").field("scopes", scope_names(call.granted));
  json_response(res, 200, w.end_object().take());
}

} // namespace shopflow
