// The notifications' consumer of the log: order events (notify/order_tracker.h) recorded in the
// outbox (notify/outbox.h) exactly once, its offsets stored with them.
#pragma once

#include <memory>

#include "notify/outbox.h"
#include "pipeline/sink_consumer.h"

namespace shopflow {

// An order is reported once no line of it came for `quiet_ms`.
std::unique_ptr<SinkConsumer> make_notify_consumer(Outbox& outbox, int64_t quiet_ms);

} // namespace shopflow
