#include <gtest/gtest.h>

#include "formats/csv_reader.h"

using namespace shopflow;

namespace {
std::vector<std::vector<std::string>> read_all(const std::string& data, CsvReader::Options o = {}, size_t batch = 3,
                                               std::vector<std::string>* errors = nullptr) {
  CsvReader reader(memory_reader(data), o);
  std::vector<InputRow> rows;
  std::vector<std::vector<std::string>> out;
  while (reader.read_batch(rows, batch)) {
    for (auto& r : rows) {
      std::vector<std::string> fields;
      for (size_t f = 0; f < kFieldCount; ++f) fields.emplace_back(r.fields[f].text);
      fields.push_back(std::to_string(r.field_count));
      out.push_back(fields);
      if (errors) errors->emplace_back(r.framing_error);
    }
  }
  return out;
}
} // namespace

TEST(CsvReader, QuotesCommasDoubledQuotesAndLineBreaks) {
  std::string data =
      "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\r\n"
      "1,A,\"AIRLINE LOUNGE,METAL SIGN\",1,d,2,3,UK\r\n"
      "2,B,\"RECORD FRAME 7\"\" SINGLE SIZE \",1,d,2,3,UK\n"
      "\n"
      "3,C,\"TWO\nLINES\",1,d,2,3,£ land\n"
      "4,D,,1,d,2,,UK";
  auto rows = read_all(data);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0][2], "AIRLINE LOUNGE,METAL SIGN");
  EXPECT_EQ(rows[0][7], "UK"); // CR removed
  EXPECT_EQ(rows[1][2], "RECORD FRAME 7\" SINGLE SIZE ");
  EXPECT_EQ(rows[2][2], "TWO\nLINES");
  EXPECT_EQ(rows[2][7], "£ land");
  EXPECT_EQ(rows[3][2], "");
  EXPECT_EQ(rows[3][6], "");
  EXPECT_EQ(rows[3][7], "UK"); // last line without a terminator
  for (auto& r : rows) EXPECT_EQ(r[8], "8");
}

TEST(CsvReader, EveryBlockBoundaryGivesTheSameRows) {
  std::string data = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";
  for (int i = 0; i < 50; ++i)
    data += std::to_string(i) + ",S,\"A \"\"Q\"\", B\",1,2010-12-01 08:26:00,2.5,17850.0,\"United, Kingdom\"\r\n";
  auto expected = read_all(data);
  ASSERT_EQ(expected.size(), 50u);
  for (size_t block : {1, 2, 7, 64, 100}) {
    CsvReader::Options o;
    o.block_bytes = block;
    o.max_record_bytes = 200;
    EXPECT_EQ(read_all(data, o, 1 + block % 5), expected) << "block " << block;
  }
}

TEST(CsvReader, BlankLinesAtEveryBufferEdge) {
  // Found by fuzzing: a blank line ending exactly at the end of the buffered bytes made the reader
  // look one byte past them.
  std::string data = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";
  for (int i = 0; i < 40; ++i) data += std::to_string(i) + ",S,D,1,d,2,3,UK\n" + std::string(static_cast<size_t>(i % 4), '\n');
  for (size_t block : {1, 2, 3, 5, 8, 16}) {
    CsvReader::Options o;
    o.block_bytes = block;
    o.max_record_bytes = 64;
    EXPECT_EQ(read_all(data, o, 1 + block % 3).size(), 40u) << "block " << block;
  }
}

TEST(CsvReader, HeaderMapsColumnsInAnyOrder) {
  auto rows = read_all("Country,InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\n"
                       "UK,536365,85123A,X,6,d,2.55,17850\n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "536365");
  EXPECT_EQ(rows[0][7], "UK");
  EXPECT_THROW(read_all("InvoiceNo,Bogus\n1,2\n"), std::runtime_error);
  // No header: the standard order.
  EXPECT_EQ(read_all("536365,85123A,X,6,d,2.55,17850,UK\n").at(0)[0], "536365");
}

TEST(CsvReader, FramingErrorsAreReportedAndReadingGoesOn) {
  std::vector<std::string> errors;
  auto rows = read_all("1,A,HALF \"QUOTED,1,d,2,3,UK\n"
                       "2,B,\"closed\"junk,1,d,2,3,UK\n"
                       "3,C,fine,1,d,2,3,UK\n"
                       "4,D,\"never closed,1,d,2,3,UK\n", {}, 10, &errors);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_NE(errors[0].find("stray quote"), std::string::npos);
  EXPECT_NE(errors[1].find("closing quote"), std::string::npos);
  EXPECT_EQ(errors[2], "");
  EXPECT_EQ(rows[2][0], "3");
  EXPECT_NE(errors[3].find("unterminated"), std::string::npos);
}

TEST(CsvReader, OverlongRecordIsRejectedAndTheReaderResynchronises) {
  CsvReader::Options o;
  o.max_record_bytes = 100;
  o.block_bytes = 64;
  std::vector<std::string> errors;
  std::string data = "1,A,x,1,d,2,3,UK\n2,B," + std::string(5000, 'y') + ",1,d,2,3,UK\n3,C,x,1,d,2,3,UK\n";
  auto rows = read_all(data, o, 10, &errors);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(errors[0], "");
  EXPECT_NE(errors[1].find("longer than 100 bytes"), std::string::npos);
  EXPECT_EQ(rows[2][0], "3");
}

TEST(CsvReader, ValidatesUtf8PerRecord) {
  CsvReader reader(memory_reader("1,A,ok £,1,d,2,3,UK\n2,B,bad \xFF,1,d,2,3,UK\n"));
  std::vector<InputRow> rows;
  ASSERT_TRUE(reader.read_batch(rows, 10));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].valid_utf8);
  EXPECT_FALSE(rows[1].valid_utf8);
  EXPECT_EQ(rows[1].raw, "2,B,bad \xFF,1,d,2,3,UK");
}
