// CSV import: a department's batch of one fact type as a spreadsheet export.
//
//   auto table = read_csv(bytes, CsvEncoding::kAuto);   // UTF-8, or GB18030/GBK as Excel saves it
//   auto table = parse_csv(text);                       // RFC 4180; UTF-8 with or without BOM
//   auto rows = csv_rows(*table, *find_fact_type("jiayuan.inspection"), DepartmentId("bureau"),
//   "x.csv"); for (CsvRow& r : *rows) r.rejection ? report(r) : intake.submit(r.input) ...
//
// The header names the columns, in English (the JSON field names: community, occurred,
// cleaning, ...) or Chinese (小区编号, 日期, 保洁服务, ...); enum cells may be Chinese too
// (封闭, 商品房, 是/否). Columns `id`/编号 and `source`/来源 are optional: without an id, a row's
// id is derived from its content, so importing the same file twice adds nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/intake.h"
#include "events/facts.h"
#include "events/result.h"

namespace jiayuan {

struct CsvTable {
  std::string encoding = "UTF-8";  // what the file was read as: "UTF-8" or "GB18030"
  bool encoding_detected = false;  // true when read_csv chose it (no encoding was named)
  std::string sheet;               // read from a workbook (xlsx_import.h): its sheet's name
  std::vector<std::string> header;
  struct Row {
    int64_t line = 0;  // the file line the row starts on (the header is line 1)
    std::vector<std::string> cells;
  };
  std::vector<Row> rows;
};

// Fails only when the file cannot be read as CSV at all (e.g. an unterminated quote), naming
// the line.
Result<CsvTable> parse_csv(std::string_view text);

// The encodings a department's file may come in. GB18030 contains GBK and GB2312, so a file saved
// by Excel on a Chinese Windows machine ("CSV (逗号分隔)", code page 936) reads as GB18030.
enum class CsvEncoding { kAuto, kUtf8, kGb18030 };

// "auto", "utf-8" / "utf8", "gb18030" / "gbk" / "gb2312" / "cp936" (any case), or nullopt.
std::optional<CsvEncoding> parse_csv_encoding(std::string_view name);

// A department's file as bytes: decoded to UTF-8, then parsed. kAuto reads it as UTF-8 when it has
// a UTF-8 BOM or when at least as many of its lines are UTF-8 (with a character beyond ASCII) as
// are not; otherwise as GB18030. Bytes that are not text of the chosen encoding are kept as they
// came, so their row alone is rejected (csv_rows names the encoding). Fails as parse_csv does, or
// when the system cannot convert GB18030 (glibc's gconv modules missing).
Result<CsvTable> read_csv(std::string_view bytes, CsvEncoding encoding);

struct CsvRow {
  int64_t line = 0;
  IntakeInput input;               // the row as an event, ready for intake
  std::optional<Error> rejection;  // the row could not become an event: why
};

// Maps every row to an event of `type` from `source`. Fails when the header itself is wrong
// (an unknown or repeated column, a required column missing), naming the column.
Result<std::vector<CsvRow>> csv_rows(const CsvTable& table, const FactTypeInfo& type,
                                     const DepartmentId& source, const std::string& file);

// What a department fills in for a fact type: the columns by their Chinese names (日期 first), and
// one example row that imports as a valid fact (community SJ00001 in `street`). Offered as a file
// to download (GET /v1/templates/{type}); csv_rows reads it back.
struct ImportTemplate {
  std::vector<std::string> fields;   // occurred, community, ..., each score dimension
  std::vector<std::string> headers;  // 日期, 小区编号, ...
  std::vector<std::string> example;
};
ImportTemplate import_template(const FactTypeInfo& type, std::string_view street);
// Every type but log time (jiayuan.tick) and retractions (`jiayuan retract`, POST /v1/events).
bool has_import_template(const FactTypeInfo& type);

}  // namespace jiayuan
