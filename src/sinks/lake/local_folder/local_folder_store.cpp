#include "sinks/lake/local_folder/local_folder_store.h"

#include <algorithm>
#include <stdexcept>
#include <system_error>

#include "util/durable_file.h"
#include "util/read_file.h"

namespace fs = std::filesystem;

namespace shopflow {

namespace {
bool is_scratch(const fs::path& p) {
  std::string name = p.filename().string();
  return name.starts_with('.') && name.ends_with(".tmp");
}
} // namespace

LocalFolderStore::LocalFolderStore(fs::path root) : root_(std::move(root)) { fs::create_directories(root_); }

fs::path LocalFolderStore::path_of(std::string_view key) const {
  fs::path rel(key);
  if (key.empty() || rel.is_absolute() || std::any_of(rel.begin(), rel.end(), [](const fs::path& part) { return part == ".." || part == "."; }))
    throw std::invalid_argument("lake: \"" + std::string(key) + "\" is not an object key");
  return root_ / rel;
}

fs::path LocalFolderStore::scratch_file(std::string_view key) {
  fs::path path = path_of(key);
  fs::create_directories(path.parent_path());
  std::string hidden = path.filename().string(); // ".<name>.tmp"
  hidden.insert(hidden.begin(), '.');
  hidden += ".tmp";
  return path.parent_path() / hidden;
}

void LocalFolderStore::put_file(const fs::path& scratch, std::string_view key) {
  fs::path path = path_of(key);
  fs::create_directories(path.parent_path());
  rename_durably(scratch, path);
}

void LocalFolderStore::put(std::string_view key, std::string_view bytes) {
  fs::path path = path_of(key);
  fs::create_directories(path.parent_path());
  replace_file_durably(path, bytes);
}

std::optional<std::string> LocalFolderStore::get(std::string_view key) const {
  fs::path path = path_of(key);
  if (!fs::exists(path)) return std::nullopt;
  std::optional<std::string> bytes = read_file(path);
  if (!bytes) throw std::runtime_error("lake: cannot read " + path.string());
  return bytes;
}

std::vector<ObjectInfo> LocalFolderStore::list(std::string_view prefix) const {
  // Walk only the folder the prefix names, then filter by the rest of it.
  fs::path start = root_;
  if (size_t slash = prefix.rfind('/'); slash != std::string_view::npos) start = path_of(prefix.substr(0, slash));
  std::vector<ObjectInfo> out;
  if (!fs::is_directory(start)) return out;
  for (auto& e : fs::recursive_directory_iterator(start)) {
    // A file removed while the folder is walked (a merge's input, a replaced job's file) is not
    // listed: the error codes of its type and size say it is gone.
    std::error_code gone;
    if (!e.is_regular_file(gone) || gone || is_scratch(e.path())) continue;
    std::string key = e.path().lexically_relative(root_).generic_string();
    if (!key.starts_with(prefix)) continue;
    const uintmax_t size = e.file_size(gone);
    if (!gone) out.push_back({std::move(key), size});
  }
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

void LocalFolderStore::remove(std::string_view key) { fs::remove(path_of(key)); }

void LocalFolderStore::remove_folder(std::string_view folder) {
  while (folder.ends_with('/')) folder.remove_suffix(1);
  fs::path path = path_of(folder);
  if (fs::remove_all(path)) sync_folder(path.parent_path());
}

void LocalFolderStore::move(std::string_view from, std::string_view to) {
  fs::path source = path_of(from), dest = path_of(to);
  fs::create_directories(dest.parent_path());
  rename_durably(source, dest);
}

void LocalFolderStore::remove_scratch(std::string_view prefix, const KeyFilter& whose) {
  fs::path start = prefix.empty() ? root_ : path_of(prefix);
  if (!fs::is_directory(start)) return;
  std::vector<fs::path> doomed; // collected first: no removal while the folder is walked
  for (auto& e : fs::recursive_directory_iterator(start))
    if (e.is_regular_file() && is_scratch(e.path())) {
      std::string name = e.path().filename().string(); // ".<name>.tmp"
      fs::path key = e.path().parent_path().lexically_relative(root_) / name.substr(1, name.size() - 5);
      if (whose(key.generic_string())) doomed.push_back(e.path());
    }
  for (auto& p : doomed) fs::remove(p);
}

std::string LocalFolderStore::read_location(std::string_view key) const { return path_of(key).string(); }

} // namespace shopflow
