// Table-driven tests of the cleaning contract (CONTRACT.md): each case is one CSV line.
#include <gtest/gtest.h>

#include "core/clean.h"
#include "core/line_type.h"
#include "util/utf8.h"
#include "formats/csv_reader.h"

using namespace shopflow;

namespace {

struct Case {
  const char* csv;                 // one data line (no header)
  Destination destination;
  RejectReason reason;
  const char* detail_contains = ""; // for rejected rows
};

CleanResult clean_line(const std::string& line, std::vector<InputRow>& rows, std::unique_ptr<CsvReader>& keep) {
  keep = std::make_unique<CsvReader>(memory_reader(line));
  keep->read_batch(rows, 10);
  EXPECT_EQ(rows.size(), 1u) << line;
  return clean(rows.at(0));
}

} // namespace

TEST(Clean, DestinationRulesInOrder) {
  using D = Destination;
  using R = RejectReason;
  const Case cases[] = {
      {"536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom", D::Transactions, R::None},
      {"C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom", D::Cancellations, R::None},
      {"c536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom", D::Cancellations, R::None},
      // Rule 2 comes before 4 and 5: a cancellation with zero price is still a cancellation.
      {"C536380,22000,X,-1,2010-12-01 09:41:00,0,,United Kingdom", D::Cancellations, R::None},
      {"A563185,B,Adjust bad debt,1,2011-08-12 14:50:00,11062.06,,United Kingdom", D::Rejected, R::BadDebt, "bad-debt"},
      {"a563185,B,Adjust bad debt,1,2011-08-12 14:50:00,11062.06,,United Kingdom", D::Rejected, R::BadDebt},
      {"536589,21777,,-10,2010-12-01 16:50:00,0,,United Kingdom", D::Rejected, R::NonPositiveQuantity, "Quantity"},
      {"536589,21777,x,0,2010-12-01 16:50:00,1,,United Kingdom", D::Rejected, R::NonPositiveQuantity},
      {"536414,22139,,56,2010-12-01 11:52:00,0,,United Kingdom", D::Rejected, R::NonPositivePrice, "UnitPrice"},
      {"536414,22139,x,56,2010-12-01 11:52:00,-1.5,,United Kingdom", D::Rejected, R::NonPositivePrice},
      // Rule 1: malformed, each naming the field.
      {"536365,85123A,X,6,2010-12-01 08:26:00,2.55,17850.0", D::Rejected, R::Malformed, "too few fields"},
      {"536365,85123A,X,6,2010-12-01 08:26:00,2.55,17850.0,UK,extra", D::Rejected, R::Malformed, "too many fields"},
      {"536365,85123A,X,six,2010-12-01 08:26:00,2.55,17850.0,UK", D::Rejected, R::Malformed, "Quantity"},
      {"536365,85123A,X,6.5,2010-12-01 08:26:00,2.55,17850.0,UK", D::Rejected, R::Malformed, "Quantity"},
      {"536365,85123A,X,6,2011-13-45 25:61:00,2.55,17850.0,UK", D::Rejected, R::Malformed, "InvoiceDate"},
      {"536365,85123A,X,6,2010-12-01 08:26:00,2..55,17850.0,UK", D::Rejected, R::Malformed, "UnitPrice"},
      {",85123A,X,6,2010-12-01 08:26:00,2.55,17850.0,UK", D::Rejected, R::Malformed, "InvoiceNo"},
      {"  ,85123A,X,6,2010-12-01 08:26:00,2.55,17850.0,UK", D::Rejected, R::Malformed, "InvoiceNo"},
      {"536365,,X,6,2010-12-01 08:26:00,2.55,17850.0,UK", D::Rejected, R::Malformed, "StockCode"},
      {"536365,85123A,BROKEN \xC3\x28 TEXT,6,2010-12-01 08:26:00,2.55,17850.0,UK", D::Rejected, R::Malformed, "UTF-8"},
      {"536365,85123A,HALF \"QUOTED,6,2010-12-01 08:26:00,2.55,17850.0,UK", D::Rejected, R::Malformed, "quote"},
      // Rule 1 wins over rule 2: a malformed cancellation is malformed.
      {"C536379,D,Discount,x,2010-12-01 09:41:00,27.5,14527.0,United Kingdom", D::Rejected, R::Malformed, "Quantity"},
  };
  for (const Case& c : cases) {
    std::vector<InputRow> rows;
    std::unique_ptr<CsvReader> reader;
    CleanResult r = clean_line(c.csv, rows, reader);
    EXPECT_EQ(r.destination, c.destination) << c.csv;
    EXPECT_EQ(r.reason, c.reason) << c.csv;
    EXPECT_NE(std::string(r.detail).find(c.detail_contains), std::string::npos) << c.csv << " -> " << r.detail;
    if (r.destination == Destination::Rejected) {
      EXPECT_FALSE(r.detail.empty()) << c.csv;
    }
  }
}

