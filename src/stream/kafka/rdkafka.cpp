#include "stream/kafka/rdkafka.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace shopflow::kafka {

namespace {

constexpr int kTransactionTimeoutMs = 10'000;

// Takes and frees an rd_kafka_error_t, throwing it as a KafkaError.
void check(rd_kafka_error_t* error, const char* what) {
  if (!error) return;
  KafkaError e(std::string(what) + ": " + rd_kafka_error_string(error), rd_kafka_error_is_retriable(error),
               rd_kafka_error_txn_requires_abort(error), rd_kafka_error_is_fatal(error));
  rd_kafka_error_destroy(error);
  throw e;
}

void check(rd_kafka_resp_err_t err, const std::string& what) {
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw KafkaError(what + ": " + rd_kafka_err2str(err));
}

// A configuration of `defaults` overridden by `settings`; throws naming a setting librdkafka refuses.
rd_kafka_conf_t* make_conf(Settings defaults, const Settings& settings) {
  for (auto& [k, v] : settings) defaults[k] = v;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (auto& [k, v] : defaults)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw KafkaError("Kafka setting " + k + "=" + v + ": " + err);
    }
  return conf;
}

rd_kafka_t* make_handle(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err); // owns conf on success
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw KafkaError(std::string("cannot make a Kafka client: ") + err);
  }
  return rk;
}

// Keeps librdkafka's own log lines (broker connections coming and going) off stderr: errors
// reach the caller as exceptions, and brokers that are down show in the caller's health.
void quiet_log(const rd_kafka_t*, int, const char*, const char*) {}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* d = static_cast<Delivered*>(m->_private);
  if (!d) return;
  d->partition = m->partition;
  d->offset = m->offset;
  if (m->err) d->error = rd_kafka_err2str(m->err);
}

struct TopicPartitions {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  ~TopicPartitions() { rd_kafka_topic_partition_list_destroy(list); }
};

} // namespace

Producer::Producer(const Settings& settings, std::string transactional_id, int timeout_ms) : timeout_ms_(timeout_ms) {
  rd_kafka_conf_t* conf = make_conf({{"enable.idempotence", "true"},
                                     {"acks", "all"},
                                     {"transactional.id", transactional_id},
                                     // A process that dies inside a transaction holds every
                                     // read_committed reader of its partitions back until the
                                     // transaction times out (or the process comes back).
                                     {"transaction.timeout.ms", std::to_string(kTransactionTimeoutMs)},
                                     {"linger.ms", "0"},
                                     {"message.timeout.ms", std::to_string(std::min(timeout_ms, kTransactionTimeoutMs - 1000))},
                                     {"log.connection.close", "false"}},
                                    settings);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_log_cb(conf, quiet_log);
  rk_ = make_handle(RD_KAFKA_PRODUCER, conf);
  try {
    check(rd_kafka_init_transactions(rk_, timeout_ms_), "Kafka init_transactions");
  } catch (...) {
    rd_kafka_destroy(rk_);
    throw;
  }
}

Producer::~Producer() {
  if (rk_) rd_kafka_destroy(rk_);
}

void Producer::begin() { check(rd_kafka_begin_transaction(rk_), "Kafka begin_transaction"); }

void Producer::send(const std::string& topic, int32_t partition, std::string_view value, Delivered* delivered) {
  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                                                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                                RD_KAFKA_V_OPAQUE(delivered), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return check(err, "Kafka produce to " + topic);
    rd_kafka_poll(rk_, 10); // the local queue is full: serve delivery reports, then again
  }
}

void Producer::send_offsets(GroupConsumer& consumer) {
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  check(rd_kafka_assignment(consumer.rk_, &assigned), "Kafka assignment of " + consumer.topic_);
  rd_kafka_resp_err_t err = rd_kafka_position(consumer.rk_, assigned);
  if (err) {
    rd_kafka_topic_partition_list_destroy(assigned);
    check(err, "Kafka position of " + consumer.topic_);
  }
  rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(consumer.rk_);
  rd_kafka_error_t* error = rd_kafka_send_offsets_to_transaction(rk_, assigned, group, timeout_ms_);
  rd_kafka_consumer_group_metadata_destroy(group);
  rd_kafka_topic_partition_list_destroy(assigned);
  check(error, "Kafka send_offsets_to_transaction");
}

