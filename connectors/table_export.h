// Lists as a spreadsheet: the rows a /v1 list answers, as CSV that Excel opens with its Chinese
// intact (UTF-8 with BOM, CRLF, RFC 4180 quoting), under Chinese column headers.
//
//   static const ExportColumn kColumns[] = {{"community", "小区编号"}, {"factors_percent/hotline",
//   "热线"}}; std::string csv = csv_table(items, kColumns);
//
// A column's key is a field of the row, or a path through objects ("a/b"). A value is written as
// people read it: text as is (a code in Chinese when the column says so), numbers as JSON writes
// them, true/false as 是/否, absent as empty, a list as its items joined with "；" (an object item
// as its values joined with " "). A text cell Excel would run as a formula (=, +, -, @ first, and
// not a number) is written after a "'".
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "events/result.h"

namespace jiayuan {

struct ExportColumn {
  const char* key;
  const char* header;
  bool label =
      false;  // codes written in Chinese: commodity -> 商品房, escalated -> 已移送 (chinese_label)
};

// The Chinese a person reads for one of jiayuan's codes (a category, enclosure, case status,
// escalation reason, open obligation, renovation item), or the code itself.
std::string_view chinese_label(std::string_view code);

std::string csv_table(const nlohmann::json& rows, std::span<const ExportColumn> columns);

// The same rows as an Excel workbook (.xlsx, written by libxlsxwriter) of one sheet named `sheet`:
// the header bold, frozen and filtered; numbers (and text that is a number, such as "80.35") as
// numbers, two decimals when they came with a point; everything else as text, never a formula.
// Fails only when the workbook cannot be written (a temporary file, libxlsxwriter's reason).
Result<std::string> xlsx_table(const nlohmann::json& rows, std::span<const ExportColumn> columns,
                               const std::string& sheet);

// One cell's text, as csv_table writes it (before quoting).
std::string export_cell(const nlohmann::json& value, bool label = false);
// The same without the formula guard (a workbook's text cells are never formulas).
std::string export_text(const nlohmann::json& value, bool label = false);

// The value at `key` ("a/b" descends into objects) in `row`, or null.
const nlohmann::json& export_value(const nlohmann::json& row, std::string_view key);

}  // namespace jiayuan
