// libFuzzer target: the .xlsx reader and row mapping. Each input is read twice: as the workbook's
// bytes (ZIP and all), and as the XML of a first sheet inside an otherwise sound workbook (so the
// mutations reach the sheet's parsing, not only the archive's checksums). Any bytes give a table
// or a reason; nothing crashes, leaks, reads out of bounds or grows beyond the limits.
#include <zip.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "connectors/xlsx_import.h"

namespace {

// A workbook whose first sheet is `sheet`, built in memory by libzip (stored, not deflated).
std::string workbook_around(std::string_view sheet) {
  static const std::string kWorkbook =
      R"(<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>)";
  static const std::string kRels =
      R"(<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>)";
  static const std::string kStrings =
      R"(<sst><si><t>小区编号</t></si><si><r><t>日</t></r><r><t>期</t></r></si></sst>)";
  static const std::string kStyles =
      R"(<styleSheet><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>)";
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* memory = zip_source_buffer_create(nullptr, 0, 0, &error);
  std::string out;
  if (memory == nullptr) return out;
  zip_source_keep(memory);
  if (zip_t* z = zip_open_from_source(memory, ZIP_TRUNCATE, &error)) {
    auto add = [&](const char* name, std::string_view text) {
      zip_source_t* s = zip_source_buffer(z, text.data(), text.size(), 0);
      const zip_int64_t i = zip_file_add(z, name, s, 0);
      if (i < 0)
        zip_source_free(s);
      else
        zip_set_file_compression(z, static_cast<zip_uint64_t>(i), ZIP_CM_STORE, 0);
    };
    add("xl/workbook.xml", kWorkbook);
    add("xl/_rels/workbook.xml.rels", kRels);
    add("xl/sharedStrings.xml", kStrings);
    add("xl/styles.xml", kStyles);
    add("xl/worksheets/sheet1.xml", sheet);
    if (zip_close(z) != 0) zip_discard(z);
    if (zip_source_open(memory) == 0) {
      zip_source_seek(memory, 0, SEEK_END);
      const zip_int64_t size = zip_source_tell(memory);
      zip_source_seek(memory, 0, SEEK_SET);
      if (size > 0) {
        out.resize(static_cast<size_t>(size));
        if (zip_source_read(memory, out.data(), static_cast<zip_uint64_t>(size)) != size)
          out.clear();
      }
      zip_source_close(memory);
    }
  }
  zip_source_free(memory);
  zip_error_fini(&error);
  return out;
}

void read(std::string_view bytes) {
  auto table = jiayuan::read_xlsx(
      bytes, {.max_part_bytes = 1u << 20, .max_columns = 64, .max_rows = 100000});
  if (!table) return;
  for (const char* type : {"jiayuan.inspection", "jiayuan.community.registered"}) {
    auto rows = jiayuan::csv_rows(*table, *jiayuan::find_fact_type(type),
                                  jiayuan::DepartmentId("bureau"), "fuzz");
    (void)rows;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  read(bytes);
  read(workbook_around(bytes));
  return 0;
}
