#include "query/query_watchdog.h"

#include <poll.h>

namespace shopflow {

QueryWatchdog::QueryWatchdog(DuckConnection& con, int64_t timeout_ms, int client_fd)
    : deadline_(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms)), has_deadline_(timeout_ms > 0) {
  if (has_deadline_ || client_fd >= 0) thread_ = std::thread([this, &con, client_fd] { watch(con, client_fd); });
}

QueryWatchdog::~QueryWatchdog() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void QueryWatchdog::watch(DuckConnection& con, int client_fd) {
  std::unique_lock lock(mutex_);
  // The socket is looked at every 100 ms; without one, the thread sleeps until the deadline.
  const auto step = client_fd >= 0 ? std::chrono::milliseconds(100) : std::chrono::hours(24 * 365);
  while (!done_) {
    auto wake = std::chrono::steady_clock::now() + step;
    if (has_deadline_ && deadline_ < wake) wake = deadline_;
    if (cv_.wait_until(lock, wake, [&] { return done_; })) return;
    if (has_deadline_ && std::chrono::steady_clock::now() >= deadline_) {
      fired_ = Fired::Timeout;
      con.interrupt();
      return;
    }
    if (client_fd >= 0) {
      pollfd p{client_fd, POLLRDHUP, 0};
      if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
        fired_ = Fired::Disconnected;
        con.interrupt();
        return;
      }
    }
  }
}

QueryWatchdog::Fired QueryWatchdog::fired() {
  std::lock_guard lock(mutex_);
  return fired_;
}

bool QueryWatchdog::past_deadline() const { return has_deadline_ && std::chrono::steady_clock::now() >= deadline_; }

} // namespace shopflow
