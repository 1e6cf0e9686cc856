// Test cases kept as data: a tab-separated file under tests/unit/cases (SHOPFLOW_TEST_CASES), one
// case a line; empty lines and lines starting with '#' are comments. Fields keep empty columns.
#pragma once

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace shopflow::test {

struct CaseRow {
  int line = 0;                    // in the file, from 1
  std::vector<std::string> fields; // split at each tab
};

inline std::vector<CaseRow> read_case_table(const std::string& name) {
  std::ifstream in(std::string(SHOPFLOW_TEST_CASES) + "/" + name);
  if (!in) throw std::runtime_error("cannot read " + name);
  std::vector<CaseRow> rows;
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    if (text.empty() || text[0] == '#') continue;
    CaseRow row{line, {}};
    for (size_t at = 0;;) {
      size_t tab = text.find('\t', at);
      row.fields.push_back(text.substr(at, tab == std::string::npos ? std::string::npos : tab - at));
      if (tab == std::string::npos) break;
      at = tab + 1;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

} // namespace shopflow::test
