#include "sinks/warehouse/line_scan.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <cstring>
#include <string>

namespace shopflow {

namespace {

// What one scan reads: for each block, all its rows or one partition's row numbers.
struct BindData {
  std::shared_ptr<const LineScan::Blocks> blocks;
  std::vector<const std::vector<uint32_t>*> rows; // per block; nullptr = all rows
  std::vector<size_t> ends;                       // cumulative row counts per block
  size_t count = 0;
};

struct ScanState {
  std::atomic<size_t> next{0};
};

void bind(duckdb_bind_info info) {
  auto* scan = static_cast<LineScan*>(duckdb_bind_get_extra_info(info));
  duckdb_value id_value = duckdb_bind_get_parameter(info, 0);
  duckdb_value part_value = duckdb_bind_get_parameter(info, 1);
  int64_t id = duckdb_get_int64(id_value);
  int64_t partition = duckdb_get_int64(part_value);
  duckdb_destroy_value(&id_value);
  duckdb_destroy_value(&part_value);
  auto data = std::make_unique<BindData>();
  data->blocks = scan->find(id);
  if (!data->blocks) {
    duckdb_bind_set_error(info, ("shopflow_lines: no lines exposed under id " + std::to_string(id)).c_str());
    return;
  }
  static const std::vector<uint32_t> kNone;
  for (auto& block : *data->blocks) {
    const std::vector<uint32_t>* rows = nullptr;
    size_t n = block->size();
    if (partition != 0) {
      auto it = block->partitions().find(static_cast<int>(partition));
      rows = it == block->partitions().end() ? &kNone : &it->second;
      n = rows->size();
    }
    data->rows.push_back(rows);
    data->count += n;
    data->ends.push_back(data->count);
  }
  duckdb_logical_type varchar = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  duckdb_logical_type integer = duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
  duckdb_logical_type timestamp = duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP);
  duckdb_logical_type price = duckdb_create_decimal_type(12, 3);
  duckdb_logical_type amount = duckdb_create_decimal_type(18, 3);
  const std::pair<const char*, duckdb_logical_type> columns[] = {
      {"invoice_no", varchar}, {"stock_code", varchar}, {"description", varchar}, {"quantity", integer},
      {"invoice_date", timestamp}, {"unit_price", price}, {"customer_id", varchar}, {"country", varchar},
      {"line_type", varchar}, {"amount", amount}, {"source", varchar}};
  for (auto& [name, type] : columns) duckdb_bind_add_result_column(info, name, type);
  for (auto* t : {&varchar, &integer, &timestamp, &price, &amount}) duckdb_destroy_logical_type(t);
  duckdb_bind_set_cardinality(info, data->count, true);
  duckdb_bind_set_bind_data(info, data.release(), [](void* p) { delete static_cast<BindData*>(p); });
}

// Points a VARCHAR vector entry at `s` without copying it: short strings are inlined, longer ones
// reference the LineColumns' bytes, which stay alive (and unchanged) until the query ends.
inline void set_string(duckdb_string_t* out, std::string_view s) {
  if (s.size() <= 12) {
    out->value.inlined.length = static_cast<uint32_t>(s.size());
    std::memset(out->value.inlined.inlined, 0, sizeof out->value.inlined.inlined);
    std::memcpy(out->value.inlined.inlined, s.data(), s.size());
  } else {
    out->value.pointer.length = static_cast<uint32_t>(s.size());
    std::memcpy(out->value.pointer.prefix, s.data(), 4);
    out->value.pointer.ptr = const_cast<char*>(s.data());
  }
}

void init(duckdb_init_info info) {
  duckdb_init_set_init_data(info, new ScanState, [](void* p) { delete static_cast<ScanState*>(p); });
  duckdb_init_set_max_threads(info, 8);
}

// Fills up to one vector of rows; several threads call this at once, each claiming its own range.
void scan(duckdb_function_info info, duckdb_data_chunk output) {
  auto* data = static_cast<BindData*>(duckdb_function_get_bind_data(info));
  auto* state = static_cast<ScanState*>(duckdb_function_get_init_data(info));
  const size_t vector_size = duckdb_vector_size();
  size_t begin = state->next.fetch_add(vector_size);
  if (begin >= data->count) {
    duckdb_data_chunk_set_size(output, 0);
    return;
  }
  size_t n = std::min(vector_size, data->count - begin);
  // The block holding row `begin` of the scan, and the position inside it.
  size_t block = std::upper_bound(data->ends.begin(), data->ends.end(), begin) - data->ends.begin();
  size_t pos = begin - (block ? data->ends[block - 1] : 0);
  duckdb_vector v[11];
  for (int c = 0; c < 11; ++c) v[c] = duckdb_data_chunk_get_vector(output, c);
  auto* quantity = duck_data<int32_t>(v[3]);
  auto* date = duck_data<int64_t>(v[4]);
  auto* price = duck_data<int64_t>(v[5]);
  auto* amount = duck_data<int64_t>(v[9]);
  duckdb_string_t* str[11];
  for (int c : {0, 1, 2, 6, 7, 8}) str[c] = static_cast<duckdb_string_t*>(duckdb_vector_get_data(v[c]));
  uint64_t* desc_validity = nullptr;
  for (size_t i = 0; i < n; ++i, ++pos) {
    while (begin + i >= data->ends[block]) { // next block
      ++block;
      pos = 0;
    }
    const LineColumns& l = *(*data->blocks)[block];
    const std::vector<uint32_t>* rows = data->rows[block];
    size_t r = rows ? (*rows)[pos] : pos;
    auto put = [&](int c, std::string_view s) { set_string(str[c] + i, s); };
    put(0, l.invoice_no[r]);
    put(1, l.stock_code[r]);
    if (l.has_description[r]) {
      put(2, l.description[r]);
    } else {
      if (!desc_validity) {
        duckdb_vector_ensure_validity_writable(v[2]);
        desc_validity = duckdb_vector_get_validity(v[2]);
      }
      duckdb_validity_set_row_invalid(desc_validity, i);
    }
    quantity[i] = l.quantity[r];
    date[i] = l.invoice_date_us[r];
    price[i] = l.unit_price_milli[r];
    put(6, l.customer_id[r]);
    put(7, l.country[r]);
    put(8, line_type_name(l.line_type[r]));
    amount[i] = l.amount_milli[r];
    char buf[48];
    std::string_view source = l.source(r, buf); // formatted here, so copied into the vector
    duckdb_vector_assign_string_element_len(v[10], i, source.data(), source.size());
  }
  duckdb_data_chunk_set_size(output, n);
}

} // namespace

