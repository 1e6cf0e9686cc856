// Access control end to end: a real `serve` on loopback with auth on, real tokens, Python
// requests for the seed's Cognito-shaped scripts, and TLS with a certificate made here.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include "client/http_client.h"
#include "auth/base64url.h"
#include "auth/jws_key.h"
#include "auth/jwt.h"
#include "auth/token_issuer.h"
#include "reference.h"
#include "test_support.h"

using namespace shopflow;
using namespace shopflow::test;
namespace fs = std::filesystem;

namespace {

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}


std::string token_for(HttpClient& client, const ClientCredentials& c, const std::string& scope = "") {
  HttpResult r = client.request("POST", "/oauth2/token",
                                "grant_type=client_credentials&client_id=" + c.id + "&client_secret=" + c.secret +
                                    (scope.empty() ? "" : "&scope=" + scope),
                                {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(r.status, 200u) << r.body;
  return json_text(r.body, "access_token");
}

const std::string kRecord =
    R"({"InvoiceNo":"536365","StockCode":"85123A","Description":"WHITE HANGING HEART T-LIGHT HOLDER","Quantity":6,)"
    R"("InvoiceDate":"2010-12-01 08:26:00","UnitPrice":2.55,"CustomerID":17850,"Country":"United Kingdom"})";

HttpResult post_record(HttpClient& client, const std::string& authorization) {
  std::map<std::string, std::string> h = {{"Content-Type", "application/json"}};
  if (!authorization.empty()) h["Authorization"] = authorization;
  return client.request("POST", "/v1/records", kRecord, h);
}

std::string hs256_with(const std::string& secret, const std::string& claims) {
  std::string input = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url_encode(claims);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()), input.size(),
       mac, &len);
  return input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
}

} // namespace

