#include "sinks/tables/tables.h"

#include <algorithm>
#include <climits>
#include <map>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>

#include "sinks/line_schema.h"
#include "db/rocks/rocks_store.h"
#include "util/byte_codec.h"

namespace shopflow {

namespace {
// A key's table tag and first part with its \0 ("i<invoice_no>\0", "c<customer_id>\0"; see
// tables_format.h): the prefix a lookup scans by. Each file keeps a Bloom filter of these besides
// the whole keys', so a lookup's Seek skips every file that has none of its invoice's or
// customer's keys instead of reading a data block of each (RocksStore::scan_prefix).
class FirstPartPrefix final : public rocksdb::SliceTransform {
public:
  const char* Name() const override { return "shopflow.FirstPartPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const char* end = static_cast<const char*>(std::memchr(key.data() + 1, '\0', key.size() - 1));
    return rocksdb::Slice(key.data(), static_cast<size_t>(end - key.data()) + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() > 1 && std::memchr(key.data() + 1, '\0', key.size() - 1); }
};

// What the database and the line files a batch job ingests into it are written with.
rocksdb::Options tables_options() {
  rocksdb::Options options;
  options.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.prefix_extractor = std::make_shared<FirstPartPrefix>();
  return options;
}

// Sets the Invoice-table key and value (tables_format.h) of row r of a block of cleaned lines.
void encode_line(std::string& key, std::string& value, const LineColumns& l, size_t r) {
  std::string_view desc = l.description[r];
  char source[48];
  encode_line(key, value, l.invoice_no[r], l.stock_code[r], l.source(r, source), l.has_description[r] ? &desc : nullptr,
              l.quantity[r], l.invoice_date_us[r], l.unit_price_milli[r], l.amount_milli[r], l.line_type[r],
              l.customer_id[r], l.country[r]);
}

void check(const rocksdb::Status& s, const char* what) {
  if (!s.ok()) throw std::runtime_error(std::string("tables: ") + what + ": " + s.ToString());
}

std::string source_filter(const std::string& from, const std::string& to) {
  return "source >= " + sql_literal(from) + " AND source < " + sql_literal(to);
}

// Runs `sql` and calls fn(chunk, rows) for every chunk.
template <class Fn> void for_each_chunk(DuckConnection& con, const std::string& sql, Fn fn) {
  DuckResult result = con.stream(sql);
  for (;;) {
    duckdb_data_chunk chunk = result.fetch_chunk();
    if (!chunk) break;
    idx_t n = duckdb_data_chunk_get_size(chunk);
    if (n == 0) {
      duckdb_destroy_data_chunk(&chunk);
      break;
    }
    fn(chunk, n);
    duckdb_destroy_data_chunk(&chunk);
  }
}

// Adds lines to the sums of their Customer-table rows. A row's lines usually come one after
// another (an invoice's lines lie together), and those find their row without a map lookup.
class RowSums {
public:
  explicit RowSums(SummarySums& sums) : sums_(sums) {}
  void add(const LineColumns& l, size_t r) {
    summary_key(key_, l.customer_id[r], l.invoice_no[r]);
    if (!last_ || key_ != last_key_) {
      last_ = &sums_[key_];
      last_key_.swap(key_);
    }
    last_->add(l.invoice_date_us[r], l.quantity[r], l.amount_milli[r], l.country[r]);
  }

private:
  SummarySums& sums_;
  std::string key_, last_key_;
  SummaryAcc* last_ = nullptr; // last_key_'s
};

LineType line_type_from_name(std::string_view name) {
  for (int t = 0; t <= int(LineType::Other); ++t)
    if (line_type_name(LineType(t)) == name) return LineType(t);
  return LineType::Other;
}

} // namespace

InvoiceLineFiles::InvoiceLineFiles(std::string dir) : dir_(std::move(dir)) {
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
}

InvoiceLineFiles::~InvoiceLineFiles() {
  if (writing_.valid()) {
    try {
      writing_.get();
    } catch (...) {
    }
  }
}

void InvoiceLineFiles::add_part(std::vector<std::shared_ptr<const LineColumns>> blocks) {
  if (writing_.valid()) writing_.get(); // at most one file in flight
  size_t total = 0;
  for (auto& b : blocks) total += b->size();
  if (total == 0) return;
  std::string path = dir_ + "/lines-" + std::to_string(job_.files.size()) + ".sst";
  job_.files.push_back(path);
  writing_ = std::async(std::launch::async, [blocks = std::move(blocks), total, path, &sums = job_.summaries] {
    // Sort row references by key, then write keys and values in that order.
    struct Ref { const LineColumns* lines; uint32_t row; };
    std::vector<Ref> refs;
    refs.reserve(total);
    for (auto& l : blocks)
      for (uint32_t r = 0; r < l->size(); ++r) refs.push_back({l.get(), r});
    auto less = [](const Ref& a, const Ref& b) {
      // Key order: invoice_no \0 stock_code \0 source (see encode_line).
      int c = a.lines->invoice_no[a.row].compare(b.lines->invoice_no[b.row]);
      if (c == 0) c = a.lines->stock_code[a.row].compare(b.lines->stock_code[b.row]);
      if (c == 0) {
        char abuf[48], bbuf[48];
        c = a.lines->source(a.row, abuf).compare(b.lines->source(b.row, bbuf));
      }
      return c < 0;
    };
    std::sort(refs.begin(), refs.end(), less);
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), tables_options());
    check(writer.Open(path), "open line file");
    std::string key, value;
    RowSums row_sums(sums);
    for (const Ref& ref : refs) {
      encode_line(key, value, *ref.lines, ref.row);
      check(writer.Put(key, value), "write line file");
      row_sums.add(*ref.lines, ref.row);
    }
    check(writer.Finish(), "finish line file");
  });
}

