// The lake on S3: Ceph's RADOS Gateway started by the test (scripts/s3/rgw.py), on loopback.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <random>
#include <thread>

#include "reference.h"
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

// A single serve node (embedded log and warehouse) whose lake is on S3: the December file streamed
// in small lake files, the node killed -9 midway and restarted; the lake ends with every row once
// (small files compacted on S3, a dead writer's leftovers removed), SQL reads it through the lake
// views and nowhere else in the bucket, a batch import publishes into it, and the data dir
// refuses another lake.
TEST(LakeOnS3, ServeStreamsIntoItThroughAKill) {
  TempDir t;
  const std::string lake = server().lake_url("served", "shop/lake");
  server().create_bucket("served");
  S3Store elsewhere(settings_for("served", "shop/other"), t.path / "scratch-other");
  elsewhere.put("secret.csv", "not,yours\n");
  const std::string args = "--lake '" + lake + "' --lake-flush-lines 300 --lake-flush-ms 100";
  const uint16_t port = free_port(); // the restarted node answers where the first did
  auto node = std::make_unique<ServeProcess>(t.path / "d", args, port);
  HttpClient client("127.0.0.1", port);
  stream_reference(client, 500, [&](int request) {
    if (request != 40) return;
    EXPECT_EQ(node->stop(SIGKILL), 128 + SIGKILL);
    node = std::make_unique<ServeProcess>(t.path / "d", args, port);
  });
  const std::string figures = text(kReferenceTransactions) + "," + text(kReferenceTransactions) + "," + kReferenceRevenue;
  std::string body;
  for (int i = 0; i < 300; ++i) {
    body = client.request("POST", "/v1/sql", "SELECT count(*), count(DISTINCT source), sum(amount) FROM lake.transactions").body;
    if (body.find("[[" + figures + "]]") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(body.find("[[" + figures + "]]"), std::string::npos) << body << node->log();
  // Compacted: fewer files per shard and month than the flushes that wrote them.
  S3Store store(resolve_s3_settings(parse_s3_url(lake)), t.path / "scratch");
  size_t files = store.list("transactions/").size();
  EXPECT_GT(files, 0u);
  EXPECT_LT(files, 4u * 32u) << keys(store.list("transactions/"));
  // The lake's SQL reaches its own prefix only.
  HttpResult other = client.request("POST", "/v1/sql", "SELECT * FROM read_csv('s3://served/shop/other/secret.csv')");
  EXPECT_EQ(other.status, 403u) << other.body;
  EXPECT_EQ(other.body.find("not,yours"), std::string::npos) << other.body;
  EXPECT_EQ(node->stop(), 0) << node->log();

  // A batch import publishes its files into the S3 lake; the catalog lists them there.
  RunResult batch = run_shopflow("batch " + reference_csv() + " --data " + (t.path / "d").string());
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  EXPECT_NE(keys(store.list("transactions/")).find("batch-"), std::string::npos);
  RunResult catalog = run_shopflow("catalog lake.transactions --data " + (t.path / "d").string());
  EXPECT_NE(catalog.out.find("s3://served/shop/lake/transactions/year=2010/month=12/batch-"), std::string::npos) << catalog.out << catalog.err;
  RunResult sql = run_shopflow("sql --data " + (t.path / "d").string() + " --format csv \"SELECT count(*) FROM lake.transactions\"");
  EXPECT_EQ(sql.out, "count_star()\n" + text(2 * kReferenceTransactions) + "\n") << sql.err;

  // The data dir keeps its lake: another is refused naming the recorded one; so is a bucket that
  // does not exist, and a lake without keys.
  RunResult again = run_shopflow("batch " + reference_csv() + " --data " + (t.path / "d").string() + " --lake s3://served/shop/elsewhere?endpoint=" +
                                 server().endpoint());
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("keeps its lake at s3://served/shop/lake"), std::string::npos) << again.err;
  RunResult shared = run_shopflow("batch " + reference_csv() + " --data " + (t.path / "g").string() + " --lake '" + lake + "'");
  EXPECT_EQ(shared.exit_code, 1);
  EXPECT_NE(shared.err.find("the lake at s3://served/shop/lake/ belongs to data dir"), std::string::npos) << shared.err;
  RunResult missing = run_shopflow("batch " + reference_csv() + " --data " + (t.path / "e").string() + " --lake s3://no-such-bucket?endpoint=" +
                                   server().endpoint());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("S3 bucket s3://no-such-bucket/ does not exist"), std::string::npos) << missing.err;
  // ...and not recorded as the data dir's: the right URL is taken next time.
  RunResult fixed = run_shopflow("batch " + reference_csv() + " --data " + (t.path / "e").string() + " --lake 's3://served/shop/e?endpoint=" +
                                 server().endpoint() + "'");
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  RunResult no_keys = run_command("env -u AWS_ACCESS_KEY_ID HOME=" + t.path.string() + " " + SHOPFLOW_BIN + " batch " + reference_csv() +
                                  " --data " + (t.path / "f").string() + " --lake s3://served/x?endpoint=" + server().endpoint());
  EXPECT_EQ(no_keys.exit_code, 1);
  EXPECT_NE(no_keys.err.find("no S3 keys for s3://served/x"), std::string::npos) << no_keys.err;
}
