#include "pipeline/buffered_consumer.h"

#include <vector>

#include "util/clock.h"

namespace shopflow {

namespace {
class BufferedConsumer final : public SinkConsumer {
public:
  BufferedConsumer(std::unique_ptr<SinkConsumer> inner, SinkBuffering buffering) : inner_(std::move(inner)), buffering_(buffering) {}
  const char* name() const override { return inner_->name(); }
  int linger_ms() const override { return inner_->linger_ms(); }
  void own(uint32_t shard) override { inner_->own(shard); }
  uint64_t committed_offset(uint32_t shard) override { return inner_->committed_offset(shard); }

  void apply(const std::vector<CleanedBatch>& batches) override {
    if (batches.empty()) return;
    if (pending_.empty()) since_ms_ = steady_ms();
    for (const CleanedBatch& b : batches) {
      pending_.push_back(b);
      lines_ += b.transactions->size() + b.cancellations->size() + b.rejected.size();
    }
    if (lines_ >= buffering_.max_lines) store();
  }

  void flush(bool force) override {
    if (!pending_.empty() && (force || steady_ms() - since_ms_ >= buffering_.max_age_ms)) store();
    inner_->flush(force);
  }

  void discard_uncommitted() override {
    pending_.clear();
    lines_ = 0;
    inner_->discard_uncommitted();
  }

private:
  void store() {
    inner_->apply(pending_);
    pending_.clear();
    lines_ = 0;
  }

  std::unique_ptr<SinkConsumer> inner_;
  SinkBuffering buffering_;
  std::vector<CleanedBatch> pending_; // in the order read: a shard's batches in offset order
  uint64_t lines_ = 0;
  int64_t since_ms_ = 0;
};
} // namespace

std::unique_ptr<SinkConsumer> make_buffered_consumer(std::unique_ptr<SinkConsumer> inner, SinkBuffering buffering) {
  return std::make_unique<BufferedConsumer>(std::move(inner), buffering);
}

} // namespace shopflow