JobLineFiles InvoiceLineFiles::finish() {
  if (writing_.valid()) writing_.get();
  return std::move(job_);
}

Tables::Tables(const std::string& path) : path_(path) {
  rocksdb::Options options = tables_options();
  options.create_if_missing = true;
  options.IncreaseParallelism(2);
  options.write_buffer_size = 128 << 20;
  db_ = std::make_unique<RocksStore>("tables", path, options);
  upgrade_summaries();
}

Tables::~Tables() = default;

void Tables::resume_after_error() { db_->recover(); }

bool Tables::has_job(int64_t job) const {
  std::string value;
  return db_->get(job_key(job), value);
}

void Tables::derive_job(DuckConnection& wh, int64_t job, const std::string& from, const std::string& to,
                        const std::vector<std::string>& extra_invoices) {
  std::string filter = source_filter(from, to);
  // Bulk writes skip the WAL; the memtable is flushed to SST files before the job marker is
  // written, so a crash before the marker loses only what recovery re-derives anyway.
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  std::string key, value;
  for (const char* table : {"transactions", "cancellations"}) {
    std::string sql = "SELECT " + line_select_sql() + " FROM " + table + " WHERE " + filter;
    for_each_chunk(wh, sql, [&](duckdb_data_chunk chunk, idx_t n) {
      using F = LineField;
      auto vec = [&](F f) { return duckdb_data_chunk_get_vector(chunk, field_index(f)); };
      auto text = [&](F f, idx_t r) { return duck_string(vec(f), r); };
      auto* qty = duck_data<int32_t>(vec(F::Quantity));
      auto* date = duck_data<int64_t>(vec(F::InvoiceDate));
      auto* price = duck_data<int64_t>(vec(F::UnitPrice));
      auto* amount = duck_data<int64_t>(vec(F::Amount));
      rocksdb::WriteBatch batch;
      for (idx_t r = 0; r < n; ++r) {
        bool described = duck_is_valid(vec(F::Description), r);
        std::string_view desc = described ? text(F::Description, r) : std::string_view{};
        encode_line(key, value, text(F::InvoiceNo, r), text(F::StockCode, r), text(F::Source, r), described ? &desc : nullptr, qty[r],
                    date[r], price[r], amount[r], line_type_from_name(text(F::LineType, r)), text(F::CustomerId, r), text(F::Country, r));
        batch.Put(key, value);
      }
      db_->write(wo, batch, "write");
    });
  }
  write_summaries(wh, from, to, extra_invoices);
  db_->flush();
  set_marker(job);
}

void Tables::set_marker(int64_t job) {
  rocksdb::WriteOptions sync;
  sync.sync = true; // also makes every earlier write of the job durable (one WAL)
  rocksdb::WriteBatch marker;
  marker.Put(job_key(job), "");
  db_->write(sync, marker, "write marker");
}

std::string Tables::line_files_dir(int64_t job) const { return path_ + "/incoming-job-" + std::to_string(job); }

void Tables::discard_line_files(std::optional<int64_t> job) {
  std::error_code ec;
  if (job) {
    std::filesystem::remove_all(line_files_dir(*job), ec);
    return;
  }
  std::vector<std::filesystem::path> dirs;
  for (auto& entry : std::filesystem::directory_iterator(path_))
    if (entry.path().filename().string().rfind("incoming-job-", 0) == 0) dirs.push_back(entry.path());
  for (auto& d : dirs) std::filesystem::remove_all(d, ec);
}

