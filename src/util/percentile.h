// The p-quantile (0 <= p <= 1) of a sample, nearest rank: the value at rank round(p * (n - 1)) in
// sorted order; 0 for an empty sample. Reorders `v` (partially), never copies it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace shopflow {

inline double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<std::ptrdiff_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[static_cast<size_t>(k)];
}

} // namespace shopflow
