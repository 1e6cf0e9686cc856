#include "sinks/warehouse/line_scan.h"

#include "sinks/line_schema.h"

// The scan writes LineColumns' thousandths as the money columns' int64 storage.
static_assert(shopflow::line_field(shopflow::LineField::UnitPrice).width <= 18 && shopflow::line_field(shopflow::LineField::UnitPrice).scale == 3);
static_assert(shopflow::line_field(shopflow::LineField::Amount).width <= 18 && shopflow::line_field(shopflow::LineField::Amount).scale == 3);

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
  for (const LineFieldSpec& f : kLineFields) {
    duckdb_logical_type type = f.kind == LineFieldSpec::Kind::Decimal ? duckdb_create_decimal_type(f.width, f.scale)
                               : duckdb_create_logical_type(f.kind == LineFieldSpec::Kind::Int32       ? DUCKDB_TYPE_INTEGER
                                                            : f.kind == LineFieldSpec::Kind::Timestamp ? DUCKDB_TYPE_TIMESTAMP
                                                                                                       : DUCKDB_TYPE_VARCHAR);
    duckdb_bind_add_result_column(info, f.name, type);
    duckdb_destroy_logical_type(&type);
  }
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
  using F = LineField;
  duckdb_vector v[kLineFieldCount];
  for (size_t c = 0; c < kLineFieldCount; ++c) v[c] = duckdb_data_chunk_get_vector(output, c);
  auto vec = [&](F f) { return v[field_index(f)]; };
  auto* quantity = duck_data<int32_t>(vec(F::Quantity));
  auto* date = duck_data<int64_t>(vec(F::InvoiceDate));
  auto* price = duck_data<int64_t>(vec(F::UnitPrice));   // DECIMAL(12,3): thousandths, as held
  auto* amount = duck_data<int64_t>(vec(F::Amount));     // DECIMAL(18,3): thousandths, as held
  duckdb_string_t* str[kLineFieldCount] = {};
  for (F f : {F::InvoiceNo, F::StockCode, F::Description, F::CustomerId, F::Country, F::LineType})
    str[field_index(f)] = static_cast<duckdb_string_t*>(duckdb_vector_get_data(vec(f)));
  uint64_t* desc_validity = nullptr;
  for (size_t i = 0; i < n; ++i, ++pos) {
    while (begin + i >= data->ends[block]) { // next block
      ++block;
      pos = 0;
    }
    const LineColumns& l = *(*data->blocks)[block];
    const std::vector<uint32_t>* rows = data->rows[block];
    size_t r = rows ? (*rows)[pos] : pos;
    auto put = [&](F f, std::string_view s) { set_string(str[field_index(f)] + i, s); };
    put(F::InvoiceNo, l.invoice_no[r]);
    put(F::StockCode, l.stock_code[r]);
    if (l.has_description[r]) {
      put(F::Description, l.description[r]);
    } else {
      if (!desc_validity) {
        duckdb_vector_ensure_validity_writable(vec(F::Description));
        desc_validity = duckdb_vector_get_validity(vec(F::Description));
      }
      duckdb_validity_set_row_invalid(desc_validity, i);
    }
    quantity[i] = l.quantity[r];
    date[i] = l.invoice_date_us[r];
    price[i] = l.unit_price_milli[r];
    put(F::CustomerId, l.customer_id[r]);
    put(F::Country, l.country[r]);
    put(F::LineType, line_type_name(l.line_type[r]));
    amount[i] = l.amount_milli[r];
    char buf[48];
    std::string_view source = l.source(r, buf); // formatted here, so copied into the vector
    duckdb_vector_assign_string_element_len(vec(F::Source), i, source.data(), source.size());
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
