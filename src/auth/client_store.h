// The OAuth2 clients of a data dir, in DIR/auth/clients.json:
//   {"clients": [{"name", "client_id", "scopes": "ingest read", "secret_hash", "scram", "created_at"}]}
// A secret is shown once, when the client is added; only its Argon2id hash (libsodium
// crypto_pwhash_str) is stored, and a SCRAM-SHA-256 verifier (auth/scram.h) for the PostgreSQL
// protocol, where the client id is the user and the secret the password. Writers (the `clients` command) take DIR/auth/clients.lock and
// replace the file by rename; a running server rereads it when it changes.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/scopes.h"

namespace shopflow {

struct Client {
  std::string name, client_id, secret_hash, scram;
  ScopeSet scopes = 0;
  int64_t created_at = 0; // unix seconds
};

struct NewClient {
  Client client;
  std::string secret; // shown once, never stored
};

class ClientStore {
public:
  explicit ClientStore(const std::filesystem::path& data_dir);

  // Throws std::invalid_argument for a bad or taken name (1..64 of [A-Za-z0-9._-]).
  NewClient add(const std::string& name, ScopeSet scopes);
  // By name or client id; false if there is no such client.
  bool remove(const std::string& name_or_id);
  // A new secret for a client (its id and scopes stay; the old secret stops working at once,
  // tokens already issued stay valid until they expire). Throws std::invalid_argument if there
  // is no such client.
  NewClient rotate(const std::string& name_or_id);
  std::vector<Client> list() const;
  std::optional<Client> find(const std::string& name_or_id) const;
  // A SCRAM salt for a user name that is no client: the same for the same name on every attempt
  // (HMAC-SHA-256 under DIR/auth/scram-salt-key, made once), so a login does not tell which names exist.
  std::string unknown_user_salt(std::string_view user) const;
  // The client if `secret` is its secret. Takes as long for an unknown id as for a known one.
  std::optional<Client> authenticate(const std::string& client_id, const std::string& secret) const;

private:
  // Gives `client` a new random secret (its hash and SCRAM verifier); returns the secret.
  static std::string new_secret(Client& client);
  std::vector<Client> load() const;                // rereads the file if it changed
  void save(const std::vector<Client>& clients);   // under the writers' lock

  std::filesystem::path dir_, file_;
  mutable std::mutex mutex_;
  mutable std::vector<Client> cached_;
  mutable std::filesystem::file_time_type cached_mtime_{};
  mutable uintmax_t cached_size_ = 0;
  mutable std::string salt_key_; // loaded or made by unknown_user_salt()
};

} // namespace shopflow
