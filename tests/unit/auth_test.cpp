// The token building blocks: base64url, JWS keys, JWT parsing, scopes, the verifier's rules,
// the rate limiter.
#include <gtest/gtest.h>

#include <thread>

#include "auth/base64url.h"
#include "auth/jws_key.h"
#include "auth/jwt.h"
#include "auth/rate_limiter.h"
#include "auth/scopes.h"
#include "auth/token_verifier.h"

using namespace shopflow;

TEST(Base64url, RoundTripsAndRejectsWhatIsNotCanonical) {
  for (std::string s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\xfe", 3)}) {
    auto back = base64url_decode(base64url_encode(s));
    ASSERT_TRUE(back) << s;
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("a"));     // impossible length
  EXPECT_FALSE(base64url_decode("ab=="));  // padding is not base64url
  EXPECT_FALSE(base64url_decode("a+b/"));  // standard alphabet
  EXPECT_FALSE(base64url_decode("Zh"));    // leftover bits set (canonical is "Zg")
  EXPECT_EQ(*base64_decode("Zm9vOmJhcg=="), "foo:bar");
}

TEST(Scopes, ParseNameAndMapOtherIssuers) {
  EXPECT_EQ(parse_scopes("ingest,read"), kScopeIngest | kScopeRead);
  EXPECT_EQ(parse_scopes("sql admin"), kScopeSql | kScopeAdmin);
  EXPECT_THROW(parse_scopes("ingest,write"), std::invalid_argument);
  EXPECT_THROW(parse_scopes(""), std::invalid_argument);
  EXPECT_EQ(scope_names(kAllScopes), "ingest read sql admin");
  EXPECT_EQ(scope_named("https://api.shop.example/ingest"), kScopeIngest);
  EXPECT_EQ(scope_named("shopflow/read"), kScopeRead);
  EXPECT_EQ(scope_named("aws.cognito.signin.user.admin"), 0);
}

TEST(JwsKey, SignsAndVerifiesBothAlgorithmsAndRoundTripsPem) {
  for (JwsAlg alg : {JwsAlg::RS256, JwsAlg::ES256}) {
    JwsKey key = JwsKey::generate(alg);
    std::string sig = key.sign("header.claims");
    EXPECT_TRUE(key.verify("header.claims", sig));
    EXPECT_FALSE(key.verify("header.claimz", sig));
    if (alg == JwsAlg::ES256) {
      EXPECT_EQ(sig.size(), 64u); // r||s, not DER
    }
    JwsKey again = JwsKey::from_private_pem(key.private_pem());
    EXPECT_EQ(again.thumbprint(), key.thumbprint());
    EXPECT_TRUE(again.verify("header.claims", sig));
  }
  EXPECT_THROW(JwsKey::from_private_pem("not a key"), std::runtime_error);
}

TEST(Jwt, ParsesClaimsAndNamesWhatIsMalformed) {
  JwsKey key = JwsKey::generate(JwsAlg::ES256);
  std::string token = sign_jwt(key, "k1", R"({"iss":"i","sub":"s","aud":["a","shopflow"],"scope":"ingest  read","exp":2000000000.0,"nbf":5})");
  Jwt jwt = parse_jwt(token);
  EXPECT_EQ(jwt.alg, "ES256");
  EXPECT_EQ(jwt.kid, "k1");
  EXPECT_EQ(jwt.aud, (std::vector<std::string>{"a", "shopflow"}));
  EXPECT_EQ(jwt.scopes, (std::vector<std::string>{"ingest", "read"}));
  EXPECT_EQ(*jwt.exp, 2000000000);
  EXPECT_EQ(*jwt.nbf, 5);
  EXPECT_TRUE(key.verify(jwt.signing_input, jwt.signature));
  for (std::string bad : std::vector<std::string>{"", "a.b", "a.b.c.d", "!!.e30.", base64url_encode("[]") + ".e30.", base64url_encode("{}") + ".e30."})
    EXPECT_THROW(parse_jwt(bad), JwtError) << bad;
  EXPECT_THROW(parse_jwt(base64url_encode(R"({"alg":"RS256"})") + "." + base64url_encode(R"({"exp":"soon"})") + "."), JwtError);
}

