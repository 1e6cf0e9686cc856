// The lake in an S3 bucket under a prefix (s3_location.h). Objects appear whole when their PUT
// or multipart upload completes; files larger than `multipart_from` go up in parts of
// `part_size` (an upload that died stays invisible and remove_scratch() aborts it). Scratch
// files are local, in `scratch_dir`. S3 has no rename: move() is a copy and a delete.
// DuckDB reads the objects through its httpfs extension (read_location() gives s3:// URLs).
#pragma once

#include <filesystem>
#include <memory>

#include "sinks/lake/object_store.h"
#include "sinks/lake/s3/s3_client.h"

namespace shopflow {

struct S3Upload {
  uint64_t multipart_from = 64ull << 20;
  uint64_t part_size = 16ull << 20; // S3 takes 5 MiB at least, but for the last
};

class S3Store final : public ObjectStore {
public:
  S3Store(S3Settings settings, std::filesystem::path scratch_dir, S3Upload upload = {});
  S3Client& client() { return client_; }

  std::filesystem::path scratch_file(std::string_view key) override;
  void put_file(const std::filesystem::path& scratch, std::string_view key) override;
  void put(std::string_view key, std::string_view bytes) override;
  std::optional<std::string> get(std::string_view key) const override;
  std::vector<ObjectInfo> list(std::string_view prefix) const override;
  void remove(std::string_view key) override;
  void remove_folder(std::string_view folder) override;
  void move(std::string_view from, std::string_view to) override;
  void remove_scratch(std::string_view prefix, const KeyFilter& whose) override;
  std::string read_location(std::string_view key) const override;
  void open_for(DuckConnection& con) const override;

private:
  std::string full_key(std::string_view key) const; // with the lake's prefix; checked
  mutable S3Client client_;
  std::filesystem::path scratch_dir_;
  S3Upload upload_;
};

} // namespace shopflow
