// libFuzzer target: the CSV decoder (detected, and as GB18030), parser and row mapping. Any bytes
// give a table or a reason; rows map to events or reasons; nothing crashes, leaks or reads out of
// bounds.
#include <cstdint>
#include <string_view>

#include "connectors/csv_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto encoding : {jiayuan::CsvEncoding::kAuto, jiayuan::CsvEncoding::kGb18030}) {
    auto table = jiayuan::read_csv(text, encoding);
    if (!table) continue;
    for (const char* type : {"jiayuan.inspection", "jiayuan.community.registered"}) {
      auto rows = jiayuan::csv_rows(*table, *jiayuan::find_fact_type(type),
                                    jiayuan::DepartmentId("bureau"), "fuzz");
      (void)rows;
    }
  }
  return 0;
}