void Tables::ingest_job(const JobLineFiles& lines, int64_t job, const std::vector<std::string>& replaced_invoices) {
  rocksdb::IngestExternalFileOptions o;
  o.move_files = true;
  {
    // The lines and the sums under one hold of the lock: no recompute may count the job's lines
    // before their sums are added to the stored ones.
    std::lock_guard lock(summaries_mutex_);
    // One file at a time: files of one job may overlap each other; each line's key is unique, so a
    // crash midway is repaired by recovery re-deriving the job (the marker is still missing).
    for (auto& f : lines.files) db_->ingest(f, o);
    // remove_job deleted the replaced invoices' rows: those are recomputed from all their lines,
    // the job's included. Every other row the job touches is its stored row (lines of other
    // sources) plus the job's sums.
    SummarySums summaries = recompute_summaries(replaced_invoices);
    std::string value;
    for (auto& [key, sums] : lines.summaries) {
      auto [at, added] = summaries.try_emplace(key, sums);
      if (!added) continue; // recomputed, the job's lines included
      add_stored_row(key, at->second, value);
    }
    put_summaries(summaries, false);
  }
  db_->flush();
  set_marker(job);
}

// The Customer-table rows of the invoices a job touched (and `extra_invoices`), recomputed from
// the Invoice table's own lines, as the stream path keeps them: both paths then agree, whichever
// sink has stored what (an invoice may have lines from both).
void Tables::write_summaries(DuckConnection& wh, const std::string& from, const std::string& to,
                             const std::vector<std::string>& extra_invoices) {
  std::string filter = source_filter(from, to);
  std::vector<std::string> invoices = extra_invoices;
  for_each_chunk(wh, "SELECT invoice_no FROM transactions WHERE " + filter + " UNION SELECT invoice_no FROM cancellations WHERE " + filter,
                 [&](duckdb_data_chunk chunk, idx_t n) {
                   duckdb_vector v = duckdb_data_chunk_get_vector(chunk, 0);
                   for (idx_t r = 0; r < n; ++r) invoices.emplace_back(duck_string(v, r));
                 });
  std::lock_guard lock(summaries_mutex_);
  put_summaries(recompute_summaries(std::move(invoices)), false); // flushed by the job before its marker
}

SummarySums Tables::recompute_summaries(std::vector<std::string> invoices) const {
  std::sort(invoices.begin(), invoices.end());
  invoices.erase(std::unique(invoices.begin(), invoices.end()), invoices.end());
  SummarySums summaries;
  std::string prefix;
  // One iterator seeking forward (invoices are sorted) through what was just written: read ahead,
  // and keep the block cache for lookups.
  rocksdb::ReadOptions ro;
  ro.readahead_size = 4 << 20;
  ro.fill_cache = false;
  RocksStore::Scan it = db_->scan(ro);
  for (const std::string& invoice : invoices) {
    prefix.assign("i").append(invoice).push_back('\0');
    add_lines(it.get(), prefix, summaries);
  }
  it.check();
  return summaries;
}

std::vector<std::string> Tables::remove_job(DuckConnection& wh, int64_t job, const std::string& from,
                                            const std::string& to) {
  std::string filter = source_filter(from, to);
  rocksdb::WriteBatch batch;
  std::vector<std::string> invoices;
  std::string key;
  for (const char* table : {"transactions", "cancellations"}) {
    for_each_chunk(wh, std::string("SELECT invoice_no, stock_code, source, customer_id FROM ") + table + " WHERE " + filter,
                   [&](duckdb_data_chunk chunk, idx_t n) {
                     duckdb_vector v[4];
                     for (int c = 0; c < 4; ++c) v[c] = duckdb_data_chunk_get_vector(chunk, c);
                     for (idx_t r = 0; r < n; ++r) {
                       line_key(key, duck_string(v[0], r), duck_string(v[1], r), duck_string(v[2], r));
                       batch.Delete(key);
                       summary_key(key, duck_string(v[3], r), duck_string(v[0], r));
                       batch.Delete(key); // recomputed from what remains by the next derive_job
                       if (invoices.empty() || invoices.back() != duck_string(v[0], r)) invoices.emplace_back(duck_string(v[0], r));
                     }
                   });
  }
  batch.Delete(job_key(job));
  rocksdb::WriteOptions sync;
  sync.sync = true;
  db_->write(sync, batch, "remove job");
  return invoices;
}

namespace {
std::string offset_key(const std::string& sink, uint32_t shard) { return "o" + sink + '\0' + std::to_string(shard); }

// One Customer-table row being recomputed.
} // namespace

uint64_t Tables::stream_offset(const std::string& sink, uint32_t shard) const {
  std::string value;
  if (!db_->get(offset_key(sink, shard), value)) return 0;
  if (value.size() != 8) throw std::runtime_error("tables: the stored offset of " + sink + " shard " + std::to_string(shard) + " is corrupt");
  uint64_t v;
  std::memcpy(&v, value.data(), 8);
  return v;
}

