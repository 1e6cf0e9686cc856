#include "gen/generator.h"

#include <array>
#include <cmath>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/timestamp.h"
#include "formats/csv_field.h"
#include "util/json_writer.h"

namespace shopflow {

namespace {

// xoshiro256** seeded by splitmix64: fast and identical on every platform.
class Rng {
public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9E3779B97F4A7C15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      s = z ^ (z >> 31);
    }
  }
  uint64_t next() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0]; s_[3] ^= s_[1]; s_[1] ^= s_[2]; s_[0] ^= s_[3]; s_[2] ^= t; s_[3] = rotl(s_[3], 45);
    return result;
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>((next() >> 32) * n >> 32); }
  double uniform() { return (next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return uniform() < p; }
  double normal() { // Box-Muller
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1 + 1e-300)) * std::cos(6.283185307179586 * u2);
  }

private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_{};
};

constexpr std::array<const char*, 12> kColors = {"WHITE", "RED", "PINK", "BLUE", "GREEN", "IVORY", "BLACK", "CREAM",
                                                 "PURPLE", "SILVER", "GOLD", "ASSORTED COLOUR"};
constexpr std::array<const char*, 16> kStyles = {"VINTAGE", "RETRO", "HANGING", "KNITTED", "GLASS", "WOODEN", "METAL",
                                                 "ENAMEL", "CERAMIC", "FELT", "PAPER", "LACE", "REGENCY", "SWEETHEART",
                                                 "ANTIQUE", "SMALL"};
constexpr std::array<const char*, 16> kThemes = {"HEART", "UNION FLAG", "SPACEBOY", "DOLLY GIRL", "CHRISTMAS", "PAISLEY",
                                                 "POLKADOT", "BIRD", "ROSE", "STRAWBERRY", "SKULL", "LOVE",
                                                 "JAM MAKING", "WOODLAND", "GINGHAM", "SPOTTY"};
constexpr std::array<const char*, 24> kNouns = {"T-LIGHT HOLDER", "LANTERN", "COAT HANGER", "HOT WATER BOTTLE", "MUG",
                                                "LUNCH BAG", "METAL SIGN", "CAKE STAND", "TEA SET", "DOORMAT",
                                                "JUMBO BAG", "PHOTO FRAME", "CANDLE", "NAPKINS", "BUNTING", "CLOCK",
                                                "STORAGE TIN", "PURSE", "NOTEBOOK", "CUSHION COVER", "ORNAMENT",
                                                "WRAP", "CHALKBOARD", "BIRTHDAY CARD"};
constexpr std::array<const char*, 37> kOtherCountries = {
    "Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium", "Switzerland", "Portugal", "Australia", "Norway",
    "Italy", "Channel Islands", "Finland", "Cyprus", "Sweden", "Unspecified", "Austria", "Denmark", "Japan", "Poland",
    "Israel", "USA", "Hong Kong", "Singapore", "Iceland", "Canada", "Greece", "Malta", "United Arab Emirates",
    "European Community", "RSA", "Lebanon", "Lithuania", "Brazil", "Czech Republic", "Bahrain", "Saudi Arabia"};
constexpr std::array<int, 16> kQuantities = {1, 2, 3, 4, 6, 8, 10, 12, 12, 24, 6, 2, 1, 36, 48, 4};
constexpr std::array<int, 12> kPriceCents = {42, 55, 65, 85, 125, 165, 195, 255, 295, 375, 495, 795};

struct Product {
  std::string code;
  std::string csv_desc, json_desc; // already escaped for the format
  int64_t price_milli;
  std::string price_text; // "2.55"
};

struct NonProduct {
  const char* code;
  const char* description;
  int64_t price_milli;
  double weight;
};
constexpr std::array<NonProduct, 11> kNonProducts = {{
    {"POST", "POSTAGE", 18000, 0.45},
    {"DOT", "DOTCOM POSTAGE", 58000, 0.12},
    {"M", "Manual", 2500, 0.12},
    {"C2", "CARRIAGE", 50000, 0.03},
    {"D", "Discount", 2000, 0.02},  // sent with a negative quantity: lands in cancellations or rejected
    {"S", "SAMPLES", 3000, 0.01},
    {"BANK CHARGES", "Bank Charges", 15000, 0.02},
    {"AMAZONFEE", "AMAZON FEE", 130000, 0.01},
    {"CRUK", "CRUK Commission", 10000, 0.005},
    {"PADS", "PADS TO MATCH ALL CUSHIONS", 1, 0.005},
    {"gift_0001_20", "Dotcomgiftshop Gift Voucher £20.00", 17000, 0.02},
}};

