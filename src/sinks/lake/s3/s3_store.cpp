#include "sinks/lake/s3/s3_store.h"

#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace shopflow {

namespace {
// A scratch file's name for `key` ("transactions/year=2010/m.parquet" ->
// "transactions%2Fyear=2010%2Fm.parquet.tmp"): one flat folder, reversible.
std::string scratch_name(std::string_view key) {
  std::string out;
  for (char c : key) out += c == '/' ? std::string("%2F") : c == '%' ? std::string("%25") : std::string(1, c);
  return out + ".tmp";
}

std::string key_of_scratch(std::string name) {
  name.resize(name.size() - 4);
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '%' && i + 2 < name.size()) {
      out += name.compare(i, 3, "%2F") == 0 ? '/' : '%';
      i += 2;
    } else {
      out += name[i];
    }
  }
  return out;
}

std::string read_piece(std::ifstream& in, const fs::path& path, uint64_t size) {
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) throw std::runtime_error("lake: cannot read " + path.string());
  return bytes;
}
} // namespace

S3Store::S3Store(S3Settings settings, fs::path scratch_dir, S3Upload upload)
    : client_(std::move(settings)), scratch_dir_(std::move(scratch_dir)), upload_(upload) {
  fs::create_directories(scratch_dir_);
}

std::string S3Store::full_key(std::string_view key) const {
  if (key.starts_with('/') || key.find("//") != std::string_view::npos || key.find("/../") != std::string_view::npos || key.starts_with("../"))
    throw std::invalid_argument("lake: \"" + std::string(key) + "\" is not an object key");
  return client_.settings().at.prefix + std::string(key);
}

fs::path S3Store::scratch_file(std::string_view key) { return scratch_dir_ / scratch_name(full_key(key)); }

void S3Store::put_file(const fs::path& scratch, std::string_view key) {
  const std::string full = full_key(key);
  const uint64_t size = fs::file_size(scratch);
  std::ifstream in(scratch, std::ios::binary);
  if (!in) throw std::runtime_error("lake: cannot open " + scratch.string());
  if (size < upload_.multipart_from) {
    client_.put(full, read_piece(in, scratch, size));
  } else {
    std::string id = client_.start_upload(full);
    try {
      std::vector<std::string> etags;
      for (uint64_t at = 0; at < size; at += upload_.part_size)
        etags.push_back(client_.upload_part(full, id, static_cast<int>(etags.size() + 1), read_piece(in, scratch, std::min(upload_.part_size, size - at))));
      client_.complete_upload(full, id, etags);
    } catch (...) {
      try {
        client_.abort_upload(full, id);
      } catch (const std::exception&) { // remove_scratch() aborts it later
      }
      throw;
    }
  }
  fs::remove(scratch);
}

void S3Store::put(std::string_view key, std::string_view bytes) { client_.put(full_key(key), bytes); }

std::optional<std::string> S3Store::get(std::string_view key) const { return client_.get(full_key(key)); }

std::vector<ObjectInfo> S3Store::list(std::string_view prefix) const {
  const size_t strip = client_.settings().at.prefix.size();
  std::vector<ObjectInfo> out;
  for (S3Client::Listed& o : client_.list(full_key(prefix))) out.push_back({o.key.substr(strip), o.size});
  return out;
}

void S3Store::remove(std::string_view key) { client_.remove(full_key(key)); }

void S3Store::remove_folder(std::string_view folder) {
  for (const ObjectInfo& o : list(folder)) remove(o.key);
  remove_scratch(folder, [](std::string_view) { return true; });
}

void S3Store::move(std::string_view from, std::string_view to) {
  // After a crash between the two the object is under both keys; the caller's recovery repeats
  // the move (a copy of a key that is gone: the earlier move finished).
  try {
    client_.copy(full_key(from), full_key(to));
  } catch (const S3Error& e) {
    if (e.status != 404) throw;
    std::vector<ObjectInfo> there = list(to);
    if (there.empty() || there.front().key != to) throw;
    return;
  }
  client_.remove(full_key(from));
}

void S3Store::remove_scratch(std::string_view prefix, const KeyFilter& whose) {
  const std::string full = full_key(prefix);
  const size_t strip = client_.settings().at.prefix.size();
  std::vector<fs::path> doomed;
  for (auto& e : fs::directory_iterator(scratch_dir_)) {
    std::string name = e.path().filename().string();
    if (!name.ends_with(".tmp")) continue;
    std::string key = key_of_scratch(name);
    if (key.starts_with(full) && whose(std::string_view(key).substr(strip))) doomed.push_back(e.path());
  }
  for (auto& p : doomed) fs::remove(p);
  for (const S3Client::Unfinished& u : client_.unfinished_uploads(full))
    if (whose(std::string_view(u.key).substr(strip))) client_.abort_upload(u.key, u.upload_id);
}

std::string S3Store::read_location(std::string_view key) const { return client_.describe(full_key(key)); }

void S3Store::open_for(DuckConnection& con) const {
  const S3Settings& s = client_.settings();
  con.execute("LOAD " + sql_literal(duckdb_extension_file("httpfs")));
  std::string secret = "CREATE OR REPLACE SECRET shopflow_lake (TYPE s3, KEY_ID " + sql_literal(s.access_key) + ", SECRET " +
                       sql_literal(s.secret_key) + ", REGION " + sql_literal(s.region) + ", URL_STYLE " + sql_literal(s.path_style ? "path" : "vhost") +
                       ", USE_SSL " + (s.uses_tls() ? "true" : "false") + ", SCOPE " + sql_literal(read_location(""));
  if (!s.session_token.empty()) secret += ", SESSION_TOKEN " + sql_literal(s.session_token);
  if (s.path_style) secret += ", ENDPOINT " + sql_literal(s.endpoint_host());
  con.execute(secret + ")");
}

} // namespace shopflow
