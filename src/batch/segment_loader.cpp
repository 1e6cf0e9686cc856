#include "batch/segment_loader.h"

#include <chrono>

#include "core/utf8.h"

namespace shopflow {

namespace {
double elapsed(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}
} // namespace

SegmentLoader::SegmentLoader(DataDir& dir, int64_t job, int64_t received_at_us)
    : dir_(dir), job_(job), received_at_us_(received_at_us), source_prefix_("batch:" + std::to_string(job) + ":"),
      line_files_(dir.tables().line_files_dir(job)) {
  start_segment();
}

SegmentLoader::~SegmentLoader() {
  if (loading_.valid()) loading_.wait();
}

void SegmentLoader::start_segment() {
  current_ = Segment{};
  current_.transactions = std::make_shared<LineColumns>(source_prefix_, kSegmentLines);
  current_.cancellations = std::make_shared<LineColumns>(source_prefix_, kSegmentLines / 32);
  current_.index = next_index_++;
}

void SegmentLoader::add(const CleanResult& r, uint64_t row, std::string_view raw) {
  switch (r.destination) {
  case Destination::Transactions: current_.transactions->add(r.line, row); break;
  case Destination::Cancellations: current_.cancellations->add(r.line, row); break;
  case Destination::Rejected:
    current_.rejected.push_back({row, r.reason, r.detail, escape_invalid_utf8(raw)});
    break;
  }
  if (current_.transactions->size() + current_.cancellations->size() + current_.rejected.size() >= kSegmentLines) flush();
}

void SegmentLoader::wait_for_loader() {
  if (!loading_.valid()) return;
  auto started = std::chrono::steady_clock::now();
  for (auto& [stage, secs] : loading_.get()) seconds_[stage] += secs; // rethrows the loader's error
  seconds_["waiting"] += elapsed(started);
}

void SegmentLoader::flush() {
  wait_for_loader();
  auto segment = std::make_shared<Segment>(std::move(current_));
  start_segment();
  loading_ = std::async(std::launch::async, [this, segment] {
    std::map<std::string, double> seconds;
    load(*segment, seconds);
    return seconds;
  });
}

std::vector<std::string> SegmentLoader::finish() {
  flush();
  wait_for_loader();
  auto started = std::chrono::steady_clock::now();
  auto files = line_files_.finish();
  seconds_["tables"] += elapsed(started);
  return files;
}

void SegmentLoader::load(const Segment& s, std::map<std::string, double>& seconds) {
  auto started = std::chrono::steady_clock::now();
  line_files_.add_segment(s.transactions, s.cancellations);
  seconds["tables"] += elapsed(started);

  LineScan& scan = dir_.warehouse().line_scan();
  const std::pair<const char*, std::shared_ptr<LineColumns>> tables[] = {{"transactions", s.transactions},
                                                                         {"cancellations", s.cancellations}};
  const int64_t ids[2] = {scan.expose(s.transactions), scan.expose(s.cancellations)};
  auto lake = std::async(std::launch::async, [&] {
    auto lake_started = std::chrono::steady_clock::now();
    for (int t = 0; t < 2; ++t)
      for (auto& [partition, rows] : tables[t].second->partitions())
        dir_.lake().stage(dir_.warehouse().side_connection(), job_, tables[t].first, partition, s.index,
                          "SELECT * FROM shopflow_lines(" + std::to_string(ids[t]) + ", " + std::to_string(partition) + ")");
    return elapsed(lake_started);
  });
  started = std::chrono::steady_clock::now();
  try {
    DuckConnection& con = dir_.warehouse().connection();
    for (int t = 0; t < 2; ++t)
      if (tables[t].second->size())
        con.execute(std::string("INSERT INTO ") + tables[t].first + " SELECT * FROM shopflow_lines(" +
                    std::to_string(ids[t]) + ", 0)");
    RejectedWriter rejected(con);
    std::string source = source_prefix_;
    for (const Rejected& r : s.rejected) {
      source.resize(source_prefix_.size());
      source += std::to_string(r.row);
      rejected.add(source, r.raw, reason_name(r.reason), r.detail, received_at_us_);
    }
    rejected.flush();
  } catch (...) {
    lake.wait();
    for (int64_t id : ids) scan.withdraw(id);
    throw;
  }
  seconds["warehouse"] += elapsed(started);
  seconds["lake"] += lake.get(); // beside the warehouse, on the other core
  for (int64_t id : ids) scan.withdraw(id);
}

} // namespace shopflow
