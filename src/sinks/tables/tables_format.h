// The tables' keys and values: every encoder beside its decoder, and the format they share.
//
// Keys (one RocksDB, a one-byte table tag first; \0 separates parts, none of which contains \0):
//   'i' invoice_no \0 stock_code \0 source   -> InvoiceLine  (Invoice table: every line)
//   'c' customer_id \0 invoice_no            -> InvoiceSummary (Customer table)
//   'j' <job as decimal>                      -> "" (marker: the batch job's rows are all here)
//   'o' sink \0 shard                          -> u64 next stream offset stored (stream path)
//   'v' "summary"                              -> u32 2: the InvoiceSummary format (before it, amount
//                   was i64, which a few large lines overflow; such tables are rebuilt from their lines)
// Values, little-endian, str = u32 length + bytes:
//   InvoiceLine:    i32 quantity, i64 invoice_date_us, i64 unit_price_milli, i64 amount_milli,
//                   u8 line_type, u8 flags (bit 0: has description), str description,
//                   str customer_id, str country
//   InvoiceSummary: i64 first invoice_date_us, i64 lines, i64 quantity, i128 amount_milli, str country
//                   (country: the least of its lines' countries, as SQL's min() gives it)
// A value shorter than its format says is corrupt: decoders throw std::runtime_error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/record.h"
#include "sinks/lookup_tables.h"

namespace shopflow {

inline constexpr uint32_t kSummaryFormat = 2;
inline constexpr const char* kSummaryFormatKey = "vsummary";

void line_key(std::string& key, std::string_view invoice_no, std::string_view stock_code, std::string_view source);
// The key prefix of an invoice's lines, or of one item's lines when stock_code is given; nullopt
// when a part holds a \0, which no key's part does (a lookup of "536365\0" "85123A" must not
// read as the item 85123A of invoice 536365).
std::optional<std::string> invoice_prefix(std::string_view invoice_no, const std::string* stock_code);
void summary_key(std::string& key, std::string_view customer_id, std::string_view invoice_no);
std::optional<std::string> customer_prefix(std::string_view customer_id); // nullopt: the id holds a \0
std::string job_key(int64_t job);

// An Invoice-table line's key and value.
void encode_line(std::string& key, std::string& value, std::string_view invoice_no, std::string_view stock_code,
                 std::string_view source, const std::string_view* description, int32_t quantity, int64_t date_us,
                 int64_t price_milli, int64_t amount_milli, LineType type, std::string_view customer_id, std::string_view country);
InvoiceLine decode_line(std::string_view key, std::string_view value);

// A Customer-table value (its key is summary_key's).
void encode_summary(std::string& value, const InvoiceSummary& s);
// Fills s's values (not its key's customer_id and invoice_no).
void decode_summary(std::string_view value, InvoiceSummary& s);

} // namespace shopflow