TEST(Auth, TokensScopesAndEveryWayABadTokenIsRefused) {
  TempDir t;
  fs::path data = t.path / "d";
  ClientCredentials writer = add_client(data, "writer", "ingest,read");
  ClientCredentials reader = add_client(data, "reader", "read");
  ServeProcess serve(data, "", 0, true);
  HttpClient client("127.0.0.1", serve.port());

  // No token: 401 with WWW-Authenticate on every protected route; the public ones answer.
  for (auto [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/v1/records"}, {"GET", "/v1/invoices/536365"}, {"GET", "/v1/invoices/536365/items/85123A"},
           {"GET", "/v1/customers/17850"}, {"POST", "/v1/compat/transactions"}, {"GET", "/v1/compat/transactions?InvoiceNo=1&StockCode=2"},
           {"POST", "/v1/admin/batch"}, {"POST", "/v1/sql"}, {"GET", "/v1/dashboard"}, {"GET", "/no/such/route"}}) {
    HttpResult r = client.request(method, target, method == "POST" ? kRecord : "");
    EXPECT_EQ(r.status, 401u) << method << " " << target << ": " << r.body;
    EXPECT_EQ(r.headers["www-authenticate"], "Bearer realm=\"shopflow\"") << target;
  }
  EXPECT_EQ(client.request("GET", "/healthz").status, 200u);
  EXPECT_EQ(client.request("GET", "/metrics").status, 200u);
  // The dashboard's files are public (its data is not); nothing but them is served that way.
  EXPECT_EQ(client.request("GET", "/").status, 200u);
  EXPECT_EQ(client.request("GET", "/web/app.js").status, 200u);
  EXPECT_EQ(client.request("GET", "/web/..%2fauth%2fclients.json").status, 404u);
  EXPECT_EQ(client.request("GET", "/web/.hidden").status, 404u);
  HttpResult jwks = client.request("GET", "/.well-known/jwks.json");
  EXPECT_EQ(json_at(jwks.body, "keys.0.alg"), "\"RS256\"");
  EXPECT_NE(client.request("GET", "/.well-known/openid-configuration").body.find("/oauth2/token"), std::string::npos);

  // The token endpoint: form fields or HTTP Basic; a wrong secret or an unknown grant is refused.
  std::string token = token_for(client, writer);
  HttpResult wrong = client.request("POST", "/oauth2/token", "grant_type=client_credentials&client_id=" + writer.id + "&client_secret=nope",
                                    {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_NE(wrong.body.find("invalid_client"), std::string::npos);
  EXPECT_EQ(client.request("POST", "/oauth2/token", "grant_type=password").status, 400u);
  EXPECT_EQ(client.request("POST", "/oauth2/token", "grant_type=client_credentials&client_id=" + reader.id + "&client_secret=" +
                                                        reader.secret + "&scope=ingest").status,
            400u); // more than the client was granted

  // Bearer and raw headers both work; the wrong scope is 403.
  EXPECT_EQ(post_record(client, "Bearer " + token).status, 200u);
  EXPECT_EQ(post_record(client, token).status, 200u);
  std::string read_only = token_for(client, reader);
  HttpResult forbidden = post_record(client, "Bearer " + read_only);
  EXPECT_EQ(forbidden.status, 403u);
  EXPECT_NE(forbidden.headers["www-authenticate"].find("insufficient_scope"), std::string::npos);
  EXPECT_EQ(client.request("GET", "/healthz", "", {{"Authorization", "Bearer " + read_only}}).status, 200u);

  // Bad tokens: expired, not yet valid, bad signature, alg none, HS256 keyed with the public key.
  TokenIssuer issuer(data);
  std::string expired = issuer.mint(writer.id, kScopeIngest, now_s() - 7200, 3600).access_token;
  std::string future = issuer.mint(writer.id, kScopeIngest, now_s() + 3600, 3600).access_token;
  std::string tampered = token;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  std::string claims = R"({"iss":")" + issuer.issuer() + R"(","sub":"x","aud":"shopflow","scope":"ingest read","exp":)" +
                       std::to_string(now_s() + 600) + "}";
  std::string none = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + base64url_encode(claims) + ".";
  std::string confused = hs256_with(issuer.jwks_json(), claims);
  std::string confused_pem = hs256_with(issuer.key().public_jwk(issuer.kid()), claims);
  for (auto& [name, bad] : std::vector<std::pair<std::string, std::string>>{{"expired", expired},
                                                                           {"not yet valid", future},
                                                                           {"bad signature", tampered},
                                                                           {"alg none", none},
                                                                           {"HS256 with the public key", confused},
                                                                           {"HS256 with the public JWK", confused_pem},
                                                                           {"garbage", "abc.def"}}) {
    HttpResult r = post_record(client, "Bearer " + bad);
    EXPECT_EQ(r.status, 401u) << name << ": " << r.body;
    EXPECT_NE(r.headers["www-authenticate"].find("invalid_token"), std::string::npos) << name;
  }
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}

TEST(Auth, HttpBasicClientAuthentication) {
  TempDir t;
  fs::path data = t.path / "d";
  ClientCredentials c = add_client(data, "basic", "read");
  ServeProcess serve(data, "", 0, true);
  // curl builds the standard-base64 Basic header, as any OAuth2 client library would.
  std::string cmd = "curl -s --max-time 30 -u '" + c.id + ":" + c.secret + "' -d grant_type=client_credentials " + serve.url() + "/oauth2/token > " +
                    (t.path / "out").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << serve.log();
  EXPECT_EQ(json_at(read_file(t.path / "out"), "token_type"), "\"Bearer\"");
  EXPECT_EQ(json_at(read_file(t.path / "out"), "scope"), "\"read\"");
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}

TEST(Auth, Es256IssuerWhenAskedAtFirstStart) {
  TempDir t;
  fs::path data = t.path / "d";
  ClientCredentials c = add_client(data, "es", "read");
  ServeProcess serve(data, "--signing-alg ES256", 0, true);
  HttpClient client("127.0.0.1", serve.port());
  EXPECT_EQ(json_at(client.request("GET", "/.well-known/jwks.json").body, "keys.0.alg"), "\"ES256\"");
  std::string token = token_for(client, c);
  EXPECT_EQ(parse_jwt(token).alg, "ES256");
  EXPECT_EQ(client.request("GET", "/v1/invoices/1", "", {{"Authorization", "Bearer " + token}}).status, 404u); // authorized, unknown
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}

TEST(Auth, ASecondIssuersTokensAreAcceptedWhenTrusted) {
  TempDir t;
  fs::path data = t.path / "d";
  // The other issuer (as Cognito would be): its own key pair, its JWKS saved to a file.
  JwsKey other = JwsKey::generate(JwsAlg::ES256);
  write_file(t.path / "jwks.json", "{\"keys\":[" + other.public_jwk("idp-key-1") + "]}");
  std::string iss = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_test";
  ServeProcess serve(data, "--trust-issuer " + iss + " --jwks " + (t.path / "jwks.json").string(), 0, true);
  HttpClient client("127.0.0.1", serve.port());
  // A Cognito-style access token: no aud, client_id, resource-server scopes.
  std::string claims = R"({"iss":")" + iss + R"(","client_id":"cognito-app","token_use":"access","scope":"shopflow/ingest shopflow/read","exp":)" +
                       std::to_string(now_s() + 600) + R"(,"iat":)" + std::to_string(now_s()) + "}";
  std::string token = sign_jwt(other, "idp-key-1", claims);
  EXPECT_EQ(post_record(client, token).status, 200u);
  // The same claims from an issuer that is not trusted, or signed by another key, are refused.
  std::string claims_other_iss = claims;
  claims_other_iss.replace(claims_other_iss.find(iss), iss.size(), "https://evil.example");
  EXPECT_EQ(post_record(client, sign_jwt(other, "idp-key-1", claims_other_iss)).status, 401u);
  EXPECT_EQ(post_record(client, sign_jwt(JwsKey::generate(JwsAlg::ES256), "idp-key-1", claims)).status, 401u);
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}

TEST(Auth, SeedCognitoScriptsShapeWithPythonRequests) {
  TempDir t;
  fs::path data = t.path / "d";
  add_client(data, "seed", "ingest,read");
  RunResult tok = run_shopflow("token seed --data " + data.string());
  ASSERT_EQ(tok.exit_code, 0) << tok.err;
  std::string token = tok.out.substr(0, tok.out.find('\n'));
  ServeProcess serve(data, "", 0, true);
  std::string script = R"PY(
import json, sys, time, requests
url, token = sys.argv[1] + "/v1/compat/transactions", sys.argv[2]
headers = {"authorization": token}   # the raw token, as the seed's Cognito scripts send it
record = {"InvoiceNo": "536365", "StockCode": "85123A", "Description": "WHITE HANGING HEART T-LIGHT HOLDER",
          "Quantity": 6, "InvoiceDate": 1291191960000, "UnitPrice": 2.55, "CustomerID": 17850.0, "Country": "United Kingdom"}
assert requests.post(url, data=json.dumps(record)).status_code == 401
r = requests.post(url, data=json.dumps(record), headers=headers)
assert r.status_code == 200, r.text
for _ in range(200):
    g = requests.get(url, params={"InvoiceNo": "536365", "StockCode": "85123A"}, headers=headers)
    if g.status_code == 200:
        break
    time.sleep(0.05)
item = json.loads(g.json()["body"])
assert item["Quantity"]["N"] == "6", item
print("ok")
)PY";
  write_file(t.path / "seed.py", script);
  std::string cmd = "/usr/bin/python3 " + (t.path / "seed.py").string() + " " + serve.url() + " " + token + " > " +
                    (t.path / "py.out").string() + " 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << read_file(t.path / "py.out");
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}

TEST(Auth, TlsRoundTripWithPythonRequests) {
  TempDir t;
  fs::path data = t.path / "d";
  std::string cert = (t.path / "cert.pem").string(), key = (t.path / "key.pem").string();
  std::string make = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
                     key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(make.c_str()), 0);
  ClientCredentials c = add_client(data, "tls", "ingest,read");
  ServeProcess serve(data, "--tls-cert " + cert + " --tls-key " + key, 0, true);
  ASSERT_EQ(serve.url().rfind("https://", 0), 0u) << serve.url();
  std::string script = R"PY(
import sys, requests
base, cert, cid, secret = sys.argv[1:5]
t = requests.post(base + "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(cid, secret), verify=cert)
assert t.status_code == 200, t.text
token = t.json()["access_token"]
r = requests.post(base + "/v1/records", json={"InvoiceNo": "536365", "StockCode": "85123A", "Quantity": 6,
    "InvoiceDate": "2010-12-01 08:26:00", "UnitPrice": 2.55, "CustomerID": 17850, "Country": "United Kingdom"},
    headers={"Authorization": "Bearer " + token}, verify=cert)
assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
print("ok")
)PY";
  write_file(t.path / "tls.py", script);
  std::string cmd = "/usr/bin/python3 " + (t.path / "tls.py").string() + " " + serve.url() + " " + cert + " " + c.id + " " + c.secret +
                    " > " + (t.path / "py.out").string() + " 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << read_file(t.path / "py.out");
  // `shopflow send` over TLS, checking the certificate; without the CA it refuses the server.
  RunResult sent = run_shopflow("send " + reference_csv() + " --url " + serve.url() + " --cacert " + cert + " --client-id " + c.id +
                                " --client-secret " + c.secret + " --json");
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(json_at(sent.out, "acked"), text(kReferenceRows));
  EXPECT_NE(run_shopflow("send " + reference_csv() + " --url " + serve.url() + " --client-id " + c.id + " --client-secret " + c.secret +
                         " --retry-for 1").exit_code, 0);
  // Plain HTTP to the TLS port is not served.
  HttpClient plain("127.0.0.1", serve.port(), 5);
  EXPECT_THROW(plain.request("GET", "/healthz"), std::exception);
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}

