// The PostgreSQL protocol's untrusted inputs that do not need a socket: binary parameter values
// by type OID (pg_codec), and query text through statement classification and the catalog/session
// rewrites (pg_compat).
#include <cstdint>
#include <string>
#include <string_view>

#include "pgwire/protocol/pg_codec.h"
#include "pgwire/protocol/pg_compat.h"
#include "db/duckdb.h"
#include "query/policy/sql_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const int32_t kOids[] = {16, 21, 23, 20, 700, 701, 1700, 1082, 1114, 1184, 25, 1043, 0, 17, 1186};
  int32_t oid = kOids[data[0] % (sizeof kOids / sizeof kOids[0])];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    std::string text = shopflow::decode_binary(rest, oid);
    shopflow::encode_value(text, oid, true);
  } catch (const shopflow::DuckError&) {
  } catch (const std::invalid_argument&) { // std::stoi/stod on text DuckDB would never produce
  } catch (const std::out_of_range&) {
  }
  std::string sql(rest);
  for (const shopflow::ClassifiedStatement& statement : shopflow::classify_sql(shopflow::pg_compat(sql))) {
    if (auto setting = shopflow::session_statement(statement.text); setting && setting->is_set)
      shopflow::parse_pg_duration_ms(setting->set_value);
    shopflow::describe_table_query(statement.text);
  }
  return 0;
}
