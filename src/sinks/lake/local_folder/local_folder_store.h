// The lake's objects as files under one folder (the embedded default, DIR/lake): a key is a path
// relative to it. Objects are written as hidden scratch files (".<name>.tmp", which readers
// listing a partition - pyarrow, pandas, Spark, Hive - skip) and renamed into place durably.
// Folders are left when their last object goes (a writer may be creating a file in one), except
// by remove_folder().
#pragma once

#include "sinks/lake/object_store.h"

namespace shopflow {

class LocalFolderStore final : public ObjectStore {
public:
  explicit LocalFolderStore(std::filesystem::path root); // created if missing
  const std::filesystem::path& root() const { return root_; }

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

private:
  std::filesystem::path path_of(std::string_view key) const; // refuses keys that leave the folder
  std::filesystem::path root_;
};

} // namespace shopflow
