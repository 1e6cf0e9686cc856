// An existing Kafka topic of order events as an input (serve --source kafka://HOST:PORT/TOPIC):
// each message is one record in the seed client's JSON shape (formats/json_record.h), moved into
// the log's topic exactly once. Read by a consumer group (shopflow-source.PREFIX), written by a
// transactional producer of its own: each batch's records and the group's offsets commit in one
// Kafka transaction, so a crash at any moment neither loses nor repeats a message. A message that
// is not such a record is stored too, as a rejected malformed row with its text.
// The source topic must be on the log's Kafka cluster (one transaction spans both).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "stream/kafka/kafka_log.h"
#include "util/failure_state.h"

namespace shopflow {

struct KafkaSourceOptions {
  std::string servers; // of the source topic's cluster (the log's)
  std::string topic;
  std::string transactional_id; // stable per node
  size_t batch_messages = 5000;
  kafka::Settings settings = {}; // more librdkafka settings
};

class KafkaSource {
public:
  // Starts consuming into `log`'s topic. Throws std::runtime_error if the brokers refuse.
  KafkaSource(KafkaLog& log, KafkaSourceOptions options);
  ~KafkaSource();
  uint64_t moved() const { return moved_; } // messages committed into the log by this process
  FailureState::Snapshot failures() const { return failures_.snapshot(); }
  const std::string& topic() const { return options_.topic; }

private:
  void run();
  // Moves one batch: returns how many messages it committed.
  size_t move_batch(kafka::GroupConsumer& consumer, kafka::Producer& producer);
  KafkaLog& log_;
  KafkaSourceOptions options_;
  kafka::Settings settings_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> moved_{0};
  FailureState failures_;
  std::thread thread_;
};

} // namespace shopflow
