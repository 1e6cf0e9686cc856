// A shared mutex whose waiting writer goes before readers that come after it (glibc's
// PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP): with std::shared_mutex, readers that keep
// overlapping one another hold a writer off for as long as they keep coming. Meets the
// SharedMutex requirements (std::unique_lock, std::shared_lock). Not recursive: a thread holding
// it shared must not take it shared again while a writer may wait.
#pragma once

#include <pthread.h>

#include <system_error>

namespace shopflow {

class WriterFirstMutex {
public:
  WriterFirstMutex() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int e = pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (e) throw std::system_error(e, std::generic_category(), "pthread_rwlock_init");
  }
  ~WriterFirstMutex() { pthread_rwlock_destroy(&lock_); }
  WriterFirstMutex(const WriterFirstMutex&) = delete;
  WriterFirstMutex& operator=(const WriterFirstMutex&) = delete;

  void lock() { check(pthread_rwlock_wrlock(&lock_)); }
  bool try_lock() { return pthread_rwlock_trywrlock(&lock_) == 0; }
  void unlock() { pthread_rwlock_unlock(&lock_); }
  void lock_shared() { check(pthread_rwlock_rdlock(&lock_)); }
  bool try_lock_shared() { return pthread_rwlock_tryrdlock(&lock_) == 0; }
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }

private:
  static void check(int e) {
    if (e) throw std::system_error(e, std::generic_category(), "pthread_rwlock");
  }
  pthread_rwlock_t lock_;
};

} // namespace shopflow
