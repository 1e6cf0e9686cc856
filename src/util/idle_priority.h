// Derived work (the sinks, notification deliveries) runs on the CPU time ingest and lookups
// leave: SCHED_IDLE, so a waking ingest thread takes the core at once (under EEVDF a nice-19
// thread, the fallback where SCHED_IDLE is refused, may finish its slice first: milliseconds). An
// acknowledged record is already durable in the log, so such work falls behind under a burst (lag
// in /metrics) and catches up afterwards, as Kinesis consumers do.
#pragma once

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

namespace shopflow {

inline void run_this_thread_at_idle_priority() {
  sched_param idle{};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle) != 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
}

} // namespace shopflow
