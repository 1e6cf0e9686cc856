// The notifications' consumer of the log: order events (notify/order_tracker.h) recorded in the
// outbox (notify/outbox.h) exactly once, its offsets stored with them.
#pragma once

#include <memory>

#include "notify/outbox.h"
#include "pipeline/sink_consumer.h"

namespace shopflow {

struct NotifyTiming {
  int64_t quiet_ms = 300'000;         // an order is reported once no line of it came for this long
  int64_t reject_window_ms = 60'000;  // rows.rejected counts the stream's rejected rows per window this long
};
std::unique_ptr<SinkConsumer> make_notify_consumer(Outbox& outbox, NotifyTiming timing);

} // namespace shopflow
