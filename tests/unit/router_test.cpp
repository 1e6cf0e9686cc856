// Table-driven tests of the HTTP route table's matching (api/router.h): patterns, parameters,
// methods, 405's Allow list, and the route whose scope guards a path.
#include <gtest/gtest.h>

#include "api/query_string.h"
#include "api/router.h"

using namespace shopflow;

TEST(Router, PatternsMatchSegmentBySegment) {
  struct Case {
    const char *pattern, *path;
    bool matches;
    std::map<std::string, std::string> params;
  };
  const Case cases[] = {
      {"/", "/", true, {}},
      {"/", "/x", false, {}},
      {"/v1/records", "/v1/records", true, {}},
      {"/v1/records", "/v1/records/", false, {}},
      {"/v1/records", "/v1/recordsx", false, {}},
      {"/v1/invoices/{invoice}", "/v1/invoices/536365", true, {{"invoice", "536365"}}},
      {"/v1/invoices/{invoice}", "/v1/invoices/C536379", true, {{"invoice", "C536379"}}},
      {"/v1/invoices/{invoice}", "/v1/invoices/", true, {{"invoice", ""}}},
      {"/v1/invoices/{invoice}", "/v1/invoices/a/b", false, {}},
      {"/v1/invoices/{invoice}", "/v1/invoices/a%2Fb", true, {{"invoice", "a/b"}}},
      {"/v1/invoices/{invoice}", "/v1/invoices/a+b%20c", true, {{"invoice", "a+b c"}}},
      {"/v1/invoices/{invoice}/items/{code}", "/v1/invoices/536365/items/85123A", true, {{"invoice", "536365"}, {"code", "85123A"}}},
      {"/v1/invoices/{invoice}/items/{code}", "/v1/invoices/536365/item/85123A", false, {}},
      {"/v1/files/{sha256}/complete", "/v1/files/abc/complete", true, {{"sha256", "abc"}}},
      {"/v1/files/{sha256}/complete", "/v1/files/abc", false, {}},
      {"/web/{file...}", "/web/app.js", true, {{"file", "app.js"}}},
      {"/web/{file...}", "/web/../auth/clients.json", true, {{"file", "../auth/clients.json"}}},
      {"/web/{file...}", "/web/%2e%2e%2fx", true, {{"file", "../x"}}},
      {"/web/{file...}", "/webx/app.js", false, {}},
      {"/v1/records", "", false, {}},
      {"/v1/records", "v1/records", false, {}},
  };
  for (const Case& c : cases) {
    std::map<std::string, std::string> params;
    EXPECT_EQ(match_path(c.pattern, c.path, params), c.matches) << c.pattern << " ~ " << c.path;
    if (c.matches) {
      EXPECT_EQ(params, c.params) << c.pattern << " ~ " << c.path;
    }
  }
}

TEST(Router, MethodsAllowListsAndTheGuardingRoute) {
  Router<int> r;
  const std::string any(Router<int>::kAnyMethod);
  r.add({"POST", "/v1/records", "records", kScopeIngest, 1});
  r.add({"GET", "/v1/compat/transactions", "compat", kScopeRead, 2});
  r.add({"POST", "/v1/compat/transactions", "compat", kScopeIngest, 3});
  r.add({any, "/v1/compat/transactions", "compat", kScopeRead, 4});
  r.add({"GET", "/v1/saved-queries/{name}", "saved_queries", kScopeSql, 5});
  r.add({"PUT", "/v1/saved-queries/{name}", "saved_queries", kScopeSql, 6});
  r.add({any, "/healthz", "healthz", 0, 7});
  struct Case {
    const char *method, *path;
    int handler;                     // 0: none
    const char* allow;               // the 405's methods, ", "-joined ("" for 404 or a match)
    ScopeSet guard;                  // the scope of the path's first route (0: no route)
  };
  const Case cases[] = {
      {"POST", "/v1/records", 1, "", kScopeIngest},
      {"GET", "/v1/records", 0, "POST", kScopeIngest},
      {"GET", "/v1/compat/transactions", 2, "", kScopeRead},
      {"POST", "/v1/compat/transactions", 3, "", kScopeRead},
      {"DELETE", "/v1/compat/transactions", 4, "", kScopeRead},
      {"DELETE", "/v1/saved-queries/x", 0, "GET, PUT", kScopeSql},
      {"PUT", "/v1/saved-queries/x", 6, "", kScopeSql},
      {"HEAD", "/healthz", 7, "", 0},
      {"GET", "/nothing", 0, "", 0},
  };
  for (const Case& c : cases) {
    auto m = r.match(c.method, c.path);
    EXPECT_EQ(m.route ? m.route->handler : 0, c.handler) << c.method << " " << c.path;
    std::string allow;
    for (auto& a : m.allow) allow += (allow.empty() ? "" : ", ") + a;
    if (!m.route) {
      EXPECT_EQ(allow, c.allow) << c.method << " " << c.path;
    }
    EXPECT_EQ(m.path_route ? m.path_route->scope : 0, c.guard) << c.method << " " << c.path;
  }
}

