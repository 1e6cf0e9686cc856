// Queries' holds on the lake's files, and the deletion of the files a merge has replaced.
//
// A query over lake.* lists the lake's files when it starts and reads them while it runs; a merge
// puts its merged file, then retires its inputs. A retired file is deleted once every hold taken
// before its retirement has ended (at once when there is none), so a query never finds a file
// it listed gone. A hold taken after a retirement does not read the retired files: its listing
// has the merged file, and readable_files() leaves out the files another file covers.
//
// A retired key is never written again (a merge's inputs lie below their shard's manifest, and a
// replaced job's number is not reused), so a late deletion cannot take a newer file.
//
// Holds are this process's: a reader in another process (pandas or Spark over the folder, a
// worker's merges on a shared S3 lake) may still list a merge's inputs and find them gone.
// Retired files not yet deleted at a crash are removed at the next start (a merge's inputs as
// covered files, a replaced batch job's as files of a job no longer imported).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sinks/lake/object_store.h"

namespace shopflow {

class LakeHolds {
public:
  explicit LakeHolds(ObjectStore& store) : store_(store) {}
  LakeHolds(const LakeHolds&) = delete;
  LakeHolds& operator=(const LakeHolds&) = delete;

  // Held from before a query lists the lake's files until its last row is read. Ending the
  // last hold a retirement waited for deletes the retired files (on the thread that ends it).
  class Hold {
  public:
    Hold() = default;
    Hold(Hold&& o) noexcept : holds_(std::exchange(o.holds_, nullptr)), id_(o.id_) {}
    Hold& operator=(Hold&& o) noexcept;
    ~Hold() { end(); }
    void end();

  private:
    friend class LakeHolds;
    Hold(LakeHolds* holds, uint64_t id) : holds_(holds), id_(id) {}
    LakeHolds* holds_ = nullptr;
    uint64_t id_ = 0;
  };

  [[nodiscard]] Hold hold();
  // Deletes the objects `keys` once every hold taken before this call has ended; until then they
  // are left out of listings (retired()).
  void retire(std::vector<std::string> keys);
  // Retired objects not deleted yet (or whose deletion failed).
  size_t waiting() const;
  // The keys retired and not yet deleted. A listing leaves out those retired before it walked the
  // store: a key retired while it walks stays in unless the walk found the file that replaced it
  // (the walk's hold keeps it), so no listing misses lines that a merge moved under it.
  std::set<std::string> retired() const;

private:
  struct Retired {
    uint64_t first_free_hold; // holds with a smaller id keep `keys`
    std::vector<std::string> keys;
  };
  void end(uint64_t id);
  void remove(const std::vector<std::string>& keys); // and forgets those removed

  ObjectStore& store_;
  mutable std::mutex mutex_;
  uint64_t next_id_ = 1;
  std::set<uint64_t> active_;  // ids of the holds not ended
  std::deque<Retired> retired_; // in retirement order: first_free_hold never decreases
  std::set<std::string> retired_keys_; // retired, not removed yet: left out of listings
};

} // namespace shopflow