TEST(TokenVerifier, AppliesEveryRule) {
  JwsKey rs = JwsKey::generate(JwsAlg::RS256);
  TokenVerifier v("shopflow", 60);
  v.trust({"own", {{"k", rs}}, true});
  auto make = [&](const std::string& claims) { return sign_jwt(rs, "k", claims); };
  constexpr int64_t now = 1'700'000'000;
  Principal p = v.verify(make(R"({"iss":"own","sub":"c1","aud":"shopflow","scope":"read","exp":1700000600})"), now);
  EXPECT_EQ(p.client_id, "c1");
  EXPECT_EQ(p.scopes, kScopeRead);
  auto refused = [&](const std::string& token, int64_t at = 1'700'000'000) {
    EXPECT_THROW(v.verify(token, at), AuthError) << token;
  };
  refused(make(R"({"iss":"own","sub":"c1","aud":"shopflow","exp":1700000000})"), now + 61);   // expired beyond skew
  refused(make(R"({"iss":"own","sub":"c1","aud":"shopflow","exp":1800000000,"nbf":1700000100})")); // not yet valid
  refused(make(R"({"iss":"own","sub":"c1","aud":"other","exp":1800000000})"));                   // wrong audience
  refused(make(R"({"iss":"own","sub":"c1","exp":1800000000})"));                                 // own tokens need aud
  refused(make(R"({"iss":"own","sub":"c1","aud":"shopflow"})"));                                 // no exp
  refused(make(R"({"iss":"else","sub":"c1","aud":"shopflow","exp":1800000000})"));               // untrusted issuer
  refused(sign_jwt(rs, "other-kid", R"({"iss":"own","aud":"shopflow","exp":1800000000})"));     // unknown kid
  refused(sign_jwt(JwsKey::generate(JwsAlg::RS256), "k", R"({"iss":"own","aud":"shopflow","exp":1800000000})")); // other key
  // A cached token still expires.
  std::string soon = make(R"({"iss":"own","sub":"c1","aud":"shopflow","exp":1700000010})");
  v.verify(soon, now);
  refused(soon, now + 100);
}

TEST(RateLimiter, AllowsTheBurstThenTheRate) {
  RateLimiter limiter(10, 3);
  double wait = 0;
  EXPECT_TRUE(limiter.allow("a", wait));
  EXPECT_TRUE(limiter.allow("a", wait));
  EXPECT_TRUE(limiter.allow("a", wait));
  EXPECT_FALSE(limiter.allow("a", wait));
  EXPECT_GT(wait, 0.0);
  EXPECT_LE(wait, 0.1);
  EXPECT_TRUE(limiter.allow("b", wait)); // per client
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  EXPECT_TRUE(limiter.allow("a", wait));
}

// Keys chosen by strangers (random client ids, many addresses) cannot grow the limiter without
// bound: buckets that have refilled are dropped, while a bucket still draining is kept.
TEST(RateLimiter, ForgetsRefilledBucketsOfStrangers) {
  RateLimiter limiter(1000, 1); // a bucket refills within 1 ms
  double wait = 0;
  EXPECT_TRUE(limiter.allow("draining", wait));
  RateLimiter slow(0.001, 1);
  EXPECT_TRUE(slow.allow("draining", wait));
  for (int i = 0; i < 100'000; ++i) {
    limiter.allow("stranger-" + std::to_string(i), wait);
    slow.allow("stranger-" + std::to_string(i), wait);
    if (i % 1000 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_LT(limiter.tracked(), 4096u);
  EXPECT_FALSE(slow.allow("draining", wait)); // still empty: not forgotten
}