void Producer::commit() {
  check(rd_kafka_commit_transaction(rk_, timeout_ms_), "Kafka commit_transaction");
  rd_kafka_poll(rk_, 0); // delivery reports not yet served
}

void Producer::abort() {
  check(rd_kafka_abort_transaction(rk_, timeout_ms_), "Kafka abort_transaction");
  rd_kafka_poll(rk_, 0);
}

void abort_or_drop(std::unique_ptr<Producer>& producer) {
  if (!producer) return;
  try {
    producer->abort();
  } catch (...) {
    producer.reset();
  }
}

PartitionReader::PartitionReader(const Settings& settings) {
  rd_kafka_conf_t* conf = make_conf({{"group.id", "shopflow-reader"},
                                     {"enable.auto.commit", "false"},
                                     {"enable.auto.offset.store", "false"},
                                     {"isolation.level", "read_committed"},
                                     {"auto.offset.reset", "error"},
                                     {"fetch.wait.max.ms", "10"},
                                     {"check.crcs", "true"},
                                     {"log.connection.close", "false"}},
                                    settings);
  rd_kafka_conf_set_log_cb(conf, quiet_log);
  rk_ = make_handle(RD_KAFKA_CONSUMER, conf);
  rd_kafka_poll_set_consumer(rk_);
}

PartitionReader::~PartitionReader() {
  if (rk_) {
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }
}

void PartitionReader::seek(const std::string& topic, int32_t partition, int64_t offset) {
  TopicPartitions tp;
  rd_kafka_topic_partition_list_add(tp.list, topic.c_str(), partition)->offset = offset;
  check(rd_kafka_assign(rk_, tp.list), "Kafka assign " + topic);
  topic_ = topic;
  partition_ = partition;
}

namespace {
// Up to `max` messages from a consumer's queue, waiting at most `wait_ms` for the first. `what`
// names the source in errors.
// `failed` null: an error throws, even after good messages. Else those are returned and *failed
// set; the error comes again when the caller reads from past them with a new handle.
std::vector<Message> consume(rd_kafka_t* rk, size_t max, int wait_ms, const std::string& what, bool* failed) {
  std::vector<Message> out;
  while (out.size() < max) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, out.empty() ? wait_ms : 0);
    if (!m) break;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_timestamp_type_t type;
      out.push_back({m->partition, m->offset, rd_kafka_message_timestamp(m, &type),
                     std::string(static_cast<const char*>(m->payload), m->len)});
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // The handle's position may now be past what failed (a batch whose CRC did not match is
      // skipped): its caller drops it and reads on from its own offsets with a new one.
      if (failed && !out.empty()) {
        rd_kafka_message_destroy(m);
        *failed = true;
        break;
      }
      std::string error = rd_kafka_message_errstr(m);
      if (m->offset >= 0) error += " (offset " + std::to_string(m->offset) + ")";
      bool retriable = m->err != RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET && m->err != RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE;
      rd_kafka_message_destroy(m);
      throw KafkaError("Kafka read of " + what + ": " + error, retriable);
    }
    rd_kafka_message_destroy(m);
  }
  return out;
}
} // namespace

std::vector<Message> PartitionReader::read(size_t max, int wait_ms) {
  return consume(rk_, max, wait_ms, topic_ + "/" + std::to_string(partition_), &failed_);
}

int64_t PartitionReader::position() {
  TopicPartitions tp;
  rd_kafka_topic_partition_list_add(tp.list, topic_.c_str(), partition_);
  check(rd_kafka_position(rk_, tp.list), "Kafka position " + topic_);
  return tp.list->elems[0].offset;
}

