#include "notify/order_tracker.h"

#include <stdexcept>

#include "core/timestamp.h"
#include "util/byte_codec.h"
#include "util/json_writer.h"

namespace shopflow {

void OrderTracker::add(const OrderLine& line, int64_t now_ms) {
  auto it = orders_.find(line.invoice_no);
  if (it == orders_.end()) it = orders_.emplace(std::string(line.invoice_no), Order{}).first;
  Order& o = it->second;
  if (o.open) open_.erase({o.last_line_ms, it->first});
  if (o.lines == 0) {
    o.customer_id = std::string(line.customer_id);
    o.country = std::string(line.country);
    o.invoice_date_us = line.invoice_date_us;
    o.cancellation = line.cancellation;
  }
  // One value per order whatever the lines' order: the smallest, as the warehouse's views take.
  if (std::string_view(line.customer_id) < o.customer_id) o.customer_id = std::string(line.customer_id);
  if (std::string_view(line.country) < o.country) o.country = std::string(line.country);
  o.invoice_date_us = std::min(o.invoice_date_us, line.invoice_date_us);
  ++o.lines;
  o.quantity += line.quantity;
  o.amount_milli += line.amount_milli;
  o.last_line_ms = now_ms;
  o.open = true;
  open_.insert({o.last_line_ms, it->first});
  changed_.insert(it->first);
}

OrderEvent OrderTracker::event_of(const std::string& invoice, const Order& o) const {
  OrderEvent e;
  e.invoice_no = invoice;
  e.type = o.reported > 1 ? "order.updated" : o.cancellation ? "order.cancelled" : "order.completed";
  e.id = e.type + "/" + invoice + "/" + std::to_string(o.reported);
  JsonWriter w;
  std::string amount = format_milli(o.amount_milli);
  w.begin_object()
      .field("invoice_no", invoice)
      .field("customer_id", o.customer_id)
      .field("country", o.country)
      .field("invoice_date", format_timestamp(o.invoice_date_us))
      .field("lines", o.lines)
      .field("quantity", o.quantity)
      .field("amount", amount)
      .field("cancelled", o.cancellation)
      .field("version", o.reported)
      .end_object();
  e.body = w.take();
  return e;
}

std::vector<OrderEvent> OrderTracker::take_due(int64_t now_ms) {
  std::vector<OrderEvent> due;
  while (!open_.empty() && open_.begin()->first <= now_ms - quiet_ms_) {
    auto [last, invoice] = *open_.begin();
    open_.erase(open_.begin());
    Order& o = orders_.find(invoice)->second;
    o.open = false;
    ++o.reported;
    due.push_back(event_of(invoice, o));
    changed_.insert(invoice);
  }
  // Reported orders whose last line is older than remember_ms are forgotten.
  for (auto it = orders_.begin(); it != orders_.end();) {
    if (!it->second.open && it->second.last_line_ms <= now_ms - remember_ms_) {
      changed_.insert(it->first);
      it = orders_.erase(it);
    } else {
      ++it;
    }
  }
  return due;
}

std::vector<std::pair<std::string, std::optional<std::string>>> OrderTracker::take_changed() {
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  for (const std::string& invoice : changed_) {
    auto it = orders_.find(invoice);
    out.emplace_back(invoice, it == orders_.end() ? std::nullopt : std::optional<std::string>(encode(it->second)));
  }
  changed_.clear();
  return out;
}

// Format: u8 version 1, then customer_id, country (u32-length strings), invoice_date_us,
// last_line_ms (i64), lines (u64), quantity (i64), amount_milli (two i64 halves, low first),
// reported (u32), cancellation and open (u8 each).
std::string OrderTracker::encode(const Order& o) {
  std::string out;
  put_num<uint8_t>(out, 1);
  put_str(out, o.customer_id);
  put_str(out, o.country);
  put_num<int64_t>(out, o.invoice_date_us);
  put_num<int64_t>(out, o.last_line_ms);
  put_num<uint64_t>(out, o.lines);
  put_num<int64_t>(out, o.quantity);
  put_num<uint64_t>(out, static_cast<uint64_t>(static_cast<unsigned __int128>(o.amount_milli)));
  put_num<uint64_t>(out, static_cast<uint64_t>(static_cast<unsigned __int128>(o.amount_milli) >> 64));
  put_num<uint32_t>(out, o.reported);
  put_num<uint8_t>(out, o.cancellation);
  put_num<uint8_t>(out, o.open);
  return out;
}

void OrderTracker::load(std::string_view invoice_no, std::string_view encoded) {
  ByteReader in{encoded};
  Order o;
  const uint8_t version = in.num<uint8_t>();
  o.customer_id = std::string(in.str());
  o.country = std::string(in.str());
  o.invoice_date_us = in.num<int64_t>();
  o.last_line_ms = in.num<int64_t>();
  o.lines = in.num<uint64_t>();
  o.quantity = in.num<int64_t>();
  const uint64_t low = in.num<uint64_t>(), high = in.num<uint64_t>();
  o.amount_milli = static_cast<MoneySum>((static_cast<unsigned __int128>(high) << 64) | low);
  o.reported = in.num<uint32_t>();
  o.cancellation = in.num<uint8_t>() != 0;
  o.open = in.num<uint8_t>() != 0;
  if (!in.ok || version != 1 || !in.in.empty())
    throw std::runtime_error("notify: the stored state of order " + std::string(invoice_no) + " is damaged");
  auto [it, inserted] = orders_.insert_or_assign(std::string(invoice_no), std::move(o));
  (void)inserted;
  if (it->second.open) open_.insert({it->second.last_line_ms, it->first});
}

} // namespace shopflow