TEST(QueryString, ParametersAndPercentDecoding) {
  struct Case {
    const char *query, *key, *value;
  };
  const Case cases[] = {
      {"a=1&b=2", "b", "2"},         {"a=1&a=2", "a", "1"},           {"country=United+Kingdom", "country", "United Kingdom"},
      {"x=%41%42", "x", "AB"},       {"x=%2B+%2b", "x", "+ +"},       {"x=%E2%82%AC", "x", "€"},
      {"x", "x", ""},                {"", "x", ""},                   {"a%20b=c", "a b", "c"},
      {"x=1&&y=2", "y", "2"},        {"x=%C3%A9t%C3%A9", "x", "été"}, {"x=a=b", "x", "a=b"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormFields(c.query).get(c.key), c.value) << c.query << " [" << c.key << "]";
  EXPECT_EQ(FormFields("from=1&to=2&&country=x&only").names(), (std::vector<std::string>{"from", "to", "country", "only"}));
  EXPECT_EQ(percent_decode("a+b%2B"), "a+b+");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
}

TEST(QueryString, WhatIsNotUrlEncodingIsRefused) {
  for (const char* query : {"x=%4", "x=%zz", "x=a b", "x=%", "x=\"y\""})
    EXPECT_THROW(FormFields{query}, std::invalid_argument) << query;
  EXPECT_THROW(FormFields("%g0=1"), std::invalid_argument);
  EXPECT_THROW(percent_decode("a%2"), std::invalid_argument);
}

TEST(QueryString, RequestTargets) {
  struct Case {
    const char *target, *path, *query; // path null: refused
  };
  const Case cases[] = {
      {"/v1/invoices/536365", "/v1/invoices/536365", ""},
      {"/v1/customers/17850?from=2010-12-01&x=%20", "/v1/customers/17850", "from=2010-12-01&x=%20"},
      {"/", "/", ""},
      {"/?", "/", ""},
      {"/web/%2e%2e%2fx", "/web/%2e%2e%2fx", ""},
      {"http://localhost:8080/healthz?v=1", "/healthz", "v=1"},
      {"http://localhost:8080", "/", ""},
      {"/a b", nullptr, nullptr},
      {"/x%zz", nullptr, nullptr},
      {"/x?y=%4", nullptr, nullptr},
      {"/x#frag", nullptr, nullptr},
      {"*", nullptr, nullptr},
      {"", nullptr, nullptr},
      {"v1/records", nullptr, nullptr},
  };
  for (const Case& c : cases) {
    if (!c.path) {
      EXPECT_THROW(parse_request_target(c.target), std::invalid_argument) << c.target;
      continue;
    }
    RequestTarget t = parse_request_target(c.target);
    EXPECT_EQ(t.path, c.path) << c.target;
    EXPECT_EQ(t.query, c.query) << c.target;
  }
}