GroupConsumer::GroupConsumer(const Settings& settings, const std::string& group, const std::string& member, const std::string& topic)
    : topic_(topic) {
  // Static membership: a member started again under its id takes its partitions back at once;
  // one that does not come back loses them after the session timeout.
  rd_kafka_conf_t* conf = make_conf({{"group.id", group},
                                     {"group.instance.id", member},
                                     {"session.timeout.ms", "10000"},
                                     {"heartbeat.interval.ms", "1000"},
                                     {"enable.auto.commit", "false"},
                                     {"enable.auto.offset.store", "false"},
                                     {"isolation.level", "read_committed"},
                                     {"auto.offset.reset", "earliest"},
                                     {"check.crcs", "true"},
                                     {"log.connection.close", "false"}},
                                    settings);
  rd_kafka_conf_set_log_cb(conf, quiet_log);
  rk_ = make_handle(RD_KAFKA_CONSUMER, conf);
  rd_kafka_poll_set_consumer(rk_);
  TopicPartitions tp;
  rd_kafka_topic_partition_list_add(tp.list, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, tp.list);
  if (err) {
    rd_kafka_destroy(rk_);
    check(err, "Kafka subscribe to " + topic);
  }
}

GroupConsumer::~GroupConsumer() {
  if (rk_) {
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }
}

std::vector<Message> GroupConsumer::read(size_t max, int wait_ms) { return consume(rk_, max, wait_ms, topic_, nullptr); }

PartitionShare::PartitionShare(const Settings& settings, const std::string& group, const std::string& member, const std::string& topic) {
  rd_kafka_conf_t* conf = make_conf({{"group.id", group},
                                     {"group.instance.id", member},
                                     {"partition.assignment.strategy", "cooperative-sticky"},
                                     {"session.timeout.ms", "10000"},
                                     {"heartbeat.interval.ms", "1000"},
                                     {"enable.auto.commit", "false"},
                                     {"enable.auto.offset.store", "false"},
                                     {"log.connection.close", "false"}},
                                    settings);
  rd_kafka_conf_set_log_cb(conf, quiet_log);
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(conf, [](rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    on_rebalance(rk, err, partitions, opaque);
  });
  rk_ = make_handle(RD_KAFKA_CONSUMER, conf);
  rd_kafka_poll_set_consumer(rk_);
  TopicPartitions tp;
  rd_kafka_topic_partition_list_add(tp.list, topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, tp.list)) {
    rd_kafka_destroy(rk_);
    check(err, "Kafka subscribe to " + topic);
  }
}

PartitionShare::~PartitionShare() {
  if (rk_) {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    rd_kafka_consumer_close(rk_); // serves the last revocation
    rd_kafka_destroy(rk_);
  }
}

void PartitionShare::on_rebalance(rd_kafka_s* rk, int err, void* list, void* opaque) {
  auto* self = static_cast<PartitionShare*>(opaque);
  auto* partitions = static_cast<rd_kafka_topic_partition_list_t*>(list);
  std::unique_lock lock(self->mutex_);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rd_kafka_error_t* error = rd_kafka_incremental_assign(rk, partitions);
    if (error) rd_kafka_error_destroy(error);
    rd_kafka_pause_partitions(rk, partitions); // owned, not fetched
    for (int i = 0; i < partitions->cnt; ++i) self->owned_.push_back(partitions->elems[i].partition);
    std::sort(self->owned_.begin(), self->owned_.end());
    ++self->generation_;
    return;
  }
  for (int i = 0; i < partitions->cnt; ++i) std::erase(self->owned_, partitions->elems[i].partition);
  const uint64_t generation = ++self->generation_;
  self->released_changed_.wait_for(lock, std::chrono::seconds(30), [&] { return self->closing_ || self->released_ >= generation; });
  rd_kafka_error_t* error = rd_kafka_incremental_unassign(rk, partitions);
  if (error) rd_kafka_error_destroy(error);
}

void PartitionShare::released(uint64_t generation) {
  std::lock_guard lock(mutex_);
  released_ = std::max(released_, generation);
  released_changed_.notify_all();
}

void PartitionShare::poll(int wait_ms) {
  if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, wait_ms)) rd_kafka_message_destroy(m); // none: every partition is paused
}

std::vector<int32_t> PartitionShare::owned() const {
  std::lock_guard lock(mutex_);
  return owned_;
}

Admin::Admin(const Settings& settings, bool committed_only) {
  // A consumer handle: its watermark queries see what consumers of its isolation level see.
  rd_kafka_conf_t* conf = make_conf({{"group.id", "shopflow-admin"},
                                     {"isolation.level", committed_only ? "read_committed" : "read_uncommitted"},
                                     {"enable.auto.commit", "false"},
                                     {"log.connection.close", "false"}},
                                    settings);
  rd_kafka_conf_set_log_cb(conf, quiet_log);
  rk_ = make_handle(RD_KAFKA_CONSUMER, conf);
}

