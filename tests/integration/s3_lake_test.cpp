// The lake on S3: Ceph's RADOS Gateway started by the test (scripts/s3/rgw.py), on loopback.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "sinks/lake/s3/s3_store.h"
#include "test_support.h"

using namespace shopflow;
using namespace shopflow::test;
namespace fs = std::filesystem;

namespace {

S3Server& server() {
  static S3Server s; // one gateway for the file's tests; stopped at exit
  return s;
}

S3Settings settings_for(const std::string& bucket, const std::string& prefix) {
  server().create_bucket(bucket);
  return resolve_s3_settings(parse_s3_url("s3://" + bucket + "/" + prefix + "?endpoint=" + server().endpoint()));
}

std::string keys(const std::vector<ObjectInfo>& objects) {
  std::string out;
  for (const ObjectInfo& o : objects) out += o.key + "=" + std::to_string(o.size) + " ";
  return out;
}

} // namespace

// The ObjectStore contract on S3: keys as S3 signs them (spaces, '=', '+', '%', UTF-8), whole
// objects, listing past a page, moves, a multipart upload byte for byte, and an upload that died
// invisible until remove_scratch() aborts it.
TEST(LakeOnS3, StoreKeepsTheObjectStoreContract) {
  TempDir t;
  S3Store store(settings_for("contract", "lake/one"), t.path / "scratch", {.multipart_from = 6u << 20, .part_size = 5u << 20});
  const std::string odd = "transactions/year=2010/month=12/a b+c%d=é.parquet";
  store.put(odd, "odd key");
  store.put("_stream/shard-0", "42\n");
  EXPECT_EQ(store.get(odd), "odd key");
  EXPECT_EQ(store.get("_stream/shard-0"), "42\n");
  EXPECT_EQ(store.get("_stream/shard-1"), std::nullopt);
  EXPECT_EQ(keys(store.list("transactions/")), odd + "=7 ");
  EXPECT_EQ(keys(store.list("")), "_stream/shard-0=3 " + odd + "=7 ");
  EXPECT_EQ(store.read_location("x/y.parquet"), "s3://contract/lake/one/x/y.parquet");

  // A file from its scratch, whole; then a multipart one (3 parts), byte for byte.
  { std::ofstream(store.scratch_file("t/small.parquet")) << "small"; }
  store.put_file(store.scratch_file("t/small.parquet"), "t/small.parquet");
  EXPECT_FALSE(fs::exists(store.scratch_file("t/small.parquet")));
  std::string big(13u << 20, '\0');
  std::mt19937_64 random(7);
  for (char& c : big) c = static_cast<char>(random());
  { std::ofstream(store.scratch_file("t/big.parquet"), std::ios::binary) << big; }
  store.put_file(store.scratch_file("t/big.parquet"), "t/big.parquet");
  EXPECT_TRUE(store.get("t/big.parquet") == big);
  EXPECT_EQ(keys(store.list("t/")), "t/big.parquet=" + std::to_string(big.size()) + " t/small.parquet=5 ");

  store.move("t/small.parquet", "u/moved.parquet");
  EXPECT_EQ(store.get("u/moved.parquet"), "small");
  EXPECT_EQ(store.get("t/small.parquet"), std::nullopt);

  // More keys than one page of a listing (1000).
  for (int i = 0; i < 1010; ++i) store.put("many/k" + std::to_string(10000 + i), "");
  EXPECT_EQ(store.list("many/").size(), 1010u);
  store.remove_folder("many/");
  EXPECT_EQ(store.list("many/").size(), 0u);

  // An upload that died: invisible, listed as unfinished, aborted by remove_scratch() for its key only.
  S3Client& s3 = store.client();
  std::string dead = s3.start_upload("lake/one/t/year=2010/month=12/stream-3-0-9.parquet");
  s3.upload_part("lake/one/t/year=2010/month=12/stream-3-0-9.parquet", dead, 1, std::string(6u << 20, 'x'));
  std::string other = s3.start_upload("lake/one/t/year=2010/month=12/stream-4-0-9.parquet");
  EXPECT_EQ(keys(store.list("t/year=2010/")), "");
  store.remove_scratch("t/", [](std::string_view key) { return key.find("stream-3-") != std::string_view::npos; });
  auto unfinished = s3.unfinished_uploads("lake/one/");
  ASSERT_EQ(unfinished.size(), 1u);
  EXPECT_EQ(unfinished[0].upload_id, other);
  s3.abort_upload(unfinished[0].key, other);

  // Another prefix of the bucket is not this store's.
  S3Store sibling(settings_for("contract", "lake/one-old"), t.path / "scratch2");
  sibling.put("x", "sibling");
  EXPECT_EQ(store.list("").size(), 4u) << keys(store.list(""));
}

// What S3 refuses is said with its code: wrong keys, a missing bucket; bad URLs name what is wrong.
TEST(LakeOnS3, RefusalsNameWhatIsWrong) {
  TempDir t;
  S3Settings wrong = settings_for("refusals", "");
  wrong.secret_key = "not-the-secret";
  try {
    S3Client(wrong).put("k", "v");
    FAIL() << "a wrong secret was accepted";
  } catch (const S3Error& e) {
    EXPECT_EQ(e.status, 403);
    EXPECT_EQ(e.code, "SignatureDoesNotMatch") << e.what();
  }
  S3Settings missing = settings_for("refusals", "");
  missing.at.bucket = "no-such-bucket";
  try {
    S3Client(missing).check_access();
    FAIL() << "a missing bucket was accepted";
  } catch (const S3Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  for (auto [url, says] : std::vector<std::pair<std::string, std::string>>{
           {"s3://Bad_Bucket/x", "not a bucket name"},
           {"s3://ok-bucket/a//b", "empty"},
           {"s3://ok-bucket/a/../b", "'..'"},
           {"s3://ok-bucket/a*b", "printable"},
           {"s3://key:secret@ok-bucket/x", "no keys in the URL"},
           {"s3://ok-bucket:9000/x", "no port"},
           {"s3://ok-bucket/x?endpoint=ftp://h", "http:// or https://"},
           {"s3://ok-bucket/x?endpoint=http://h:1/path", "names a server only"},
           {"s3://ok-bucket/x?region=US_EAST", "not a region name"},
           {"s3://ok-bucket/x?colour=red", "unknown parameter 'colour'"},
       }) {
    try {
      parse_s3_url(url);
      ADD_FAILURE() << url << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << url << ": " << e.what();
    }
  }
  EXPECT_EQ(parse_s3_url("s3://ok-bucket/a/b/?region=eu-west-1&endpoint=http://127.0.0.1:9000/").url(),
            "s3://ok-bucket/a/b?endpoint=http://127.0.0.1:9000&region=eu-west-1");
}