std::string price_text(int64_t milli) {
  std::string s = std::to_string(milli / 1000);
  int64_t frac = milli % 1000;
  if (frac) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    s += f;
  }
  return s;
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = char('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) out.push_back(buf[--n]);
}
void append_int(std::string& out, int64_t v) {
  if (v < 0) {
    out.push_back('-');
    append_uint(out, uint64_t(0) - uint64_t(v));
  } else {
    append_uint(out, uint64_t(v));
  }
}

struct Customer {
  std::string csv_id, json_id; // "17850.0"
  uint16_t country;            // 0 = United Kingdom, else 1 + index into kOtherCountries
};

struct Line {
  std::string_view code, csv_desc, json_desc, price;
  int64_t quantity;
  bool no_description = false;
};

class Generator {
public:
  Generator(const GeneratorOptions& o, const std::function<void(std::string_view)>& sink) : o_(o), sink_(sink), rng_(o.seed) {
    build_catalog();
    build_customers();
    build_calendar();
    out_.reserve(kFlushBytes + 4096);
  }

  GeneratorStats run() {
    if (!o_.ndjson) out_ += "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";
    uint64_t expected_invoices = std::max<uint64_t>(1, o_.rows / 20);
    uint64_t invoice_no = 536365;
    uint64_t k = 0;
    while (stats_.rows < o_.rows) {
      double progress = std::min(1.0, double(k++) / double(expected_invoices));
      set_invoice_time(progress);
      emit_invoice(invoice_no++);
      if (rng_.chance(0.0002)) emit_bad_debt(invoice_no++);
    }
    flush(true);
    return stats_;
  }

private:
  static constexpr size_t kFlushBytes = 1 << 20;

  void build_catalog() {
    std::unordered_set<std::string> codes, descs;
    products_.reserve(4000);
    while (products_.size() < 4000) {
      uint32_t n = 10000 + rng_.below(80000);
      std::string code = std::to_string(n);
      if (rng_.chance(0.25)) code.push_back(char('A' + rng_.below(8)));
      if (rng_.chance(0.01)) code += "L";
      std::string desc;
      uint32_t shape = rng_.below(4);
      if (shape == 0) desc = std::string(kColors[rng_.below(kColors.size())]) + " " + kThemes[rng_.below(kThemes.size())] + " " + kNouns[rng_.below(kNouns.size())];
      else if (shape == 1) desc = std::string(kStyles[rng_.below(kStyles.size())]) + " " + kColors[rng_.below(kColors.size())] + " " + kNouns[rng_.below(kNouns.size())];
      else if (shape == 2) desc = std::string(kStyles[rng_.below(kStyles.size())]) + " " + kThemes[rng_.below(kThemes.size())] + " " + kNouns[rng_.below(kNouns.size())];
      else desc = std::string(kThemes[rng_.below(kThemes.size())]) + " " + kStyles[rng_.below(kStyles.size())] + " " + kColors[rng_.below(kColors.size())] + " " + kNouns[rng_.below(kNouns.size())];
      if (rng_.chance(0.02)) desc = std::string(kStyles[rng_.below(kStyles.size())]) + " LOUNGE," + kNouns[rng_.below(kNouns.size())];
      if (rng_.chance(0.005)) desc = "RECORD FRAME " + std::to_string(5 + rng_.below(6)) + "\" " + kColors[rng_.below(kColors.size())];
      if (!codes.insert(code).second || !descs.insert(desc).second) continue;
      int64_t price = kPriceCents[rng_.below(kPriceCents.size())] * 10;
      if (rng_.chance(0.1)) price *= 3;
      products_.push_back({code, csv_field(desc), json_string(desc), price, price_text(price)});
    }
    for (auto& np : kNonProducts) {
      non_products_.push_back({np.code, csv_field(np.description), json_string(np.description), np.price_milli, price_text(np.price_milli)});
      non_product_weight_total_ += np.weight;
    }
    no_desc_csv_ = "";
    no_desc_json_ = "null";
  }

