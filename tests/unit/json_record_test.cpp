#include <gtest/gtest.h>

#include "core/clean.h"
#include "formats/json_record.h"
#include "formats/record_source.h"

using namespace shopflow;

namespace {
CleanResult parse_and_clean(const std::string& json, InputRow& row, std::string& arena, JsonRecordParser& parser) {
  static std::string padded;
  padded = json;
  padded.append(simdjson::SIMDJSON_PADDING, ' ');
  arena.clear();
  arena.reserve(json.size() + 64);
  parser.parse(std::string_view(padded.data(), json.size()), padded.size(), row, arena);
  return clean(row);
}
} // namespace

TEST(JsonRecord, TheSeedClientShape) {
  JsonRecordParser parser;
  InputRow row;
  std::string arena;
  // df.loc[i].to_json(): escaped slash, float CustomerID, epoch milliseconds, number InvoiceNo.
  CleanResult r = parse_and_clean(
      R"({"InvoiceNo":536365,"StockCode":"85123A","Description":"WHITE HANGING HEART T-LIGHT HOLDER 1\/2","Quantity":6,)"
      R"("InvoiceDate":1291191960000,"UnitPrice":2.55,"CustomerID":17850.0,"Country":"United Kingdom"})",
      row, arena, parser);
  ASSERT_EQ(r.destination, Destination::Transactions) << r.detail;
  EXPECT_EQ(r.line.invoice_no, "536365");
  EXPECT_EQ(r.line.description, "WHITE HANGING HEART T-LIGHT HOLDER 1/2");
  EXPECT_EQ(r.line.unit_price_milli, 2550);
  EXPECT_EQ(r.line.customer_id, "17850");

  r = parse_and_clean(R"({"InvoiceNo":"C536379","StockCode":"D","Description":null,"Quantity":-1.0,)"
                      R"("InvoiceDate":"12/1/2010 9:41","UnitPrice":27.5,"CustomerID":null,"Country":"United Kingdom"})",
                      row, arena, parser);
  ASSERT_EQ(r.destination, Destination::Cancellations) << r.detail;
  EXPECT_FALSE(r.line.has_description);
  EXPECT_EQ(r.line.customer_id, "Unknown");
  EXPECT_EQ(r.line.quantity, -1);
}

TEST(JsonRecord, MalformedObjectsNameTheProblem) {
  JsonRecordParser parser;
  InputRow row;
  std::string arena;
  const std::pair<const char*, const char*> cases[] = {
      {R"({"InvoiceNo":"1","StockCode":"A",})", "not valid JSON"},
      {R"([1,2])", "not an object"},
      {R"({"InvoiceNo":"1"})", "missing key StockCode"},
      {R"({"InvoiceNo":"1","StockCode":"A","Description":"x","Quantity":[1],"InvoiceDate":1,"UnitPrice":1,"CustomerID":1,"Country":"UK"})", "Quantity is not a string or number"},
      {R"({"InvoiceNo":"1","InvoiceNo":"2"})", "duplicate key InvoiceNo"},
      {R"({"Bogus":1})", "unknown key"},
      {R"({"InvoiceNo":"1","StockCode":"A","Description":"x","Quantity":"six","InvoiceDate":1291191960000,"UnitPrice":1,"CustomerID":1,"Country":"UK"})", "Quantity"},
  };
  for (auto& [json, detail] : cases) {
    CleanResult r = parse_and_clean(json, row, arena, parser);
    EXPECT_EQ(r.reason, RejectReason::Malformed) << json;
    EXPECT_NE(std::string(r.detail).find(detail), std::string::npos) << json << " -> " << r.detail;
  }
}

TEST(JsonRecord, NdjsonSourceSkipsBlankLinesAndKeepsRaw) {
  std::string data = "{\"InvoiceNo\":\"1\"}\r\n\n  \n{not json}\n";
  auto source = make_ndjson_source(memory_reader(data));
  std::vector<InputRow> rows;
  ASSERT_TRUE(source->read_batch(rows, 10));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].raw, "{\"InvoiceNo\":\"1\"}");
  EXPECT_EQ(rows[1].raw, "{not json}");
  EXPECT_FALSE(rows[1].framing_error.empty());
}