TEST(Auth, SendGetsItsTokensWithClientCredentials) {
  TempDir t;
  fs::path data = t.path / "d";
  ClientCredentials c = add_client(data, "sender", "ingest");
  ServeProcess serve(data, "", 0, true);
  RunResult bad = run_shopflow("send " + reference_csv() + " --url " + serve.url() + " --client-id " + c.id + " --client-secret wrong");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("invalid_client"), std::string::npos) << bad.err;
  RunResult ok = run_shopflow("send " + reference_csv() + " --url " + serve.url() + " --client-id " + c.id + " --client-secret " +
                              c.secret + " --json --wait");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  // The summary says what the server did with the rows: CONTRACT.md's figures.
  simdjson::dom::parser parser;
  simdjson::dom::element summary;
  ASSERT_FALSE(parser.parse(ok.out).get(summary)) << ok.out;
  EXPECT_EQ(summary["acked"].get_uint64().value(), kReferenceRows) << ok.out;
  EXPECT_EQ(summary["stored"]["transactions"].get_uint64().value(), kReferenceTransactions) << ok.out;
  EXPECT_EQ(summary["stored"]["cancellations"].get_uint64().value(), kReferenceCancellations) << ok.out;
  EXPECT_EQ(summary["stored"]["rejected"]["non_positive_price"].get_uint64().value(), kReferenceNonPositivePrice) << ok.out;
  EXPECT_EQ(summary["stored"]["rejected"]["non_positive_quantity"].get_uint64().value(), kReferenceNonPositiveQuantity) << ok.out;
  EXPECT_EQ(summary["stored"]["rejected"]["malformed"].get_uint64().value(), 0u) << ok.out;
  // --wait: every sink held the rows when send returned.
  EXPECT_GT(summary["stored_after_seconds"].get_double().value(), 0.0) << ok.out;
  ClientCredentials reader = add_client(data, "reader", "sql");
  HttpClient client("127.0.0.1", serve.port(), 30);
  HttpResult count = client.request("POST", "/v1/sql", "SELECT count(*) FROM transactions", {{"Authorization", "Bearer " + token_for(client, reader)}});
  EXPECT_EQ(json_at(count.body, "rows.0.0"), text(kReferenceTransactions));
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}