  void build_customers() {
    customers_.reserve(4400);
    for (uint32_t i = 0; i < 4400; ++i) {
      uint32_t id = 12346 + i;
      uint16_t country = 0;
      if (!rng_.chance(0.90)) {
        // A skewed choice: the first countries are the common ones.
        double u = rng_.uniform();
        country = static_cast<uint16_t>(1 + std::min<size_t>(kOtherCountries.size() - 1, size_t(u * u * u * kOtherCountries.size())));
      }
      customers_.push_back({std::to_string(id) + ".0", std::to_string(id) + ".0", country});
    }
    country_csv_.push_back("United Kingdom");
    country_json_.push_back("\"United Kingdom\"");
    for (auto* c : kOtherCountries) {
      country_csv_.push_back(csv_field(c));
      country_json_.push_back(json_string(c));
    }
  }

  // Trading days from 2010-12-01 to 2011-12-09 (no Saturdays), weighted by season.
  void build_calendar() {
    int64_t first = days_from_civil(2010, 12, 1), last = days_from_civil(2011, 12, 9);
    double total = 0;
    for (int64_t d = first; d <= last; ++d) {
      int weekday = int((d + 4) % 7); // 1970-01-01 was a Thursday (4); 6 = Saturday
      if (weekday == 6) continue;
      CivilDate c = civil_from_days(d);
      static constexpr double kMonthWeight[13] = {0, 0.75, 0.65, 0.85, 0.75, 0.9, 0.9, 0.9, 0.9, 1.25, 1.4, 1.9, 1.0};
      double w = c.year == 2010 ? 0.85 : kMonthWeight[c.month];
      total += w;
      days_.push_back(d);
      cumulative_.push_back(total);
    }
    for (auto& c : cumulative_) c /= total;
  }

  void set_invoice_time(double progress) {
    while (day_index_ + 1 < days_.size() && cumulative_[day_index_] < progress) ++day_index_;
    double prev = day_index_ ? cumulative_[day_index_ - 1] : 0.0;
    double within = (progress - prev) / std::max(1e-12, cumulative_[day_index_] - prev);
    within = std::clamp(within, 0.0, 0.999);
    int64_t minutes = 7 * 60 + 30 + int64_t(within * 12.5 * 60);
    int64_t us = (days_[day_index_] * 1440 + minutes) * 60'000'000;
    if (us != time_us_) {
      time_us_ = us;
      date_csv_ = format_timestamp(us);
      date_json_.clear();
      append_int(date_json_, us / 1000);
    }
  }

  const Customer* pick_customer() { return rng_.chance(0.25) ? nullptr : &customers_[rng_.below(customers_.size())]; }

  uint32_t line_count() {
    if (rng_.chance(0.08)) return 1;
    double n = std::exp(2.55 + 0.95 * rng_.normal());
    return static_cast<uint32_t>(std::clamp(n, 1.0, 540.0));
  }

  const Product& pick_non_product() {
    double u = rng_.uniform() * non_product_weight_total_;
    for (size_t i = 0; i < kNonProducts.size(); ++i) {
      u -= kNonProducts[i].weight;
      if (u <= 0) return non_products_[i];
    }
    return non_products_[0];
  }

