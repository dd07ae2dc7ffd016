#include "connectors/xlsx_import.h"

#include <zip.h>

#include <charconv>
#include <cmath>
#include <memory>
#include <optional>
#include <pugixml.hpp>
#include <set>
#include <string>
#include <vector>

#include "events/date.h"

namespace jiayuan {

namespace {

constexpr std::string_view kZipMagic = "PK\x03\x04";
constexpr std::string_view kOleMagic =
    "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";  // .xls, or an encrypted .xlsx

tl::unexpected<Error> refuse(const std::string& why) { return fail("bad_xlsx", why); }

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct FileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

class Archive {
 public:
  static Result<Archive> open(std::string_view bytes) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source == nullptr)
      return refuse(std::string("cannot read the archive: ") + zip_error_strerror(&error));
    zip_t* zip = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
    if (zip == nullptr) {
      const std::string why = zip_error_strerror(&error);
      zip_source_free(source);
      zip_error_fini(&error);
      return refuse("not a readable .xlsx (a damaged ZIP archive: " + why +
                    "); save it again in Excel");
    }
    zip_error_fini(&error);
    return Archive(zip);
  }

  bool has(const std::string& name) const {
    return zip_name_locate(zip_.get(), name.c_str(), ZIP_FL_NOCASE) >= 0;
  }

  // The part's bytes, at most `limit` of them uncompressed (whatever the archive claims).
  Result<std::string> read(const std::string& name, size_t limit) const {
    const zip_int64_t index = zip_name_locate(zip_.get(), name.c_str(), ZIP_FL_NOCASE);
    if (index < 0) return refuse("not an Excel workbook: it has no " + name);
    std::unique_ptr<zip_file_t, FileCloser> file(
        zip_fopen_index(zip_.get(), static_cast<zip_uint64_t>(index), 0));
    if (!file) {
      return refuse(name + ": cannot be read (" + std::string(zip_strerror(zip_.get())) +
                    "); a password-protected workbook must be saved without its password");
    }
    std::string out;
    char buffer[1 << 16];
    for (;;) {
      const zip_int64_t n = zip_fread(file.get(), buffer, sizeof buffer);
      if (n < 0)
        return refuse(name + ": damaged (" + std::string(zip_file_strerror(file.get())) + ")");
      if (n == 0) break;
      if (out.size() + static_cast<size_t>(n) > limit) {
        const std::string at_most = limit % (1u << 20) == 0 ? std::to_string(limit >> 20) + " MiB"
                                                            : std::to_string(limit) + " bytes";
        return refuse(name + ": expected at most " + at_most + " uncompressed, got more");
      }
      out.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  explicit Archive(zip_t* zip) : zip_(zip) {}
  std::unique_ptr<zip_t, ZipCloser> zip_;
};

Result<std::unique_ptr<pugi::xml_document>> parse_part(const Archive& zip, const std::string& name,
                                                       size_t limit) {
  JY_TRY(std::string text, zip.read(name, limit));
  auto doc = std::make_unique<pugi::xml_document>();
  // No DTD, no entities beyond XML's five: nothing in the part can make it grow.
  const pugi::xml_parse_result parsed = doc->load_buffer(
      text.data(), text.size(), pugi::parse_default & ~pugi::parse_doctype, pugi::encoding_utf8);
  if (!parsed) {
    return refuse(name + ": not well-formed XML at byte " + std::to_string(parsed.offset) + " (" +
                  parsed.description() + ")");
  }
  return doc;
}

// The text of a string item (<si>, <is>): its <t>, or its runs' <t>s, without phonetic hints.
std::string item_text(const pugi::xml_node& item) {
  if (pugi::xml_node t = item.child("t")) return t.text().get();
  std::string out;
  for (pugi::xml_node r : item.children("r")) out += r.child("t").text().get();
  return out;
}

// A number format shows a date when it is one of Excel's built-in date formats (including the
// East Asian ones) or its code, quoted text and [brackets] aside, has a year or a day in it.
bool is_date_format(int id, std::string_view code) {
  if ((id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 31) || (id >= 34 && id <= 36) ||
      (id >= 50 && id <= 58))
    return true;
  bool quoted = false, bracket = false;
  for (size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '"')
      quoted = !quoted;
    else if (quoted)
      continue;
    else if (c == '\\')
      ++i;
    else if (c == '[')
      bracket = true;
    else if (c == ']')
      bracket = false;
    else if (!bracket && (c == 'y' || c == 'Y' || c == 'd' || c == 'D'))
      return true;
  }
  return false;
}

// The cell styles (xl/styles.xml cellXfs, by index) that show a date.
Result<std::vector<bool>> date_styles(const Archive& zip, size_t limit) {
  std::vector<bool> out;
  if (!zip.has("xl/styles.xml")) return out;
  JY_TRY(auto doc, parse_part(zip, "xl/styles.xml", limit));
  const pugi::xml_node sheet = doc->child("styleSheet");
  std::vector<std::pair<int, std::string>> custom;
  for (pugi::xml_node f : sheet.child("numFmts").children("numFmt")) {
    custom.emplace_back(f.attribute("numFmtId").as_int(-1), f.attribute("formatCode").value());
  }
  for (pugi::xml_node xf : sheet.child("cellXfs").children("xf")) {
    const int id = xf.attribute("numFmtId").as_int(0);
    std::string code;
    for (const auto& [cid, ccode] : custom) {
      if (cid == id) code = ccode;
    }
    out.push_back(is_date_format(id, code));
  }
  return out;
}

// "AB12" -> 27 (0-based column); nullopt when it is not a cell reference.
std::optional<size_t> column_of(std::string_view ref) {
  size_t col = 0, i = 0;
  for (; i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z'; ++i) {
    col = col * 26 + static_cast<size_t>(ref[i] - 'A' + 1);
    if (col > 16384) return std::nullopt;  // beyond XFD, Excel's last column
  }
  if (i == 0) return std::nullopt;
  return col - 1;
}

std::string column_name(size_t col) {
  std::string out;
  for (size_t c = col + 1; c > 0; c = (c - 1) / 26)
    out.insert(out.begin(), static_cast<char>('A' + (c - 1) % 26));
  return out;
}

// A number as a person reads it: its shortest form to 15 significant digits (what Excel shows),
// so binary noise (80.50000000000001) is gone; a date-styled one as the date.
std::string number_text(std::string_view v, bool date, bool date1904) {
  double d = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(d)) return std::string(v);
  if (date && d >= 1 && d < 2958466) {  // up to 9999-12-31
    auto whole = static_cast<int32_t>(std::floor(d));
    // The 1900 system counts a 1900-02-29 that never was: from serial 61 on, days since 1899-12-30.
    const Date base = date1904      ? Date::from_civil(1904, 1, 1)
                      : whole >= 61 ? Date::from_civil(1899, 12, 30)
                                    : Date::from_civil(1899, 12, 31);
    return base.plus_days(whole).to_string();
  }
  if (v.find_first_of(".eE") == std::string_view::npos) return std::string(v);
  char buffer[64];
  const auto [p, e] =
      std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::general, 15);
  if (e != std::errc()) return std::string(v);
  return std::string(buffer, p);
}

}  // namespace

