#include "batch/job_loader.h"

#include <chrono>

#include "util/utf8.h"
#include "util/clock.h"

namespace shopflow {

JobLoader::JobLoader(DataDir& dir, int64_t job, int64_t received_at_us, PgWarehouse* pg)
    : dir_(dir), pg_(pg), job_(job), received_at_us_(received_at_us), source_prefix_("batch:" + std::to_string(job) + ":"),
      line_files_(dir.tables().line_files_dir(job)) {
  for (TableLines* t : {&transactions_, &cancellations_}) t->open = new_block(t->expected_lines);
}

JobLoader::~JobLoader() {
  if (inserting_.valid()) inserting_.wait();
  if (lake_.valid()) lake_.wait();
}

template <class F> double JobLoader::timed(const char* stage, F&& f) {
  auto started = std::chrono::steady_clock::now();
  f();
  double secs = seconds_since(started);
  std::lock_guard lock(seconds_mutex_);
  seconds_[stage] += secs;
  return secs;
}

template <class Future> void JobLoader::wait(Future& f) {
  if (f.valid()) timed("waiting", [&] { f.get(); }); // rethrows the worker's error
}

JobLoader::Block JobLoader::new_block(size_t expected) const {
  return std::make_shared<LineColumns>(source_prefix_, expected);
}

void JobLoader::insert_later(std::function<void()> task) {
  // A chain of futures: each task starts when the previous one is done (and fails with it).
  // Each task drops its predecessor and its own captures once run, so that finished tasks do not
  // keep their blocks alive through the chain.
  inserting_ = std::async(std::launch::async, [previous = inserting_, task = std::move(task)]() mutable {
                 if (previous.valid()) {
                   auto done = std::move(previous);
                   done.get();
                 }
                 task();
                 task = nullptr;
               }).share();
}

void JobLoader::add(const CleanResult& r, uint64_t row, std::string_view raw) {
  switch (r.destination) {
  case Destination::Transactions:
    transactions_.open->add(r.line, row);
    if (transactions_.open->size() >= kBlockLines) close_block(transactions_);
    break;
  case Destination::Cancellations:
    cancellations_.open->add(r.line, row);
    if (cancellations_.open->size() >= kBlockLines) close_block(cancellations_);
    break;
  case Destination::Rejected:
    rejected_.push_back({row, r.reason, r.detail, escape_invalid_utf8(raw)});
    break;
  }
  if (++part_lines_ >= kPartLines) end_part();
}

void JobLoader::close_block(TableLines& t) {
  if (t.open->size() == 0) return;
  std::shared_ptr<const LineColumns> block = t.open;
  t.full.push_back(block);
  t.open = new_block(t.expected_lines);
  const char* table = t.name;
  insert_later([this, block, table] {
    timed("warehouse", [&] {
      if (pg_) {
        pg_->add_job_lines(table, {block.get()});
        return;
      }
      auto lines = dir_.warehouse().line_scan().expose({block});
      dir_.warehouse().connection().execute(std::string("INSERT INTO ") + table + " " + lines.select());
    });
  });
}

void JobLoader::end_part() {
  close_block(transactions_);
  close_block(cancellations_);
  // One part in flight at a time: the previous part must be in the warehouse and the lake.
  wait(previous_part_inserted_);
  wait(lake_);
  Blocks all = transactions_.full;
  all.insert(all.end(), cancellations_.full.begin(), cancellations_.full.end());
  timed("tables", [&] { line_files_.add_part(all); });

  int part = part_++;
  lake_ = std::async(std::launch::async, [this, part, t = std::move(transactions_.full), c = std::move(cancellations_.full)] {
    timed("lake", [&] {
      for (auto& [table, blocks] : {std::pair{"transactions", &t}, std::pair{"cancellations", &c}}) {
        if (blocks->empty()) continue;
        auto lines = dir_.warehouse().line_scan().expose(*blocks);
        for (int partition : lines.partitions())
          dir_.lake().stage(dir_.warehouse().side_connection(), job_, table, partition, part, lines.select(partition));
      }
    });
  });
  transactions_.full.clear();
  cancellations_.full.clear();

  insert_later([this, rejected = std::move(rejected_)] {
    timed("warehouse", [&] {
      if (pg_) {
        std::vector<RejectedRow> rows;
        rows.reserve(rejected.size());
        for (const Rejected& r : rejected)
          rows.push_back(
              {source_prefix_ + std::to_string(r.row), r.raw, std::string(reason_name(r.reason)), std::string(r.detail), received_at_us_});
        pg_->add_job_rejected(rows);
        return;
      }
      RejectedWriter writer(dir_.warehouse().connection());
      std::string source = source_prefix_;
      for (const Rejected& r : rejected) {
        source.resize(source_prefix_.size());
        source += std::to_string(r.row);
        writer.add(source, r.raw, reason_name(r.reason), r.detail, received_at_us_);
      }
      writer.flush();
    });
  });
  rejected_.clear();
  previous_part_inserted_ = inserting_;
  part_lines_ = 0;
}

JobLineFiles JobLoader::finish() {
  end_part();
  wait(inserting_);
  wait(lake_);
  JobLineFiles files;
  timed("tables", [&] { files = line_files_.finish(); });
  return files;
}

} // namespace shopflow