  void emit_invoice(uint64_t number) {
    const Customer* customer = pick_customer();
    uint16_t country = customer ? customer->country : (rng_.chance(0.98) ? 0 : 1 + rng_.below(kOtherCountries.size()));
    invoice_.clear();
    append_uint(invoice_, number);
    uint32_t lines = line_count();
    recent_.clear();
    for (uint32_t i = 0; i < lines && stats_.rows < o_.rows; ++i) {
      Line line;
      const Product* p;
      double u = rng_.uniform();
      if (u < 0.008 && !recent_.empty()) p = recent_[rng_.below(recent_.size())]; // a repeated pair
      else if (u < 0.016) p = &pick_non_product();
      else p = &products_[popular_product()];
      line.code = p->code;
      line.csv_desc = p->csv_desc;
      line.json_desc = p->json_desc;
      line.price = p->price_text;
      line.quantity = kQuantities[rng_.below(kQuantities.size())];
      if (p->code == "D") line.quantity = -1;
      const Customer* who = customer;
      double v = rng_.uniform();
      if (v < 0.003) { // no description: a stock check line, price 0, no customer, any sign
        line.csv_desc = no_desc_csv_;
        line.json_desc = no_desc_json_;
        line.price = "0";
        line.quantity = rng_.chance(0.5) ? -int64_t(1 + rng_.below(50)) : int64_t(1 + rng_.below(50));
        who = nullptr;
      } else if (v < 0.005) { // zero-price line
        line.price = "0";
      } else if (v < 0.007) { // non-positive adjustment without a C
        line.quantity = -int64_t(1 + rng_.below(20));
        line.price = "0";
        who = nullptr;
      }
      recent_.push_back(p);
      write_line(invoice_, line, who, country);
    }
    // Cancellations: about 15% of customer invoices get a C invoice undoing a few of their lines.
    if (customer && rng_.chance(0.15) && stats_.rows < o_.rows) {
      invoice_.insert(invoice_.begin(), 'C');
      uint32_t n = 1 + rng_.below(3);
      for (uint32_t i = 0; i < n && stats_.rows < o_.rows && !recent_.empty(); ++i) {
        const Product* p = recent_[rng_.below(recent_.size())];
        Line line{p->code, p->csv_desc, p->json_desc, p->price_text, -int64_t(kQuantities[rng_.below(kQuantities.size())]), false};
        write_line(invoice_, line, customer, country);
      }
    }
  }

  void emit_bad_debt(uint64_t number) {
    if (stats_.rows >= o_.rows) return;
    std::string inv = "A";
    append_uint(inv, number);
    static const std::string kDesc = "Adjust bad debt";
    std::string csv = kDesc, json = json_string(kDesc);
    std::string price = price_text(1000 + rng_.below(20000) * 1000 / 3);
    Line line{"B", csv, json, price, 1, false};
    write_line(inv, line, nullptr, 0);
  }

  // Zipf-like popularity: a few products sell much more than the rest.
  size_t popular_product() {
    double u = rng_.uniform();
    return std::min(products_.size() - 1, size_t(std::pow(u, 1.6) * products_.size()));
  }

  void write_line(std::string_view invoice, const Line& l, const Customer* c, uint16_t country) {
    ++stats_.rows;
    if (o_.dirty_rate > 0 && rng_.chance(o_.dirty_rate)) {
      write_dirty(invoice, l, c, country);
      ++stats_.dirty_rows;
    } else if (o_.ndjson) {
      write_json(invoice, l.code, l.json_desc, l.quantity, l.price, c, country);
    } else {
      write_csv(invoice, l.code, l.csv_desc, l.quantity, l.price, c, country);
    }
    if (out_.size() >= kFlushBytes) flush(false);
  }

  void write_csv(std::string_view invoice, std::string_view code, std::string_view desc, int64_t qty,
                 std::string_view price, const Customer* c, uint16_t country) {
    out_ += invoice; out_ += ',';
    out_ += code; out_ += ',';
    out_ += desc; out_ += ',';
    append_int(out_, qty); out_ += ',';
    out_ += date_csv_; out_ += ',';
    out_ += price; out_ += ',';
    if (c) out_ += c->csv_id;
    out_ += ',';
    out_ += country_csv_[country];
    out_ += '\n';
  }

  void write_json(std::string_view invoice, std::string_view code, std::string_view desc, int64_t qty,
                  std::string_view price, const Customer* c, uint16_t country) {
    out_ += "{\"InvoiceNo\":\""; out_ += invoice;
    out_ += "\",\"StockCode\":\""; out_ += code;
    out_ += "\",\"Description\":"; out_ += desc;
    out_ += ",\"Quantity\":"; append_int(out_, qty);
    out_ += ",\"InvoiceDate\":"; out_ += date_json_;
    out_ += ",\"UnitPrice\":"; out_ += price;
    out_ += ",\"CustomerID\":"; out_ += c ? std::string_view(c->json_id) : std::string_view("null");
    out_ += ",\"Country\":"; out_ += country_json_[country];
    out_ += "}\n";
  }

