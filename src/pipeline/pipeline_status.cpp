#include "pipeline/pipeline_status.h"

#include <fmt/format.h>

#include "util/clock.h"

namespace shopflow {

bool write_pipeline_health(JsonWriter& w, Log& log, const Pipeline& pipeline, const std::function<std::string(std::string)>& shown) {
  int64_t now = wall_clock_ms();
  FailureState::Snapshot log_failures = log.write_failures();
  auto sinks = pipeline.status();
  bool degraded = log_failures.failing_since_ms != 0;
  for (auto& st : sinks) degraded |= st.failures.failing_since_ms != 0;
  auto state = [&](const FailureState::Snapshot& f) {
    if (!f.failing_since_ms) {
      w.field("state", "ok");
      return;
    }
    w.field("state", "failing").field("failing_for_s", JsonNumber{fmt::format("{:.1f}", (now - f.failing_since_ms) / 1000.0)});
    w.field("error", shown(f.error));
  };
  w.field("status", degraded ? "degraded" : "ok").key("log").begin_object();
  state(log_failures);
  // A distributed log's servers and shards: informative (a broker down with replicas to spare
  // does not degrade the node; failing appends do, above).
  if (std::vector<LogNode> nodes = log.nodes(); !nodes.empty()) {
    w.key("brokers").begin_array();
    for (const LogNode& n : nodes) w.begin_object().field("id", n.id).field("address", n.address).field("up", n.up).end_object();
    w.end_array();
  }
  if (std::vector<ShardReplication> shards = log.replication(); !shards.empty()) {
    w.key("under_replicated_shards").begin_array();
    for (uint32_t s = 0; s < shards.size(); ++s)
      if (shards[s].in_sync < shards[s].replicas) w.value(s);
    w.end_array().key("shards_without_leader").begin_array();
    for (uint32_t s = 0; s < shards.size(); ++s)
      if (!shards[s].has_leader) w.value(s);
    w.end_array();
  }
  w.end_object().key("sinks").begin_array();
  for (auto& st : sinks) {
    w.begin_object().field("sink", st.name);
    state(st.failures);
    w.field("lag_records", st.total_lag()).key("stored_offsets").begin_array();
    for (uint64_t offset : st.stored) w.value(offset);
    w.end_array();
    if (!st.owned.empty()) { // shards shared with other workers: the ones this one stores
      w.key("owned_shards").begin_array();
      for (uint32_t s = 0; s < st.owned.size(); ++s)
        if (st.owned[s]) w.value(s);
      w.end_array();
    }
    w.end_object();
  }
  w.end_array();
  return degraded;
}

void render_pipeline_metrics(std::string& out, Log& log, const Pipeline& pipeline) {
  out += fmt::format("# HELP shopflow_log_syncs_total Flushes of the log to disk (one covers every append waiting; on Kafka, "
                     "committed transactions).\n# TYPE shopflow_log_syncs_total counter\nshopflow_log_syncs_total {}\n", log.syncs());
  out += fmt::format("# HELP shopflow_log_queued_appends Appends accepted but not yet durable (on Kafka: waiting for their "
                     "transaction).\n# TYPE shopflow_log_queued_appends gauge\nshopflow_log_queued_appends {}\n", log.queued_appends());
  out += "# HELP shopflow_log_end_offset Next offset of each log shard.\n# TYPE shopflow_log_end_offset gauge\n";
  for (uint32_t s = 0; s < log.shard_count(); ++s) out += fmt::format("shopflow_log_end_offset{{shard=\"{}\"}} {}\n", s, log.end_offset(s));
  if (std::vector<LogNode> nodes = log.nodes(); !nodes.empty()) {
    out += "# HELP shopflow_log_broker_up 1 while the cluster's metadata names the broker, else 0 (every broker seen since the start).\n"
           "# TYPE shopflow_log_broker_up gauge\n";
    for (const LogNode& n : nodes) out += fmt::format("shopflow_log_broker_up{{broker=\"{}\",address=\"{}\"}} {}\n", n.id, n.address, n.up ? 1 : 0);
  }
  if (std::vector<ShardReplication> shards = log.replication(); !shards.empty()) {
    out += "# HELP shopflow_log_shard_replicas Copies of each log shard.\n# TYPE shopflow_log_shard_replicas gauge\n";
    for (uint32_t s = 0; s < shards.size(); ++s) out += fmt::format("shopflow_log_shard_replicas{{shard=\"{}\"}} {}\n", s, shards[s].replicas);
    out += "# HELP shopflow_log_shard_in_sync_replicas Copies of each log shard in sync with its leader.\n"
           "# TYPE shopflow_log_shard_in_sync_replicas gauge\n";
    for (uint32_t s = 0; s < shards.size(); ++s) out += fmt::format("shopflow_log_shard_in_sync_replicas{{shard=\"{}\"}} {}\n", s, shards[s].in_sync);
    out += "# HELP shopflow_log_shard_has_leader 1 while a leader takes the shard's writes, else 0.\n# TYPE shopflow_log_shard_has_leader gauge\n";
    for (uint32_t s = 0; s < shards.size(); ++s) out += fmt::format("shopflow_log_shard_has_leader{{shard=\"{}\"}} {}\n", s, shards[s].has_leader ? 1 : 0);
  }
  auto sinks = pipeline.status();
  out += "# HELP shopflow_sink_lag_records Records appended but not yet stored, per sink and shard.\n# TYPE shopflow_sink_lag_records gauge\n";
  for (auto& st : sinks)
    for (uint32_t s = 0; s < st.lag.size(); ++s)
      out += fmt::format("shopflow_sink_lag_records{{sink=\"{}\",shard=\"{}\"}} {}\n", st.name, s, st.lag[s]);
  bool shared = false;
  for (auto& st : sinks) shared |= !st.owned.empty();
  if (shared) {
    out += "# HELP shopflow_sink_shard_owned 1 while this process stores the shard for the sink (shards shared among workers).\n"
           "# TYPE shopflow_sink_shard_owned gauge\n";
    for (auto& st : sinks)
      for (uint32_t s = 0; s < st.owned.size(); ++s)
        out += fmt::format("shopflow_sink_shard_owned{{sink=\"{}\",shard=\"{}\"}} {}\n", st.name, s, st.owned[s] ? 1 : 0);
  }
  out += "# HELP shopflow_sink_failing 1 while a sink's writes fail (it retries by itself), else 0.\n# TYPE shopflow_sink_failing gauge\n";
  for (auto& st : sinks) out += fmt::format("shopflow_sink_failing{{sink=\"{}\"}} {}\n", st.name, st.failures.failing_since_ms ? 1 : 0);
  out += "# HELP shopflow_sink_failures_total Failed passes of a sink (each is retried).\n# TYPE shopflow_sink_failures_total counter\n";
  for (auto& st : sinks) out += fmt::format("shopflow_sink_failures_total{{sink=\"{}\"}} {}\n", st.name, st.failures.failures);
  out += fmt::format("# HELP shopflow_log_write_failures_total Failed writes or syncs of the log.\n"
                     "# TYPE shopflow_log_write_failures_total counter\nshopflow_log_write_failures_total {}\n",
                     log.write_failures().failures);
}

} // namespace shopflow
