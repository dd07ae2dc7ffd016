// libFuzzer target: the CSV parser and row mapping. Any bytes give a table or a reason; rows
// map to events or reasons; nothing crashes, leaks or reads out of bounds.
#include <cstdint>
#include <string_view>

#include "connectors/csv_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = jiayuan::parse_csv(text);
  if (!table) return 0;
  for (const char* type : {"jiayuan.inspection", "jiayuan.community.registered"}) {
    auto rows = jiayuan::csv_rows(*table, *jiayuan::find_fact_type(type), jiayuan::DepartmentId("bureau"), "fuzz");
    (void)rows;
  }
  return 0;
}
