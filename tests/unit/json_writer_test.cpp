// The JSON writer (util/json_writer.h): escaping, exact number text, refusals; each case's output
// is also read back with simdjson.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <random>

#include "util/json_writer.h"

using namespace shopflow;

TEST(JsonWriter, StringsAreEscapedAndReadBack) {
  struct Case {
    std::string text, json;
  };
  const Case cases[] = {
      {"plain", "\"plain\""},
      {"a\"b\\c", "\"a\\\"b\\\\c\""},
      {"line\nbreak\ttab\r", "\"line\\nbreak\\ttab\\r\""},
      {std::string("nul\0x", 5), "\"nul\\u0000x\""},
      {"\x01\x1f", "\"\\u0001\\u001F\""},
      {"£ € 漢 😀", "\"£ € 漢 😀\""},
      {"</script>", "\"</script>\""},
      {"", "\"\""},
      {" ~\x7f", "\" ~\x7f\""}, // the ends of printable ASCII, and DEL (JSON leaves it as is)
      {"0123456 ~\x7f" "89abcdef", "\"0123456 ~\x7f" "89abcdef\""}, // the same within eight-byte words
      {"01234567\"9abcdef\\", "\"01234567\\\"9abcdef\\\\\""},
      {"0123456789ab\ncd\x1f", "\"0123456789ab\\ncd\\u001F\""},
      {"012345\xc3\xa9" "012345", "\"012345\xc3\xa9" "012345\""},
      // Long text copied whole (plain ASCII), and long text escaped or checked at its last byte.
      {std::string(70000, 'x'), "\"" + std::string(70000, 'x') + "\""},
      {std::string(70000, 'x') + "\"", "\"" + std::string(70000, 'x') + "\\\"\""},
      {std::string(70000, 'x') + "\xc3\xa9", "\"" + std::string(70000, 'x') + "\xc3\xa9\""},
  };
  simdjson::dom::parser parser;
  for (const Case& c : cases) {
    std::string json = json_string(c.text);
    EXPECT_EQ(json, c.json) << c.text;
    std::string_view back;
    ASSERT_FALSE(parser.parse(json).get_string().get(back)) << json;
    EXPECT_EQ(back, c.text);
    // As a key too.
    JsonWriter w;
    std::string object = w.begin_object().key(c.text).value(c.text).end_object().take();
    EXPECT_EQ(object, "{" + c.json + ":" + c.json + "}");
  }
}

// Random ASCII text, every byte from 0 to 0x7f likely at every place of an eight-byte word: the
// JSON parses back to the text, and holds no control byte, quote or backslash unescaped.
TEST(JsonWriter, AnyAsciiTextReadsBack) {
  std::mt19937 random(7);
  simdjson::dom::parser parser;
  for (int i = 0; i < 5000; ++i) {
    std::string text(random() % 40, ' ');
    for (char& c : text) c = static_cast<char>(random() % 4 ? 'a' + random() % 26 : random() % 0x80);
    std::string json = json_string(text);
    std::string_view back;
    ASSERT_FALSE(parser.parse(json).get_string().get(back)) << json;
    ASSERT_EQ(back, text);
  }
}

TEST(JsonWriter, TextThatIsNotUtf8IsRefused) {
  for (std::string_view bad : {"\xff", "a\xc3", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80"})
    EXPECT_THROW(json_string(bad), std::invalid_argument) << bad;
  // An error answer quotes what a client sent: its bad bytes are shown, not refused.
  EXPECT_EQ(error_json("no invoice \xff" "1"), "{\"error\":\"no invoice \\\\xFF1\"}");
}

TEST(JsonWriter, ValuesKeepTheirText) {
  JsonWriter w;
  w.begin_object()
      .field("money", JsonNumber{"823746.14"})
      .field("exact", JsonNumber{"15.30"})
      .field("count", uint64_t{18446744073709551615u})
      .field("negative", int64_t{-9223372036854775807 - 1})
      .field("small", 7)
      .field("ratio", 0.1)
      .field("nan", std::numeric_limits<double>::quiet_NaN())
      .field("yes", true)
      .field("none", std::optional<std::string>{})
      .field("some", std::optional<std::string>{"x"})
      .key("raw")
      .value(JsonRaw{"{\"rows\":[[1,\"a\"]]}"})
      .key("list")
      .begin_array()
      .value("a")
      .value(nullptr)
      .end_array()
      .end_object();
  EXPECT_EQ(w.view(), "{\"money\":823746.14,\"exact\":15.30,\"count\":18446744073709551615,\"negative\":-9223372036854775808,"
                      "\"small\":7,\"ratio\":0.1,\"nan\":null,\"yes\":true,\"none\":null,\"some\":\"x\",\"raw\":{\"rows\":[[1,\"a\"]]},"
                      "\"list\":[\"a\",null]}");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(w.take()).get(doc));
  EXPECT_EQ(std::string_view(doc["raw"]["rows"].at(0).at(1).get_string().value()), "a");
}

TEST(JsonWriter, MisuseThrowsInsteadOfWritingBrokenJson) {
  EXPECT_THROW(JsonWriter().begin_object().value(1), std::logic_error);  // a value where a key belongs
  EXPECT_THROW(JsonWriter().begin_array().end_object(), std::logic_error);
}
