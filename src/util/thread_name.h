// Names the calling thread (at most 15 characters, the kernel's limit), so that `top -H`, perf
// and gdb show which stage a thread belongs to: sf-http-N, sf-log-N, sf-sink-NAME.
#pragma once

#include <pthread.h>

#include <string>

namespace shopflow {

inline void name_this_thread(const std::string& name) { pthread_setname_np(pthread_self(), name.substr(0, 15).c_str()); }

} // namespace shopflow