TEST(Clean, CleanedFields) {
  std::vector<InputRow> rows;
  std::unique_ptr<CsvReader> reader;
  CleanResult r = clean_line(" 536365 , 85123A ,\"  RECORD FRAME 7\"\" SINGLE SIZE  \",6,12/1/2010 8:26,2.55,17850.0, United Kingdom ",
                             rows, reader);
  ASSERT_EQ(r.destination, Destination::Transactions);
  EXPECT_EQ(r.line.invoice_no, "536365");
  EXPECT_EQ(r.line.stock_code, "85123A");
  EXPECT_EQ(r.line.description, "RECORD FRAME 7\" SINGLE SIZE");
  EXPECT_TRUE(r.line.has_description);
  EXPECT_EQ(r.line.quantity, 6);
  EXPECT_EQ(r.line.unit_price_milli, 2550);
  EXPECT_EQ(r.line.amount_milli, 15300);
  EXPECT_EQ(r.line.customer_id, "17850");
  EXPECT_EQ(r.line.country, "United Kingdom");
  EXPECT_EQ(r.line.line_type, LineType::Product);

  for (const char* id : {"", "NaN", "nan"}) {
    std::string line = std::string("536365,85123A,,6,2010-12-01 08:26:00,2.55,") + id + ",United Kingdom";
    CleanResult u = clean_line(line, rows, reader);
    EXPECT_EQ(u.line.customer_id, "Unknown") << id;
    EXPECT_FALSE(u.line.has_description); // empty description is null
  }
  EXPECT_EQ(clean_line("536365,85123A,,6,2010-12-01 08:26:00,2.55,17850,UK", rows, reader).line.customer_id, "17850");
  EXPECT_EQ(clean_line("536365,85123A,,6,2010-12-01 08:26:00,2.55,17850.5,UK", rows, reader).line.customer_id, "17850.5");
}

TEST(Clean, LineTypes) {
  const std::pair<const char*, LineType> cases[] = {
      {"85123A", LineType::Product}, {"71053", LineType::Product}, {"15056BL", LineType::Product},
      {"POST", LineType::Postage}, {"DOT", LineType::Postage}, {"C2", LineType::Postage},
      {"BANK CHARGES", LineType::Fee}, {"AMAZONFEE", LineType::Fee}, {"CRUK", LineType::Fee}, {"PADS", LineType::Fee},
      {"D", LineType::Discount}, {"M", LineType::Manual}, {"m", LineType::Manual}, {"S", LineType::Sample},
      {"gift_0001_20", LineType::Voucher}, {"DCGS0076", LineType::Other}, {"B", LineType::Other},
      {"8512", LineType::Other}, {"85123-A", LineType::Other}};
  for (auto& [code, type] : cases) EXPECT_EQ(classify_stock_code(code), type) << code;
  EXPECT_EQ(line_type_name(LineType::Voucher), "voucher");
}

TEST(Clean, InvalidUtf8IsEscapedForStorage) {
  EXPECT_EQ(escape_invalid_utf8("ok £ \xC3\x28 x\xFF"), "ok £ \\xC3( x\\xFF");
  EXPECT_EQ(escape_invalid_utf8("\xED\xA0\x80"), "\\xED\\xA0\\x80"); // a surrogate
}
