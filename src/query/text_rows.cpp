#include "query/text_rows.h"

namespace shopflow {

namespace {
void bind_all(DuckPrepared& p, const std::vector<std::optional<std::string>>& params) {
  if (params.size() != p.param_count())
    throw DuckError("the statement needs " + std::to_string(p.param_count()) + " parameters, " + std::to_string(params.size()) + " given");
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i]) p.bind_text(i, *params[i]);
    else p.bind_null(i);
  }
}
} // namespace

TextRows::TextRows(DuckConnection& con, const ClassifiedStatement& classified, const std::vector<std::optional<std::string>>& params) {
  DuckPrepared prepared(con, classified.text);
  run(con, classified, prepared, params);
}

TextRows::TextRows(DuckConnection& con, const ClassifiedStatement& classified, DuckPrepared& prepared,
                   const std::vector<std::optional<std::string>>& params) {
  run(con, classified, prepared, params);
}

void TextRows::run(DuckConnection& con, const ClassifiedStatement& classified, DuckPrepared& prepared,
                   const std::vector<std::optional<std::string>>& params) {
  const std::string& statement = classified.text;
  type_ = prepared.statement_type();
  if (!prepared_type_fits(classified.access, type_))
    throw DuckError("Permission Error: statement \"" + classified.name + "\" is not what it was taken for; it did not run");
  for (size_t c = 0; c < prepared.column_count(); ++c) {
    names_.push_back(prepared.column_name(c));
    types_.push_back(prepared.column_type(c));
    type_names_.push_back(prepared.column_type_name(c));
  }
  if (type_ == DUCKDB_STATEMENT_TYPE_SELECT && !names_.empty()) {
    std::optional<DuckPrepared> as_text;
    try {
      as_text.emplace(con, "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (" + statement + "\n)");
    } catch (const DuckError&) {
      // Not every SELECT-typed statement is a subquery (SHOW, some PRAGMAs): held at once below.
    }
    if (as_text && as_text->column_count() == names_.size()) {
      bind_all(*as_text, params);
      stream_ = as_text->stream();
      streaming_ = true;
      return;
    }
  }
  bind_all(prepared, params);
  DuckResult r = prepared.execute();
  size_t rows = r.row_count(), cols = r.column_count();
  if (cols != names_.size()) { // a statement whose shape is known only once it ran
    names_.clear(), types_.clear(), type_names_.clear();
    for (size_t c = 0; c < cols; ++c) {
      names_.push_back(r.column_name(c));
      types_.push_back(r.column_type(c));
      type_names_.push_back(r.column_type_name(c));
    }
  }
  if (type_ == DUCKDB_STATEMENT_TYPE_INSERT || type_ == DUCKDB_STATEMENT_TYPE_UPDATE || type_ == DUCKDB_STATEMENT_TYPE_DELETE) {
    changed_ = rows && cols ? r.int64(0, 0) : 0;
    return; // their one "Count" row is not a result
  }
  cells_.reserve(rows * cols);
  for (size_t row = 0; row < rows; ++row)
    for (size_t c = 0; c < cols; ++c) cells_.push_back(r.is_null(c, row) ? std::nullopt : std::optional<std::string>(r.text(c, row)));
}

TextRows::~TextRows() {
  if (chunk_) duckdb_destroy_data_chunk(&chunk_);
}

bool TextRows::next() {
  if (!streaming_) {
    if (held_taken_ || names_.empty()) return false;
    held_taken_ = true;
    batch_size_ = cells_.size() / names_.size();
    return batch_size_ > 0;
  }
  if (chunk_) duckdb_destroy_data_chunk(&chunk_);
  chunk_ = stream_.fetch_chunk();
  if (!chunk_) {
    batch_size_ = 0;
    if (const char* error = stream_.error()) throw DuckError(error);
    return false;
  }
  batch_size_ = duckdb_data_chunk_get_size(chunk_);
  vectors_.resize(names_.size());
  for (size_t c = 0; c < names_.size(); ++c) vectors_[c] = duckdb_data_chunk_get_vector(chunk_, c);
  return batch_size_ > 0;
}

std::optional<std::string_view> TextRows::value(size_t col, size_t row) const {
  if (!streaming_) {
    const auto& cell = cells_[row * names_.size() + col];
    return cell ? std::optional<std::string_view>(*cell) : std::nullopt;
  }
  if (!duck_is_valid(vectors_[col], row)) return std::nullopt;
  return duck_string(vectors_[col], row);
}

} // namespace shopflow