LineScan::LineScan(DuckConnection& con) {
  duckdb_table_function f = duckdb_create_table_function();
  duckdb_table_function_set_name(f, "shopflow_lines");
  duckdb_logical_type bigint = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
  duckdb_table_function_add_parameter(f, bigint);
  duckdb_table_function_add_parameter(f, bigint);
  duckdb_destroy_logical_type(&bigint);
  duckdb_table_function_set_extra_info(f, this, nullptr);
  duckdb_table_function_set_bind(f, bind);
  duckdb_table_function_set_init(f, init);
  duckdb_table_function_set_function(f, scan);
  auto state = duckdb_register_table_function(con.handle(), f);
  duckdb_destroy_table_function(&f);
  if (state == DuckDBError) throw DuckError("cannot register shopflow_lines");
}

LineScan::Exposure::Exposure(LineScan& scan, Blocks blocks)
    : scan_(scan), blocks_(std::make_shared<const Blocks>(std::move(blocks))), id_(scan.add(blocks_)) {}

std::string LineScan::Exposure::select(int partition) const {
  return "SELECT * FROM shopflow_lines(" + std::to_string(id_) + ", " + std::to_string(partition) + ")";
}

std::vector<int> LineScan::Exposure::partitions() const {
  std::set<int> all;
  for (auto& b : *blocks_)
    for (auto& [partition, rows] : b->partitions()) all.insert(partition);
  return {all.begin(), all.end()};
}

int64_t LineScan::add(std::shared_ptr<const Blocks> blocks) {
  std::lock_guard lock(mutex_);
  int64_t id = next_id_++;
  exposed_[id] = std::move(blocks);
  return id;
}

void LineScan::withdraw(int64_t id) {
  std::lock_guard lock(mutex_);
  exposed_.erase(id);
}

std::shared_ptr<const LineScan::Blocks> LineScan::find(int64_t id) const {
  std::lock_guard lock(mutex_);
  auto it = exposed_.find(id);
  return it == exposed_.end() ? nullptr : it->second;
}

} // namespace shopflow
