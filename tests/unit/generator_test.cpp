// The generator reproduces the real data's shape (shared/data/README.md) within tolerances.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/clean.h"
#include "core/timestamp.h"
#include "formats/record_source.h"
#include "gen/generator.h"

using namespace shopflow;

namespace {
std::string generate_to_string(GeneratorOptions o, GeneratorStats* stats = nullptr) {
  std::string out;
  GeneratorStats s = generate(o, [&](std::string_view b) { out.append(b); });
  if (stats) *stats = s;
  return out;
}
} // namespace

TEST(Generator, ShapeOfTheRealData) {
  GeneratorOptions o;
  o.rows = 541'909;
  std::string csv = generate_to_string(o);
  auto source = make_csv_source(memory_reader(csv));
  std::vector<InputRow> rows;
  uint64_t n = 0, uk = 0, no_customer = 0, no_description = 0, cancellation_lines = 0, zero_price = 0,
           adjustments = 0, bad_debt = 0, malformed = 0;
  std::set<std::string> products, customers, countries, invoices, codes;
  std::map<std::pair<std::string, std::string>, int> pairs;
  std::map<int, uint64_t> per_month;
  while (source->read_batch(rows, 4096)) {
    for (auto& row : rows) {
      ++n;
      CleanResult r = clean(row);
      if (r.reason == RejectReason::Malformed) { ++malformed; continue; }
      const CleanLine& l = r.line;
      if (l.line_type == LineType::Product) products.emplace(l.stock_code);
      else codes.emplace(l.stock_code);
      if (l.customer_id == "Unknown") ++no_customer;
      else customers.emplace(l.customer_id);
      if (!l.has_description) ++no_description;
      countries.emplace(l.country);
      uk += l.country == "United Kingdom";
      invoices.emplace(l.invoice_no);
      cancellation_lines += r.destination == Destination::Cancellations;
      zero_price += l.unit_price_milli == 0;
      adjustments += l.quantity <= 0 && r.destination != Destination::Cancellations;
      bad_debt += r.reason == RejectReason::BadDebt;
      ++pairs[{std::string(l.invoice_no), std::string(l.stock_code)}];
      CivilDate d = civil_from_days(l.invoice_date_us / 86'400'000'000);
      ++per_month[int(d.year * 100 + d.month)];
    }
  }
  uint64_t in_pairs = 0;
  for (auto& [k, c] : pairs) if (c > 1) in_pairs += c;
  EXPECT_EQ(n, 541'909u);
  EXPECT_EQ(malformed, 0u);
  EXPECT_GT(products.size(), 3500u);
  EXPECT_LE(products.size(), 4000u);
  EXPECT_GT(customers.size(), 4000u);
  EXPECT_LE(customers.size(), 4400u);
  EXPECT_EQ(countries.size(), 38u);
  EXPECT_NEAR(double(uk) / n, 0.90, 0.04);
  EXPECT_NEAR(double(n) / invoices.size(), 20.0, 4.0);
  EXPECT_NEAR(double(cancellation_lines) / n, 0.017, 0.006);
  EXPECT_NEAR(double(no_customer) / n, 0.25, 0.03);
  EXPECT_NEAR(double(no_description) / n, 0.003, 0.0015);
  EXPECT_NEAR(double(in_pairs) / n, 0.038, 0.015);
  EXPECT_GT(zero_price, 100u);
  EXPECT_GT(adjustments, 100u);
  EXPECT_GT(bad_debt, 0u);
  for (const char* code : {"POST", "DOT", "M", "D", "S", "BANK CHARGES", "AMAZONFEE", "C2", "gift_0001_20"})
    EXPECT_TRUE(codes.count(code)) << code;
  // A seasonal peak in November 2011, and the span of the real data.
  ASSERT_TRUE(per_month.count(201111));
  for (auto& [month, count] : per_month) EXPECT_LE(count, per_month[201111]) << month;
  EXPECT_EQ(per_month.begin()->first, 201012);
  EXPECT_EQ(per_month.rbegin()->first, 201112);
}

TEST(Generator, DeterministicPerSeed) {
  GeneratorOptions o;
  o.rows = 20'000;
  EXPECT_EQ(generate_to_string(o), generate_to_string(o));
  GeneratorOptions other = o;
  other.seed = 2;
  EXPECT_NE(generate_to_string(o), generate_to_string(other));
  o.ndjson = true;
  EXPECT_EQ(generate_to_string(o), generate_to_string(o));
}

TEST(Generator, DirtyLinesAreAllMalformed) {
  for (bool ndjson : {false, true}) {
    GeneratorOptions o;
    o.rows = 200'000;
    o.dirty_rate = 0.01;
    o.ndjson = ndjson;
    GeneratorStats stats;
    std::string data = generate_to_string(o, &stats);
    EXPECT_NEAR(double(stats.dirty_rows) / stats.rows, 0.01, 0.002);
    auto source = ndjson ? make_ndjson_source(memory_reader(data)) : make_csv_source(memory_reader(data));
    std::vector<InputRow> rows;
    uint64_t n = 0, malformed = 0;
    std::set<std::string> details;
    while (source->read_batch(rows, 4096))
      for (auto& row : rows) {
        ++n;
        CleanResult r = clean(row);
        if (r.reason == RejectReason::Malformed) {
          ++malformed;
          details.emplace(r.detail);
        }
      }
    EXPECT_EQ(n, stats.rows) << ndjson;
    EXPECT_EQ(malformed, stats.dirty_rows) << ndjson;
    EXPECT_GE(details.size(), 6u) << "many kinds of malformed lines";
  }
}
