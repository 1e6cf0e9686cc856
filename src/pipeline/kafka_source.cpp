#include "pipeline/kafka_source.h"

#include <chrono>

#include <simdjson.h>

#include "core/clean.h"
#include "formats/json_record.h"
#include "pipeline/log_record.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/thread_name.h"

namespace shopflow {

KafkaSource::KafkaSource(KafkaLog& log, KafkaSourceOptions options) : log_(log), options_(std::move(options)) {
  settings_ = options_.settings;
  settings_["bootstrap.servers"] = options_.servers;
  thread_ = std::thread([this] { run(); });
}

KafkaSource::~KafkaSource() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void KafkaSource::run() {
  name_this_thread("sf-kafka-source");
  const std::string group = "shopflow-source." + log_.prefix();
  std::unique_ptr<kafka::GroupConsumer> consumer;
  std::unique_ptr<kafka::Producer> producer;
  while (!stopping_) {
    try {
      if (!consumer) consumer = std::make_unique<kafka::GroupConsumer>(settings_, group, options_.transactional_id, options_.topic);
      if (!producer) producer = std::make_unique<kafka::Producer>(settings_, options_.transactional_id, 30'000);
      moved_ += move_batch(*consumer, *producer);
      failures_.succeeded();
    } catch (const std::exception& e) {
      if (failures_.failed(e.what())) log::error("source_failed", {{"topic", options_.topic}, {"error", e.what()}, {"retry_s", "1"}});
      // What was read but not committed is read again: a new consumer starts at the group's
      // committed offsets.
      consumer.reset();
      kafka::abort_or_drop(producer);
      for (int i = 0; i < 10 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

size_t KafkaSource::move_batch(kafka::GroupConsumer& consumer, kafka::Producer& producer) {
  std::vector<kafka::Message> messages = consumer.read(options_.batch_messages, 100);
  if (messages.empty()) return 0;
  const int64_t received_at_us = wall_clock_ms() * 1000;
  JsonRecordParser parser;
  std::vector<std::string> records(messages.size()); // alive until the commit
  std::vector<kafka::Delivered> delivered(messages.size());
  std::string padded, arena;
  producer.begin();
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& value = messages[i].value;
    padded.assign(value);
    padded.resize(value.size() + simdjson::SIMDJSON_PADDING);
    arena.clear();
    arena.reserve(value.size() * 2 + 64);
    InputRow row;
    parser.parse(std::string_view(padded.data(), value.size()), padded.size(), row, arena);
    row.raw = value;
    bool rejected = clean(row).destination == Destination::Rejected;
    encode_log_row(records[i], row, received_at_us, rejected);
    producer.send(log_.topic(), static_cast<int32_t>(shard_for(row, log_.shard_count())), records[i], &delivered[i]);
  }
  producer.send_offsets(consumer);
  producer.commit();
  for (const kafka::Delivered& d : delivered)
    if (!d.error.empty()) throw std::runtime_error("Kafka committed a source batch without delivering a record: " + d.error);
  return messages.size();
}

} // namespace shopflow
