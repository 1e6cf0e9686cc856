// The lake's S3 upload path alone: COUNT copies of FILE put as objects PREFIX/upload-<i> through
// S3Store::put_file (the lake's own path: scratch file -> PUT or multipart), one after another.
// Prints "objects bytes seconds". Keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
//   s3_upload ENDPOINT BUCKET PREFIX FILE COUNT
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "sinks/lake/s3/s3_store.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: s3_upload ENDPOINT BUCKET PREFIX FILE COUNT\n");
    return 2;
  }
  namespace fs = std::filesystem;
  using namespace shopflow;
  S3Store store(resolve_s3_settings(parse_s3_url(std::string("s3://") + argv[2] + "/" + argv[3] + "?endpoint=" + argv[1])),
                fs::temp_directory_path() / "shopflow-s3-upload");
  const int count = std::stoi(argv[5]);
  const uint64_t size = fs::file_size(argv[4]);
  double seconds = 0;
  for (int i = 0; i < count; ++i) {
    const std::string key = "upload-" + std::to_string(i);
    fs::copy_file(argv[4], store.scratch_file(key), fs::copy_options::overwrite_existing); // not timed: the lake writes it locally
    auto start = std::chrono::steady_clock::now();
    store.put_file(store.scratch_file(key), key);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  std::printf("%d %llu %.3f\n", count, static_cast<unsigned long long>(size) * count, seconds);
  return 0;
}
