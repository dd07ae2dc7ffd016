#include "connectors/table_export.h"

#include <unistd.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

namespace jiayuan {

using nlohmann::json;

namespace {

const json& null_json() {
  static const json kNull;
  return kNull;
}

bool is_number_text(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// RFC 4180: quoted when it holds a comma, a quote or a line break.
void append_quoted(std::string& out, const std::string& cell) {
  if (cell.find_first_of(",\"\r\n") == std::string::npos) {
    out += cell;
    return;
  }
  out += '"';
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string_view chinese_label(std::string_view code) {
  static const std::map<std::string_view, std::string_view> kLabels = {
      {"commodity", "商品房"},
      {"mixed", "混合型"},
      {"relocation", "动迁房"},
      {"affordable", "保障房"},
      {"scattered_public", "零星公房"},
      {"closed", "封闭"},
      {"scattered", "零星"},
      {"interview_due", "待约谈"},
      {"rectifying", "整改中"},
      {"rectified", "已整改"},
      {"escalated", "已移送"},
      {"sanctioned", "已处罚"},
      {"missed_interview", "未按期约谈"},
      {"missed_deadline", "逾期未整改"},
      {"failed_reinspection", "复查不合格"},
      {"interview", "约谈"},
      {"rectification", "整改"},
      {"sanction:market", "市场监管处罚"},
      {"sanction:chengguan", "城管执法处罚"},
      {"sanction:police", "公安处罚"},
      {"fee_adjustment", "物业费调整"},
      {"maintenance_fund_renewal", "维修资金续筹"},
      {"ebike_charging", "电动自行车充电"},
      {"elevator_consultation", "加梯征询"}};
  const auto it = kLabels.find(code);
  return it == kLabels.end() ? code : it->second;
}

const json& export_value(const json& row, std::string_view key) {
  const json* at = &row;
  while (!key.empty()) {
    const size_t slash = key.find('/');
    const std::string part(key.substr(0, slash));
    if (!at->is_object()) return null_json();
    const auto it = at->find(part);
    if (it == at->end()) return null_json();
    at = &*it;
    key.remove_prefix(slash == std::string_view::npos ? key.size() : slash + 1);
  }
  return *at;
}

std::string export_cell(const json& v, bool label) {
  std::string text = export_text(v, label);
  if (!text.empty() && std::string_view("=+-@\t\r").find(text[0]) != std::string_view::npos &&
      !is_number_text(text)) {
    text.insert(0, "'");
  }
  return text;
}

std::string export_text(const json& v, bool label) {
  std::string text;
  if (v.is_null()) return text;
  if (v.is_boolean()) return v.get<bool>() ? "是" : "否";
  if (v.is_string()) {
    text = label ? std::string(chinese_label(v.get<std::string>())) : v.get<std::string>();
  } else if (v.is_number()) {
    return v.dump();
  } else if (v.is_array()) {
    for (const json& item : v) {
      if (!text.empty()) text += "；";
      if (item.is_object()) {
        std::string joined;
        for (const auto& [k, x] : item.items())
          joined += (joined.empty() ? "" : " ") + export_text(x, label);
        text += joined;
      } else {
        text += export_text(item, label);
      }
    }
  } else {
    text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return text;
}

std::string csv_table(const json& rows, std::span<const ExportColumn> columns) {
  std::string out = "\xEF\xBB\xBF";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ',';
    append_quoted(out, columns[i].header);
  }
  out += "\r\n";
  for (const json& row : rows) {
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) out += ',';
      append_quoted(out, export_cell(export_value(row, columns[i].key), columns[i].label));
    }
    out += "\r\n";
  }
  return out;
}

namespace {

struct WorkbookClose {
  void operator()(lxw_workbook* wb) const { workbook_close(wb); }
};

// The bytes of the UTF-8 character that starts with `lead`.
size_t utf8_bytes(char lead) {
  const auto c = static_cast<unsigned char>(lead);
  return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

// A sheet name Excel accepts: at most 31 characters, none of []:*?/\ (bytes kept whole per
// character).
std::string sheet_name(const std::string& wanted) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < wanted.size() && chars < 31;) {
    const size_t n = utf8_bytes(wanted[i]);
    if (std::string_view("[]:*?/\\").find(wanted[i]) == std::string_view::npos)
      out.append(wanted, i, n);
    i += n;
    ++chars;
  }
  return out.empty() ? "Sheet1" : out;
}

// Columns a cell takes on screen: two for a character beyond U+2E80 (CJK), one otherwise.
size_t display_width(std::string_view s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_bytes(s[i]);
    w += n >= 3 ? 2 : 1;
    i += n;
  }
  return w;
}

}  // namespace

