#include "connectors/list_cache.h"

#include <algorithm>
#include <cstdlib>

namespace jiayuan {

using nlohmann::json;

bool sorted_before(bool desc, const json& ka, const std::string& ida, const json& kb,
                   const std::string& idb) {
  if (ka != kb) {
    if (ka.is_null()) return false;
    if (kb.is_null()) return true;
    return desc ? kb < ka : ka < kb;
  }
  return ida < idb;
}

SortedItems sort_items(const json& items, const std::string& sort, const std::string& id_field) {
  const bool desc = sort.starts_with('-');
  const std::string field = desc ? sort.substr(1) : sort;
  // Numbers written as text ("80.35") sort as numbers.
  auto key = [&](const json& item) -> json {
    if (!item.contains(field) || item[field].is_null()) return json();
    const json& v = item[field];
    if (v.is_string() && !v.get<std::string>().empty() && field != id_field && field != "name") {
      const std::string s = v.get<std::string>();
      char* end = nullptr;
      const double d = std::strtod(s.c_str(), &end);
      if (end == s.c_str() + s.size()) return d;
    }
    return v;
  };
  SortedItems out;
  out.sort = sort;
  out.order.reserve(items.size());
  for (const json& item : items) {
    out.order.push_back({key(item), &item.at(id_field).get_ref<const std::string&>(), &item});
  }
  std::stable_sort(out.order.begin(), out.order.end(), [&](const auto& a, const auto& b) {
    return sorted_before(desc, a.key, *a.id, b.key, *b.id);
  });
  return out;
}

}  // namespace jiayuan