bool looks_like_xlsx(std::string_view bytes) { return bytes.starts_with(kZipMagic); }

bool is_workbook(std::string_view bytes, std::string_view name) {
  auto ends = [&](std::string_view ext) {
    if (name.size() < ext.size()) return false;
    for (size_t i = 0; i < ext.size(); ++i) {
      const char c = name[name.size() - ext.size() + i];
      if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != ext[i]) return false;
    }
    return true;
  };
  return looks_like_xlsx(bytes) || bytes.starts_with(kOleMagic) || ends(".xlsx") || ends(".xlsm") ||
         ends(".xls");
}

namespace {

// The first sheet in the workbook's order: its name, wherever its relationship puts its part,
// and the workbook's date system.
struct FirstSheet {
  std::string name;
  std::string part = "xl/worksheets/sheet1.xml";
  bool in_1904 = false;
};

Result<FirstSheet> first_sheet(const Archive& zip, const XlsxLimits& limits) {
  JY_TRY(auto workbook, parse_part(zip, "xl/workbook.xml", limits.max_part_bytes));
  const pugi::xml_node wb = workbook->child("workbook");
  const std::string_view date1904 = wb.child("workbookPr").attribute("date1904").value();
  const pugi::xml_node first = wb.child("sheets").child("sheet");
  if (!first) return refuse("xl/workbook.xml: the workbook has no sheet");
  FirstSheet sheet;
  sheet.in_1904 = date1904 == "1" || date1904 == "true";
  sheet.name = first.attribute("name").value();
  if (const std::string rid = first.attribute("r:id").value();
      !rid.empty() && zip.has("xl/_rels/workbook.xml.rels")) {
    JY_TRY(auto rels, parse_part(zip, "xl/_rels/workbook.xml.rels", limits.max_part_bytes));
    for (pugi::xml_node r : rels->child("Relationships").children("Relationship")) {
      if (rid != r.attribute("Id").value()) continue;
      const std::string target = r.attribute("Target").value();
      sheet.part = target.starts_with('/') ? target.substr(1) : "xl/" + target;
    }
  }
  return sheet;
}

// What a cell's text needs besides the cell: the shared strings, which styles are dates.
struct CellContext {
  const FirstSheet& sheet;
  std::vector<std::string> shared;
  std::vector<bool> dates;
};

Result<std::string> cell_text(pugi::xml_node c, std::string_view ref, const CellContext& ctx) {
  const std::string_view t = c.attribute("t").value();
  const std::string_view v = c.child("v").text().get();
  if (t == "s") {
    const auto i = c.child("v").text().as_ullong(ctx.shared.size());
    if (i >= ctx.shared.size()) {
      return refuse(ctx.sheet.name + " cell " + std::string(ref) + ": refers to shared string " +
                    std::string(v) + " of " + std::to_string(ctx.shared.size()));
    }
    return ctx.shared[i];
  }
  if (t == "inlineStr") return item_text(c.child("is"));
  if (t == "b") return std::string(v == "1" ? "true" : "false");
  if (t == "str" || t == "e")
    return std::string(v);  // a formula's text; an error (#N/A) is refused by its field
  const auto style = c.attribute("s").as_ullong(0);
  return number_text(v, style < ctx.dates.size() && ctx.dates[style], ctx.sheet.in_1904);
}

// A row's cells by column (missing ones empty), trailing empty cells dropped.
Result<std::vector<std::string>> row_cells(pugi::xml_node row, int64_t line, const CellContext& ctx,
                                           const XlsxLimits& limits) {
  std::vector<std::string> cells;
  size_t next_col = 0;
  for (pugi::xml_node c : row.children("c")) {
    const std::string_view ref = c.attribute("r").value();
    const std::optional<size_t> at = ref.empty() ? std::optional(next_col) : column_of(ref);
    if (!at || *at < next_col) {
      return refuse(ctx.sheet.name + " row " + std::to_string(line) + ": cell \"" +
                    std::string(ref) + "\" is not a cell reference after the one before");
    }
    if (*at >= limits.max_columns) {
      return refuse(ctx.sheet.name + " cell " + column_name(*at) + std::to_string(line) +
                    ": expected at most " + std::to_string(limits.max_columns) + " columns (A.." +
                    column_name(limits.max_columns - 1) + ")");
    }
    next_col = *at + 1;
    JY_TRY(std::string text, cell_text(c, ref, ctx));
    cells.resize(*at + 1);
    cells[*at] = std::move(text);
  }
  while (!cells.empty() && cells.back().empty()) cells.pop_back();
  return cells;
}

}  // namespace