Admin::~Admin() {
  if (rk_) rd_kafka_destroy(rk_);
}

std::optional<int> Admin::partitions(const std::string& topic, int timeout_ms) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk_, 0, t, &md, timeout_ms);
  rd_kafka_topic_destroy(t);
  check(err, "Kafka metadata of " + topic);
  std::optional<int> out;
  for (int i = 0; i < md->topic_cnt; ++i)
    if (topic == md->topics[i].topic && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) out = md->topics[i].partition_cnt;
  rd_kafka_metadata_destroy(md);
  return out;
}

Admin::Cluster Admin::cluster(const std::string& topic, int timeout_ms) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk_, 0, t, &md, timeout_ms);
  rd_kafka_topic_destroy(t);
  check(err, "Kafka metadata");
  Cluster out;
  for (int i = 0; i < md->broker_cnt; ++i)
    out.brokers.push_back({md->brokers[i].id, std::string(md->brokers[i].host) + ":" + std::to_string(md->brokers[i].port)});
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic& mt = md->topics[i];
    if (topic != mt.topic || mt.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    out.partitions.resize(static_cast<size_t>(mt.partition_cnt));
    for (int p = 0; p < mt.partition_cnt; ++p) {
      const rd_kafka_metadata_partition& mp = mt.partitions[p];
      if (mp.id >= 0 && mp.id < mt.partition_cnt) out.partitions[static_cast<size_t>(mp.id)] = {mp.leader, mp.replica_cnt, mp.isr_cnt};
    }
  }
  rd_kafka_metadata_destroy(md);
  std::sort(out.brokers.begin(), out.brokers.end(), [](auto& a, auto& b) { return a.id < b.id; });
  return out;
}

void Admin::create_topic(const std::string& topic, int partitions, int replication, const Settings& config, int timeout_ms) {
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, replication, err, sizeof err);
  if (!nt) throw KafkaError("Kafka topic " + topic + ": " + err);
  for (auto& [k, v] : config) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk_);
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk_, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, timeout_ms, err, sizeof err);
  rd_kafka_CreateTopics(rk_, &nt, 1, options, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
  std::string error;
  if (!ev) {
    error = "no answer within " + std::to_string(timeout_ms) + " ms";
  } else if (rd_kafka_event_error(ev)) {
    error = rd_kafka_event_error_string(ev);
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; ++i)
      if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        error = rd_kafka_topic_result_error_string(results[i]);
  }
  if (ev) rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  if (!error.empty()) throw KafkaError("creating Kafka topic " + topic + ": " + error);
}

std::vector<int64_t> Admin::offsets(const std::string& topic, const std::vector<int32_t>& partitions, Position position, int timeout_ms) {
  // rd_kafka_offsets_for_times, not rd_kafka_query_watermark_offsets: the latter waits forever for
  // a leader that died (librdkafka before 2.3, issue #2588). Timestamp -1 asks for the end, -2 for
  // the start (Kafka's ListOffsets).
  const int64_t asked = position == Position::End ? -1 : -2;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
    for (int32_t p : partitions) rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = asked;
    int remaining = static_cast<int>(std::max<int64_t>(
        1, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count()));
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk_, list, remaining);
    std::vector<int64_t> out;
    std::string where = topic;
    for (int i = 0; i < list->cnt && !err; ++i) {
      if (list->elems[i].err) {
        err = list->elems[i].err;
        where.append(1, '/').append(std::to_string(list->elems[i].partition));
      }
      out.push_back(list->elems[i].offset);
    }
    rd_kafka_topic_partition_list_destroy(list);
    // While leadership moves (a broker left or came back), the old leader refuses or is silent.
    bool moving = err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION || err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
                  err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
                  err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR || err == RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE;
    if (!moving || std::chrono::steady_clock::now() >= deadline) {
      check(err, "Kafka offsets of " + where);
      return out;
    }
    // Who leads the partitions now: a handle asked seldom keeps a stale leader otherwise.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk_, 0, t, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
  }
}

} // namespace shopflow::kafka
