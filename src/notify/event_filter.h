// A subscription's filter on an event's body, in the style of SNS filter policies, written as
// text: conditions on the body's top-level fields, all of which must hold.
//
//   filter     := condition ( "and" condition )*        (empty text: every event)
//   condition  := FIELD op value | FIELD "in" list | FIELD "not" "in" list | FIELD "exists"
//               | "not" FIELD "exists"
//   op         := "=" | "!=" | "<" | "<=" | ">" | ">=" | "prefix"
//   list       := "[" value ( "," value )* "]"
//   value      := NUMBER | 'text' | "text" | WORD                (WORD: letters, digits, _ . - :)
//
// FIELD is a name (letters, digits, _). Numbers compare as numbers (a body's "500.000" and 500
// are equal; a text never equals a number), texts as exact bytes; "prefix" is for texts. A field
// the body lacks fails every condition but "not ... exists" and "not in". Keywords are
// case-insensitive. e.g.  country in [France, Germany] and amount >= 500
//                        reason = bad_debt
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace shopflow {

// What is wrong with a filter's text, and where (0-based byte offset).
struct EventFilterError : std::invalid_argument {
  EventFilterError(const std::string& what, size_t at) : std::invalid_argument(what), offset(at) {}
  size_t offset;
};

class EventFilter {
public:
  // Throws EventFilterError naming what is wrong and where.
  static EventFilter parse(std::string_view text);
  // Whether an event body (a JSON object) passes. A body that is not a JSON object passes none.
  bool matches(std::string_view json_body) const;
  const std::string& text() const { return text_; }

  struct Value {
    bool is_number = false;
    double number = 0;
    std::string text;
  };
  enum class Op { Eq, Ne, Lt, Le, Gt, Ge, Prefix, In, NotIn, Exists, NotExists };
  struct Condition {
    std::string field;
    Op op = Op::Eq;
    std::vector<Value> values; // one, or the list of in / not in; none for exists
  };

private:
  std::string text_;
  std::vector<Condition> conditions_;
};

} // namespace shopflow
