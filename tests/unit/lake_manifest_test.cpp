// The lake's stream manifests (lake/_stream/shard-<n>: the next offset not yet in the lake).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "sinks/lake/lake_writer.h"

namespace fs = std::filesystem;

namespace shopflow {

namespace {
struct TempLake {
  TempLake() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("shopflow-lake-" + std::to_string(rd()) + std::to_string(rd()));
  }
  ~TempLake() { fs::remove_all(path); }
  fs::path path;
};
} // namespace

TEST(LakeManifest, MissingIsZeroAndWrittenIsReadBack) {
  TempLake t;
  LakeWriter lake(t.path);
  EXPECT_EQ(lake.stream_manifest(3), 0u);
  lake.set_stream_manifest(3, 18446744073709551615ull);
  EXPECT_EQ(lake.stream_manifest(3), 18446744073709551615ull);
  lake.set_stream_manifest(3, 42);
  EXPECT_EQ(lake.stream_manifest(3), 42u);
  EXPECT_FALSE(fs::exists(t.path / "_stream" / "shard-3.tmp"));
}

// A manifest read as 0 would rewrite the shard from the log's start and delete its files.
TEST(LakeManifest, OneThatDoesNotParseIsAnErrorNamingIt) {
  for (const char* text : {"", "\n", "12x\n", "-1\n", "99999999999999999999999\n", "12", " 12\n", "12\n13\n"}) {
    TempLake t;
    LakeWriter lake(t.path);
    fs::create_directories(t.path / "_stream");
    { std::ofstream(t.path / "_stream" / "shard-0", std::ios::binary) << text; }
    try {
      lake.stream_manifest(0);
      ADD_FAILURE() << "read \"" << text << "\" as a manifest";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("shard-0"), std::string::npos) << e.what();
    }
  }
}

} // namespace shopflow