namespace {

// One cell: a number as a number (text that reads as one too, two places when it has a point),
// anything else as text; nothing for null.
lxw_error write_cell(lxw_worksheet* ws, lxw_row_t r, lxw_col_t col, const json& v, bool label,
                     lxw_format* two_places) {
  if (v.is_null()) return LXW_NO_ERROR;
  if (v.is_number()) return worksheet_write_number(ws, r, col, v.get<double>(), nullptr);
  const std::string text = export_text(v, label);
  if (v.is_string() && is_number_text(text) && text.find_first_of("eExX") == std::string::npos) {
    return worksheet_write_number(ws, r, col, std::strtod(text.c_str(), nullptr),
                                  text.find('.') != std::string::npos ? two_places : nullptr);
  }
  return worksheet_write_string(ws, r, col, text.c_str(), nullptr);
}

}  // namespace

Result<std::string> xlsx_table(const json& rows, std::span<const ExportColumn> columns,
                               const std::string& sheet) {
  const char* dir = std::getenv("TMPDIR");
  std::string path =
      std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/jiayuan-export-XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0)
    return fail("io", "an .xlsx export: cannot create a temporary file in " +
                          path.substr(0, path.rfind('/')));
  close(fd);
  struct Unlink {
    const std::string& path;
    ~Unlink() { unlink(path.c_str()); }
  } remove_after{path};

  lxw_error written = LXW_NO_ERROR;
  {
    lxw_workbook_options options{};
    options.constant_memory = LXW_TRUE;  // rows streamed to the file as written
    std::unique_ptr<lxw_workbook, WorkbookClose> wb(workbook_new_opt(path.c_str(), &options));
    if (!wb) return fail("io", "an .xlsx export: libxlsxwriter could not start a workbook");
    lxw_worksheet* ws = workbook_add_worksheet(wb.get(), sheet_name(sheet).c_str());
    lxw_format* bold = workbook_add_format(wb.get());
    format_set_bold(bold);
    lxw_format* two_places = workbook_add_format(wb.get());
    format_set_num_format(two_places, "0.00");
    if (ws == nullptr || bold == nullptr || two_places == nullptr) {
      return fail("io", "an .xlsx export: libxlsxwriter could not add the sheet");
    }
    auto check = [&](lxw_error e) {
      if (e != LXW_NO_ERROR && written == LXW_NO_ERROR) written = e;
    };
    const auto last_col = static_cast<lxw_col_t>(columns.empty() ? 0 : columns.size() - 1);
    // Each column as wide as its widest cell (a Chinese character counts two), before any row
    // is written (constant_memory writes the column widths first).
    for (size_t c = 0; c < columns.size(); ++c) {
      size_t widest = display_width(columns[c].header);
      for (const json& row : rows)
        widest = std::max(widest, display_width(export_text(export_value(row, columns[c].key),
                                                            columns[c].label)));
      check(worksheet_set_column(ws, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c),
                                 static_cast<double>(std::clamp<size_t>(widest + 2, 8, 60)),
                                 nullptr));
    }
    for (size_t c = 0; c < columns.size(); ++c) {
      check(worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), columns[c].header, bold));
    }
    lxw_row_t r = 1;
    for (const json& row : rows) {
      for (size_t c = 0; c < columns.size(); ++c) {
        check(write_cell(ws, r, static_cast<lxw_col_t>(c), export_value(row, columns[c].key),
                         columns[c].label, two_places));
      }
      ++r;
    }
    check(worksheet_autofilter(ws, 0, 0, r - 1, last_col));
    worksheet_freeze_panes(ws, 1, 0);
    lxw_workbook* done = wb.release();
    check(workbook_close(done));
  }
  if (written != LXW_NO_ERROR)
    return fail("io", std::string("an .xlsx export: ") + lxw_strerror(written));
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) return fail("io", "an .xlsx export: cannot read back " + path);
  return bytes.str();
}

}  // namespace jiayuan