Result<CsvTable> read_xlsx(std::string_view bytes, const XlsxLimits& limits) {
  if (bytes.starts_with(kOleMagic)) {
    return refuse(
        "not an .xlsx: an Excel 97-2003 workbook (.xls) or a password-protected one; save it in "
        "Excel as "
        "\"Excel 工作簿 (*.xlsx)\" without a password, or as CSV");
  }
  if (!looks_like_xlsx(bytes))
    return refuse("not an .xlsx: it does not begin as a ZIP archive (PK) does");
  JY_TRY(Archive zip, Archive::open(bytes));
  JY_TRY(const FirstSheet first, first_sheet(zip, limits));
  CellContext ctx{first, {}, {}};
  if (zip.has("xl/sharedStrings.xml")) {
    JY_TRY(auto strings, parse_part(zip, "xl/sharedStrings.xml", limits.max_part_bytes));
    for (pugi::xml_node si : strings->child("sst").children("si"))
      ctx.shared.push_back(item_text(si));
  }
  JY_TRY(ctx.dates, date_styles(zip, limits.max_part_bytes));
  JY_TRY(auto sheet, parse_part(zip, first.part, limits.max_part_bytes));

  CsvTable table;
  table.sheet = first.name;
  int64_t next_row = 1;
  bool have_header = false;
  for (pugi::xml_node row : sheet->child("worksheet").child("sheetData").children("row")) {
    const int64_t line = row.attribute("r") ? row.attribute("r").as_llong(0) : next_row;
    if (line < next_row || line > static_cast<int64_t>(limits.max_rows)) {
      return refuse(table.sheet + " row " + std::to_string(line) +
                    ": expected rows in order, at most " + std::to_string(limits.max_rows));
    }
    next_row = line + 1;
    JY_TRY(std::vector<std::string> cells, row_cells(row, line, ctx, limits));
    if (cells.empty()) continue;  // an empty row, as Excel leaves between blocks
    if (!have_header) {
      table.header = std::move(cells);
      have_header = true;
      continue;
    }
    if (cells.size() < table.header.size()) cells.resize(table.header.size());
    table.rows.push_back({line, std::move(cells)});
  }
  if (!have_header)
    return refuse("sheet \"" + table.sheet + "\" is empty: expected a header row, then the facts");
  return table;
}

}  // namespace jiayuan
