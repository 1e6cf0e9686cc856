#include "auth/client_store.h"

#include <chrono>
#include <stdexcept>

#include <simdjson.h>
#include <sodium.h>

#include "auth/random.h"
#include "auth/scram.h"
#include "formats/json_list_file.h"
#include "util/durable_file.h"
#include "util/file_lock.h"
#include "util/read_file.h"

namespace fs = std::filesystem;

namespace shopflow {

namespace {

void init_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

} // namespace

ClientStore::ClientStore(const fs::path& data_dir) : dir_(data_dir / "auth"), file_(dir_ / "clients.json") {
  init_sodium();
  fs::create_directories(dir_);
  fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace);
}

std::vector<Client> ClientStore::load() const {
  std::lock_guard lock(mutex_);
  std::error_code ec;
  auto mtime = fs::last_write_time(file_, ec);
  if (ec) {
    cached_.clear();
    cached_mtime_ = {};
    return cached_;
  }
  uintmax_t size = fs::file_size(file_, ec);
  if (mtime == cached_mtime_ && size == cached_size_) return cached_;
  simdjson::dom::parser parser;
  std::vector<Client> out;
  for (auto e : read_json_list_file(parser, file_, "clients", "clients")) {
    Client c;
    std::string_view s;
    int64_t created = 0;
    if (e["name"].get_string().get(s)) throw std::runtime_error(file_.string() + ": a client without a name");
    c.name = s;
    if (e["client_id"].get_string().get(s)) throw std::runtime_error(file_.string() + ": client " + c.name + " has no client_id");
    c.client_id = s;
    if (e["secret_hash"].get_string().get(s)) throw std::runtime_error(file_.string() + ": client " + c.name + " has no secret_hash");
    c.secret_hash = s;
    if (e["scopes"].get_string().get(s)) throw std::runtime_error(file_.string() + ": client " + c.name + " has no scopes");
    c.scopes = parse_scopes(s);
    if (!e["created_at"].get_int64().get(created)) c.created_at = created;
    if (!e["scram"].get_string().get(s)) c.scram = s;
    out.push_back(std::move(c));
  }
  cached_ = out;
  cached_mtime_ = mtime;
  cached_size_ = size;
  return out;
}

void ClientStore::save(const std::vector<Client>& clients) {
  auto write = [&](JsonWriter& w, size_t i) {
    const Client& c = clients[i];
    w.begin_object().field("name", c.name).field("client_id", c.client_id).field("scopes", scope_names(c.scopes));
    w.field("secret_hash", c.secret_hash).field("scram", c.scram).field("created_at", c.created_at).end_object();
  };
  write_json_list_file(file_, "clients", clients.size(), write, 0600);
}

NewClient ClientStore::add(const std::string& name, ScopeSet scopes) {
  if (!valid_name(name)) throw std::invalid_argument("client name \"" + name + "\" must be 1 to 64 of A-Z a-z 0-9 . _ -");
  if (!scopes) throw std::invalid_argument("a client needs at least one scope");
  ExclusiveFileLock lock(dir_ / "clients.lock");
  std::vector<Client> clients = load();
  for (auto& c : clients)
    if (c.name == name) throw std::invalid_argument("a client named \"" + name + "\" exists (remove it first)");
  NewClient made;
  made.client.name = name;
  made.client.client_id = "sf_" + random_text(12);
  made.client.scopes = scopes;
  made.client.created_at = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  made.secret = new_secret(made.client);
  clients.push_back(made.client);
  save(clients);
  return made;
}

NewClient ClientStore::rotate(const std::string& name_or_id) {
  ExclusiveFileLock lock(dir_ / "clients.lock");
  std::vector<Client> clients = load();
  for (auto& c : clients)
    if (c.name == name_or_id || c.client_id == name_or_id) {
      std::string secret = new_secret(c);
      save(clients);
      return {c, secret};
    }
  throw std::invalid_argument("no client \"" + name_or_id + "\" (shopflow clients list)");
}

std::string ClientStore::new_secret(Client& client) {
  std::string secret;
  do secret = random_text(32);
  while (secret[0] == '-'); // never taken for an option on a command line
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, secret.data(), secret.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw std::runtime_error("cannot hash the secret (out of memory)");
  client.secret_hash = hash;
  client.scram = scram_verifier(secret);
  return secret;
}

bool ClientStore::remove(const std::string& name_or_id) {
  ExclusiveFileLock lock(dir_ / "clients.lock");
  std::vector<Client> clients = load();
  size_t before = clients.size();
  std::erase_if(clients, [&](const Client& c) { return c.name == name_or_id || c.client_id == name_or_id; });
  if (clients.size() == before) return false;
  save(clients);
  return true;
}

std::vector<Client> ClientStore::list() const { return load(); }

std::optional<Client> ClientStore::find(const std::string& name_or_id) const {
  for (auto& c : load())
    if (c.name == name_or_id || c.client_id == name_or_id) return c;
  return std::nullopt;
}

std::string ClientStore::unknown_user_salt(std::string_view user) const {
  std::lock_guard lock(mutex_);
  if (salt_key_.empty()) {
    fs::path file = dir_ / "scram-salt-key";
    if (auto stored = read_file(file); stored && stored->size() == 32) salt_key_ = *stored;
    else {
      salt_key_ = random_bytes(32);
      replace_file_durably(file, salt_key_, 0600);
    }
  }
  return scram_unknown_user_salt(salt_key_, user);
}

std::optional<Client> ClientStore::authenticate(const std::string& client_id, const std::string& secret) const {
  // An unknown id is checked against a hash made once, so that both cases cost one Argon2id run.
  static const std::string dummy = [] {
    char hash[crypto_pwhash_STRBYTES];
    std::string s = random_text(32);
    if (crypto_pwhash_str(hash, s.data(), s.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
      throw std::runtime_error("cannot hash (out of memory)");
    return std::string(hash);
  }();
  std::optional<Client> found;
  for (auto& c : load())
    if (c.client_id == client_id) found = c;
  const std::string& hash = found ? found->secret_hash : dummy;
  bool ok = crypto_pwhash_str_verify(hash.c_str(), secret.data(), secret.size()) == 0;
  if (!ok || !found) return std::nullopt;
  return found;
}

} // namespace shopflow