TEST(Auth, RateLimitsAndSlowClients) {
  TempDir t;
  fs::path data = t.path / "d";
  ClientCredentials c = add_client(data, "limited", "read");
  ServeProcess serve(data, "--rate-limit 5 --rate-burst 5 --request-timeout 2", 0, true);
  HttpClient client("127.0.0.1", serve.port());
  std::string token = token_for(client, c);
  int ok = 0, limited = 0;
  for (int i = 0; i < 20; ++i) {
    HttpResult r = client.request("GET", "/v1/invoices/1", "", {{"Authorization", "Bearer " + token}});
    if (r.status == 429) {
      ++limited;
      EXPECT_FALSE(r.headers["retry-after"].empty());
    } else {
      ++ok;
    }
  }
  EXPECT_GE(ok, 5);
  EXPECT_GE(limited, 10);
  // A slowloris client: headers one byte at a time. It gets 408 and is closed; others are served meanwhile.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(serve.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string slow = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  auto started = std::chrono::steady_clock::now();
  bool closed = false;
  for (size_t i = 0; i < 100 && !closed; ++i) {
    if (::send(fd, slow.data() + (i % slow.size()), 1, MSG_NOSIGNAL) != 1) closed = true;
    HttpClient other("127.0.0.1", serve.port());
    EXPECT_EQ(other.request("GET", "/healthz").status, 200u);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      EXPECT_NE(std::string(buf, static_cast<size_t>(n)).find("408"), std::string::npos);
      closed = true;
    } else if (n == 0) {
      closed = true;
    }
  }
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(8)); // 2 s, with room for a loaded machine
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}