  // One malformed line; every kind breaks rule 1 of the contract.
  void write_dirty(std::string_view invoice, const Line& l, const Customer* c, uint16_t country) {
    uint32_t kind = rng_.below(8);
    std::string_view desc = o_.ndjson ? l.json_desc : l.csv_desc;
    auto write = [&](std::string_view inv, std::string_view code, std::string_view d, std::string_view qty_text,
                     std::string_view date, std::string_view price) {
      if (o_.ndjson) {
        out_ += "{\"InvoiceNo\":\""; out_ += inv; out_ += "\",\"StockCode\":\""; out_ += code;
        out_ += "\",\"Description\":"; out_ += d; out_ += ",\"Quantity\":"; out_ += qty_text;
        out_ += ",\"InvoiceDate\":"; out_ += date; out_ += ",\"UnitPrice\":"; out_ += price;
        out_ += ",\"CustomerID\":"; out_ += c ? std::string_view(c->json_id) : std::string_view("null");
        out_ += ",\"Country\":"; out_ += country_json_[country]; out_ += "}\n";
      } else {
        out_ += inv; out_ += ','; out_ += code; out_ += ','; out_ += d; out_ += ','; out_ += qty_text; out_ += ',';
        out_ += date; out_ += ','; out_ += price; out_ += ','; if (c) out_ += c->csv_id; out_ += ',';
        out_ += country_csv_[country]; out_ += '\n';
      }
    };
    std::string qty;
    append_int(qty, l.quantity);
    std::string_view date = o_.ndjson ? std::string_view(date_json_) : std::string_view(date_csv_);
    std::string_view q = o_.ndjson ? "\"" : "";
    switch (kind) {
    case 0: // a field missing
      if (o_.ndjson) { out_ += "{\"InvoiceNo\":\""; out_ += invoice; out_ += "\",\"StockCode\":\""; out_ += l.code; out_ += "\",\"Quantity\":"; out_ += qty; out_ += "}\n"; }
      else { out_ += invoice; out_ += ','; out_ += l.code; out_ += ','; out_ += qty; out_ += ','; out_ += date_csv_; out_ += '\n'; }
      break;
    case 1: // Quantity not a number
      write(invoice, l.code, desc, o_.ndjson ? "\"six\"" : "six", date, l.price);
      break;
    case 2: // UnitPrice not a number
      write(invoice, l.code, desc, qty, date, o_.ndjson ? "\"2,55\"" : "2..55");
      break;
    case 3: // impossible date
      write(invoice, l.code, desc, qty, o_.ndjson ? "\"2011-13-45 25:61:00\"" : "2011-13-45 25:61:00", l.price);
      break;
    case 4: // empty InvoiceNo
      write("", l.code, desc, qty, date, l.price);
      break;
    case 5: // empty StockCode
      write(invoice, "", desc, qty, date, l.price);
      break;
    case 6: // invalid UTF-8 inside the description
      write(invoice, l.code, o_.ndjson ? std::string_view("\"BROKEN \xC3\x28 TEXT\"") : std::string_view("BROKEN \xC3\x28 TEXT"), qty, date, l.price);
      break;
    default: // framing: a stray quote in CSV, broken JSON in NDJSON
      if (o_.ndjson) { out_ += "{\"InvoiceNo\":\""; out_ += invoice; out_ += "\",\"StockCode\":"; out_ += q; out_ += l.code; out_ += ",}\n"; }
      else write(invoice, l.code, "HALF \"QUOTED TEXT", qty, date, l.price);
      break;
    }
  }

  void flush(bool final) {
    if (!out_.empty() && (final || out_.size() >= kFlushBytes)) {
      stats_.bytes += out_.size();
      sink_(out_);
      out_.clear();
    }
  }

  const GeneratorOptions& o_;
  const std::function<void(std::string_view)>& sink_;
  Rng rng_;
  GeneratorStats stats_;
  std::vector<Product> products_, non_products_;
  double non_product_weight_total_ = 0;
  std::string no_desc_csv_, no_desc_json_;
  std::vector<Customer> customers_;
  std::vector<std::string> country_csv_, country_json_;
  std::vector<int64_t> days_;
  std::vector<double> cumulative_;
  size_t day_index_ = 0;
  int64_t time_us_ = -1;
  std::string date_csv_, date_json_, invoice_, out_;
  std::vector<const Product*> recent_;
};

} // namespace

GeneratorStats generate(const GeneratorOptions& options, const std::function<void(std::string_view)>& sink) {
  return Generator(options, sink).run();
}

} // namespace shopflow
