#include "connectors/table_export.h"

#include <cstdlib>
#include <map>

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
      {"commodity", "商品房"}, {"mixed", "混合型"}, {"relocation", "动迁房"}, {"affordable", "保障房"},
      {"scattered_public", "零星公房"}, {"closed", "封闭"}, {"scattered", "零星"},
      {"interview_due", "待约谈"}, {"rectifying", "整改中"}, {"rectified", "已整改"}, {"escalated", "已移送"},
      {"sanctioned", "已处罚"}, {"missed_interview", "未按期约谈"}, {"missed_deadline", "逾期未整改"},
      {"failed_reinspection", "复查不合格"}, {"interview", "约谈"}, {"rectification", "整改"},
      {"sanction:market", "市场监管处罚"}, {"sanction:chengguan", "城管执法处罚"}, {"sanction:police", "公安处罚"},
      {"fee_adjustment", "物业费调整"}, {"maintenance_fund_renewal", "维修资金续筹"},
      {"ebike_charging", "电动自行车充电"}, {"elevator_consultation", "加梯征询"}};
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
        for (const auto& [k, x] : item.items()) joined += (joined.empty() ? "" : " ") + export_cell(x, label);
        text += joined;
      } else {
        text += export_cell(item, label);
      }
    }
  } else {
    text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (!text.empty() && std::string_view("=+-@\t\r").find(text[0]) != std::string_view::npos && !is_number_text(text)) {
    text.insert(0, "'");
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

}  // namespace jiayuan
