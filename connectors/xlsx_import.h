// A department's Excel workbook (.xlsx) read as the rows of a CSV: its first sheet's header and
// cells, for csv_rows (csv_import.h) to map to facts exactly as it maps a CSV.
//
//   if (looks_like_xlsx(bytes)) table = read_xlsx(bytes);  // else read_csv(bytes, encoding)
//
// Read with Debian's libzip and pugixml. A cell reads as a person sees it: text as is, a number
// in its shortest form (80.5, not 80.500000000000014), a date-formatted number as YYYY-MM-DD, a
// formula as its cached result, TRUE/FALSE as true/false. A row's line is its Excel row number,
// so "row 7" in a report is row 7 on the screen.
#pragma once

#include <cstddef>
#include <string_view>

#include "connectors/csv_import.h"
#include "events/result.h"

namespace jiayuan {

// What a workbook may hold before it is refused whole (a ZIP bomb, an endless sheet).
struct XlsxLimits {
  size_t max_part_bytes = 256u << 20;  // one part (the sheet, the shared strings), uncompressed
  size_t max_columns = 256;            // A..IV: a fact has fewer than 40 fields
  size_t max_rows = 1'048'576;         // Excel's own last row
};

// True when the bytes are a ZIP archive ("PK\3\4"), as every .xlsx is.
bool looks_like_xlsx(std::string_view bytes);
// True when the file is meant as a workbook: a ZIP archive, an OLE file (.xls, an encrypted
// .xlsx), or a name ending .xlsx, .xlsm or .xls (any case). read_xlsx then says what it is.
bool is_workbook(std::string_view bytes, std::string_view name = {});

// The first sheet (in the workbook's order). Fails, saying why and what to do, when the bytes are
// not a workbook (an .xls of Excel 97-2003, an encrypted workbook, a damaged archive), or exceed a
// limit. The table's sheet is the sheet's name; its encoding is "UTF-8" (a workbook's XML).
Result<CsvTable> read_xlsx(std::string_view bytes, const XlsxLimits& limits = {});

}  // namespace jiayuan
