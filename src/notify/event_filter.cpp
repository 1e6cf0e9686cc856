#include "notify/event_filter.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

#include <simdjson.h>

namespace shopflow {

namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == ':'; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A whole decimal number ("500", "-2.5", "1e3"), else nullopt.
std::optional<double> number_of(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

class Lexer {
public:
  explicit Lexer(std::string_view text) : text_(text) {}
  [[noreturn]] void fail(const std::string& why) const { throw EventFilterError(why + " at offset " + std::to_string(at_), at_); }
  void skip_space() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }
  bool done() {
    skip_space();
    return at_ >= text_.size();
  }
  // The next word (a name, a keyword or a bare value) without taking it.
  std::string_view peek_word() {
    skip_space();
    size_t end = at_;
    while (end < text_.size() && word_char(text_[end])) ++end;
    return text_.substr(at_, end - at_);
  }
  std::string_view word(const char* what) {
    std::string_view w = peek_word();
    if (w.empty()) fail("expected " + std::string(what));
    at_ += w.size();
    return w;
  }
  bool take_keyword(std::string_view keyword) {
    if (lower(peek_word()) != keyword) return false;
    at_ += keyword.size();
    return true;
  }
  bool take(std::string_view symbol) {
    skip_space();
    if (text_.substr(at_, symbol.size()) != symbol) return false;
    at_ += symbol.size();
    return true;
  }
  EventFilter::Value value() {
    skip_space();
    if (at_ < text_.size() && (text_[at_] == '\'' || text_[at_] == '"')) {
      char quote = text_[at_++];
      size_t end = text_.find(quote, at_);
      if (end == std::string_view::npos) fail("a text opened with " + std::string(1, quote) + " is not closed");
      EventFilter::Value v;
      v.text = std::string(text_.substr(at_, end - at_));
      at_ = end + 1;
      return v;
    }
    std::string_view w = word("a value (a number, 'text' or a word)");
    EventFilter::Value v;
    if (std::optional<double> n = number_of(w)) {
      v.is_number = true;
      v.number = *n;
    }
    v.text = std::string(w);
    return v;
  }

  std::vector<EventFilter::Value> list() {
    if (!take("[")) fail("expected [ to open the list");
    std::vector<EventFilter::Value> values;
    do values.push_back(value());
    while (take(","));
    if (!take("]")) fail("expected , or ] in the list");
    return values;
  }

private:
  std::string_view text_;
  size_t at_ = 0;
};

// A body field's value as a filter value: numbers (JSON numbers, or texts that are numbers, as
// the events write money: "9616.310") compare as numbers.
std::optional<EventFilter::Value> field_value(simdjson::dom::element e) {
  EventFilter::Value v;
  switch (e.type()) {
  case simdjson::dom::element_type::STRING:
    v.text = std::string(std::string_view(e.get_string().value_unsafe()));
    if (std::optional<double> n = number_of(v.text)) {
      v.is_number = true;
      v.number = *n;
    }
    return v;
  case simdjson::dom::element_type::INT64: v.is_number = true; v.number = static_cast<double>(e.get_int64().value_unsafe()); return v;
  case simdjson::dom::element_type::UINT64: v.is_number = true; v.number = static_cast<double>(e.get_uint64().value_unsafe()); return v;
  case simdjson::dom::element_type::DOUBLE: v.is_number = true; v.number = e.get_double().value_unsafe(); return v;
  case simdjson::dom::element_type::BOOL: v.text = e.get_bool().value_unsafe() ? "true" : "false"; return v;
  default: return std::nullopt; // null, arrays and objects equal nothing
  }
}

bool equal(const EventFilter::Value& field, const EventFilter::Value& wanted) {
  if (wanted.is_number) return field.is_number && field.number == wanted.number;
  return field.text == wanted.text;
}

bool holds(const EventFilter::Condition& c, const std::optional<EventFilter::Value>& field, bool present) {
  using Op = EventFilter::Op;
  if (c.op == Op::Exists) return present;
  if (c.op == Op::NotExists) return !present;
  if (c.op == Op::NotIn)
    return !field || std::none_of(c.values.begin(), c.values.end(), [&](const EventFilter::Value& v) { return equal(*field, v); });
  if (!field) return false;
  const EventFilter::Value& v = c.values.front();
  switch (c.op) {
  case Op::Eq: return equal(*field, v);
  case Op::Ne: return !equal(*field, v);
  case Op::Prefix: return !field->is_number && field->text.starts_with(v.text);
  case Op::In: return std::any_of(c.values.begin(), c.values.end(), [&](const EventFilter::Value& w) { return equal(*field, w); });
  default: break;
  }
  if (!field->is_number || !v.is_number) return false; // order is for numbers
  switch (c.op) {
  case Op::Lt: return field->number < v.number;
  case Op::Le: return field->number <= v.number;
  case Op::Gt: return field->number > v.number;
  case Op::Ge: return field->number >= v.number;
  default: return false;
  }
}

} // namespace

EventFilter EventFilter::parse(std::string_view text) {
  EventFilter f;
  f.text_ = std::string(text);
  Lexer in(text);
  while (!in.done()) {
    if (!f.conditions_.empty() && !in.take_keyword("and")) in.fail("expected 'and' between conditions");
    Condition c;
    bool negated = false;
    if (lower(in.peek_word()) == "not") {
      in.take_keyword("not");
      negated = true;
    }
    std::string_view field = in.word("a field name");
    if (!std::all_of(field.begin(), field.end(), [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; }))
      in.fail("'" + std::string(field) + "' is not a field name (letters, digits, _)");
    c.field = std::string(field);
    if (negated) {
      if (!in.take_keyword("exists")) in.fail("'not' before a field is followed by 'exists'");
      c.op = Op::NotExists;
    } else if (in.take_keyword("exists")) {
      c.op = Op::Exists;
    } else if (in.take_keyword("in")) {
      c.op = Op::In;
      c.values = in.list();
    } else if (in.take_keyword("not")) {
      if (!in.take_keyword("in")) in.fail("expected 'in' after 'not'");
      c.op = Op::NotIn;
      c.values = in.list();
    } else {
      static constexpr std::pair<std::string_view, Op> kOps[] = {{"<=", Op::Le}, {">=", Op::Ge}, {"!=", Op::Ne}, {"=", Op::Eq},
                                                                  {"<", Op::Lt},  {">", Op::Gt}};
      bool found = false;
      for (auto [symbol, op] : kOps)
        if (in.take(symbol)) {
          c.op = op;
          found = true;
          break;
        }
      if (!found && in.take_keyword("prefix")) {
        c.op = Op::Prefix;
        found = true;
      }
      if (!found) in.fail("expected an operator (= != < <= > >= prefix in, not in, exists) after '" + c.field + "'");
      c.values.push_back(in.value());
      if ((c.op == Op::Lt || c.op == Op::Le || c.op == Op::Gt || c.op == Op::Ge) && !c.values.back().is_number)
        in.fail("'" + c.field + "' is compared by order with a number, not '" + c.values.back().text + "'");
    }
    f.conditions_.push_back(std::move(c));
  }
  return f;
}

bool EventFilter::matches(std::string_view json_body) const {
  thread_local simdjson::dom::parser parser; // its buffers serve every event of the thread
  simdjson::dom::object body;
  if (parser.parse(json_body.data(), json_body.size()).get_object().get(body)) return false;
  for (const Condition& c : conditions_) {
    simdjson::dom::element e;
    bool present = !body[c.field].get(e);
    std::optional<Value> field = present ? field_value(e) : std::nullopt;
    if (!holds(c, field, present)) return false;
  }
  return true;
}

} // namespace shopflow