TEST(Sql, OverHttpWithScopesLimitsAndFormats) {
  TempDir t;
  fs::path data = t.path / "d";
  ClientCredentials analyst = add_client(data, "analyst", "ingest,sql");
  ClientCredentials admin = add_client(data, "root", "sql,admin");
  ClientCredentials reader = add_client(data, "reader", "read");
  ServeProcess serve(data, "", 0, true);
  HttpClient client("127.0.0.1", serve.port());
  std::string a = "Bearer " + token_for(client, analyst), root = "Bearer " + token_for(client, admin);
  std::string csv = read_file(reference_csv());
  size_t cut = 0;
  for (int lines = 0; lines < 2001; ++lines) cut = csv.find('\n', cut) + 1;
  ASSERT_EQ(client.request("POST", "/v1/records", csv.substr(0, cut), {{"Content-Type", "text/csv"}, {"Authorization", a}}).status, 200u);
  auto sql = [&](const std::string& auth, const std::string& text, std::map<std::string, std::string> h = {}, const std::string& q = "") {
    h["Authorization"] = auth;
    return client.request("POST", "/v1/sql" + q, text, h);
  };
  // Everything streamed is in the warehouse once the sink caught up: poll the count.
  std::string body;
  for (int i = 0; i < 200; ++i) {
    body = sql(a, "SELECT count(*) + (SELECT count(*) FROM cancellations) + (SELECT count(*) FROM rejected) AS n FROM transactions").body;
    if (json_at(body, "rows.0.0") == "2000") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(body.find("{\"columns\":[{\"name\":\"n\",\"type\":\"BIGINT\"}],\"rows\":[[2000]],\"row_count\":1}"), std::string::npos) << body;
  HttpResult as_csv = sql(a, "SELECT 1 AS x, 'a,b' AS y", {{"Accept", "text/csv"}});
  EXPECT_EQ(as_csv.body, "x,y\n1,\"a,b\"\n");
  HttpResult parquet = sql(a, "SELECT * FROM transactions LIMIT 3", {{"Accept", "application/vnd.apache.parquet"}});
  EXPECT_EQ(parquet.status, 200u);
  EXPECT_EQ(parquet.body.substr(0, 4), "PAR1");
  EXPECT_EQ(json_at(sql(a, "{\"sql\": \"SELECT 42 AS answer\"}", {{"Content-Type", "application/json"}}).body, "rows.0.0"), "42");
  // Limits and errors, each named.
  HttpResult big = sql(a, "SELECT * FROM range(100)", {}, "?max_rows=10");
  EXPECT_EQ(big.status, 413u);
  EXPECT_NE(big.body.find("more than max_rows 10"), std::string::npos);
  HttpResult slow = sql(a, "SELECT count(*) FROM range(1000000000) a, range(1000) b", {}, "?timeout_ms=200");
  EXPECT_EQ(slow.status, 408u) << slow.body;
  EXPECT_EQ(sql(a, "SELEC 1").status, 400u);
  EXPECT_EQ(sql(a, "SELECT 1", {}, "?max_rows=zero").status, 400u);
  // Read-only without admin; scope sql needed at all.
  HttpResult refused = sql(a, "SELECT 1; DELETE FROM transactions");
  EXPECT_EQ(refused.status, 403u);
  EXPECT_NE(refused.body.find("statement 2 is DELETE"), std::string::npos) << refused.body;
  EXPECT_EQ(sql(root, "CREATE TEMP TABLE scratch AS SELECT 1 AS x").status, 200u);
  EXPECT_EQ(sql("Bearer " + token_for(client, reader), "SELECT 1").status, 403u);
  EXPECT_EQ(serve.stop(), 0) << serve.log();
}