void Tables::apply_stream_batches(const std::string& sink, const std::vector<CleanedBatch>& batches) {
  rocksdb::WriteBatch wb;
  // (customer, invoice) summary key -> summary over the batches' lines; the stored summary is
  // added below. Incremental is exact: the offset keys commit in the same WriteBatch, so no line
  // is ever counted twice.
  SummarySums touched;
  RowSums row_sums(touched);
  // Lines are put in key order: the memtable then inserts each one next to the previous one
  // instead of searching its skip list from the top (the sink's main cost otherwise).
  std::vector<std::pair<std::string, std::string>> lines;
  std::string value;
  for (const CleanedBatch& b : batches) {
    for (const LineColumns* l : {b.transactions.get(), b.cancellations.get()}) {
      for (size_t r = 0; r < l->size(); ++r) {
        auto& [line_key, line_value] = lines.emplace_back();
        encode_line(line_key, line_value, *l, r);
        row_sums.add(*l, r);
      }
    }
  }
  std::sort(lines.begin(), lines.end());
  for (auto& [k, v] : lines) wb.Put(k, v);
  // Read, add and write the summaries with no job recomputing them in between.
  std::lock_guard lock(summaries_mutex_);
  for (auto& [summary, s] : touched) {
    add_stored_row(summary, s, value);
    encode_summary(value, s.summary());
    wb.Put(summary, value);
  }
  for (const CleanedBatch& b : batches) {
    value.clear();
    put_num<uint64_t>(value, b.next_offset);
    wb.Put(offset_key(sink, b.shard), value);
  }
  // The WAL makes it survive a process crash; a lost tail after a power failure is re-applied
  // from the durable log, since the offset key goes with it.
  db_->write(rocksdb::WriteOptions(), wb, "apply stream batches");
}

void Tables::add_stored_row(const std::string& key, SummaryAcc& sums, std::string& scratch) const {
  if (!db_->get(key, scratch)) return;
  InvoiceSummary stored;
  decode_summary(scratch, stored);
  sums.merge(stored);
}

void Tables::add_lines(rocksdb::Iterator* it, const std::string& prefix, SummarySums& summaries) const {
  std::string key;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    InvoiceLine line = decode_line(std::string_view(it->key().data(), it->key().size()), std::string_view(it->value().data(), it->value().size()));
    summary_key(key, line.customer_id, line.invoice_no);
    summaries[key].add(line.invoice_date_us, line.quantity, line.amount_milli, line.country);
  }
}

void Tables::put_summaries(const SummarySums& summaries, bool sync, rocksdb::WriteBatch* also) {
  rocksdb::WriteBatch batch;
  rocksdb::WriteBatch& b = also ? *also : batch;
  std::string value;
  for (auto& [k, acc] : summaries) {
    encode_summary(value, acc.summary());
    b.Put(k, value);
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  wo.disableWAL = !sync;
  db_->write(wo, b, "write the Customer table");
}

void Tables::upgrade_summaries() {
  std::string value;
  if (db_->get(kSummaryFormatKey, value) && value.size() == 4) {
    uint32_t format;
    std::memcpy(&format, value.data(), 4);
    if (format == kSummaryFormat) return;
  }
  SummarySums summaries;
  {
    RocksStore::Scan it = db_->scan();
    add_lines(it.get(), "i", summaries);
    it.check();
  }
  rocksdb::WriteBatch batch;
  check(batch.DeleteRange("c", "d"), "clear summaries");
  value.clear();
  put_num<uint32_t>(value, kSummaryFormat);
  batch.Put(kSummaryFormatKey, value);
  put_summaries(summaries, true, &batch);
}

std::vector<InvoiceLine> Tables::invoice_lines(const std::string& invoice_no, const std::string* stock_code) const {
  std::optional<std::string> prefix = invoice_prefix(invoice_no, stock_code);
  std::vector<InvoiceLine> out;
  if (!prefix) return out;
  RocksStore::Scan it = db_->scan_prefix(*prefix);
  for (it->Seek(*prefix); it->Valid() && it->key().starts_with(*prefix); it->Next())
    out.push_back(decode_line(std::string_view(it->key().data(), it->key().size()), std::string_view(it->value().data(), it->value().size())));
  it.check();
  return out;
}

std::vector<InvoiceSummary> Tables::customer_invoices(const std::string& customer_id) const {
  std::optional<std::string> prefix = customer_prefix(customer_id);
  std::vector<InvoiceSummary> out;
  if (!prefix) return out;
  RocksStore::Scan it = db_->scan_prefix(*prefix);
  for (it->Seek(*prefix); it->Valid() && it->key().starts_with(*prefix); it->Next()) {
    InvoiceSummary s;
    s.customer_id = customer_id;
    s.invoice_no = std::string(it->key().data() + prefix->size(), it->key().size() - prefix->size());
    decode_summary(std::string_view(it->value().data(), it->value().size()), s);
    out.push_back(std::move(s));
  }
  it.check();
  return out;
}

} // namespace shopflow
