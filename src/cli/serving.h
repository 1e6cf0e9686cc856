// What the commands that serve (`serve` and the main job) share: the --listen flag's parsing and
// a graceful stop on SIGINT/SIGTERM.
#pragma once

#include <csignal>
#include <cstdint>
#include <pthread.h>
#include <stdexcept>
#include <string>
#include <utility>

#include <CLI/CLI.hpp>

namespace shopflow {

// "127.0.0.1:8080" -> host, port (0: any free port). Throws CLI::ValidationError naming the flag.
inline std::pair<std::string, uint16_t> parse_listen(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw CLI::ValidationError("--listen", "expected HOST:PORT, got \"" + s + "\"");
  try {
    size_t used = 0;
    int port = std::stoi(s.substr(colon + 1), &used);
    if (used != s.size() - colon - 1 || port < 0 || port > 65535) throw std::out_of_range("port");
    return {s.substr(0, colon), static_cast<uint16_t>(port)};
  } catch (...) {
    throw CLI::ValidationError("--listen", "bad port in \"" + s + "\"");
  }
}

// Blocks SIGINT and SIGTERM in the calling thread and in every thread it starts afterwards, so
// that wait() receives them. Create it before starting any thread.
class StopSignals {
public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  // Returns the signal received.
  int wait() {
    int sig = 0;
    sigwait(&set_, &sig);
    return sig;
  }

private:
  sigset_t set_;
};

} // namespace shopflow
