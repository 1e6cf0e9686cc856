// Subscription filters (notify/event_filter.h) on any text: parsing either succeeds or throws
// EventFilterError with an offset inside the text; a parsed filter evaluates any body without
// crashing, and parsing its own text again gives a filter that decides alike.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "notify/event_filter.h"

using namespace shopflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  // The first line is the filter, the rest an event body.
  size_t newline = input.find('\n');
  std::string text = input.substr(0, newline), body = newline == std::string::npos ? "{}" : input.substr(newline + 1);
  try {
    EventFilter f = EventFilter::parse(text);
    bool first = f.matches(body);
    if (EventFilter::parse(f.text()).matches(body) != first) std::abort();
  } catch (const EventFilterError& e) {
    if (e.offset > text.size()) std::abort();
  }
  return 0;
}
