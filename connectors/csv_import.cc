#include "connectors/csv_import.h"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "events/json_limits.h"
#include "events/schema.h"
#include "events/sha256.h"

namespace jiayuan {
namespace {

using nlohmann::json;

// Chinese column names, by field name.
const std::map<std::string, std::string>& chinese_columns() {
  static const std::map<std::string, std::string> kNames = {{"编号", "id"},
                                                            {"事件编号", "id"},
                                                            {"来源", "source"},
                                                            {"日期", "occurred"},
                                                            {"发生日期", "occurred"},
                                                            {"小区编号", "community"},
                                                            {"小区", "community"},
                                                            {"小区名称", "name"},
                                                            {"街镇", "street"},
                                                            {"户数", "households"},
                                                            {"物业费", "fee"},
                                                            {"物业服务费", "fee"},
                                                            {"封闭类型", "enclosure"},
                                                            {"房屋类型", "category"},
                                                            {"分类", "category"},
                                                            {"物业服务企业", "company"},
                                                            {"企业", "company"},
                                                            {"项目经理", "manager"},
                                                            {"物业基础管理", "basic_management"},
                                                            {"保洁服务", "cleaning"},
                                                            {"安全巡查", "security_patrol"},
                                                            {"秩序维护", "order"},
                                                            {"绿化养护", "greening"},
                                                            {"设备管理", "equipment"},
                                                            {"居民满意度", "satisfaction"},
                                                            {"满意度", "satisfaction"},
                                                            {"受访户数", "respondents"},
                                                            {"是否通过", "passed"},
                                                            {"是否属实", "substantiated"},
                                                            {"是否按时办结", "on_time"},
                                                            {"记分", "points"},
                                                            {"类别", "kind"},
                                                            {"严重程度", "severity"},
                                                            {"倾向", "tone"},
                                                            {"说明", "description"},
                                                            {"年度", "year"},
                                                            {"等级", "grade"},
                                                            {"意见", "stance"},
                                                            {"理由", "reason"},
                                                            {"整改措施", "measures"},
                                                            {"整改期限", "deadline"},
                                                            {"措施", "measure"},
                                                            {"法律依据", "legal_basis"},
                                                            {"委员人数", "members"},
                                                            {"党员人数", "party_members"},
                                                            {"事项", "item"},
                                                            {"是否合格", "compliant"},
                                                            {"企业名称", "name"},
                                                            {"统一社会信用代码", "credit_code"},
                                                            {"项目经理姓名", "manager_name"}};
  return kNames;
}

// Chinese enum cells and booleans.
const std::map<std::string, std::string>& chinese_values() {
  static const std::map<std::string, std::string> kValues = {
      {"封闭", "closed"},
      {"零星", "scattered"},
      {"商品房", "commodity"},
      {"混合型", "mixed"},
      {"动迁房", "relocation"},
      {"保障房", "affordable"},
      {"零星公房", "scattered_public"},
      {"轻微", "minor"},
      {"一般", "minor"},
      {"较重", "serious"},
      {"严重", "serious"},
      {"重大", "major"},
      {"示范", "exemplary"},
      {"规范", "standard"},
      {"达标", "passing"},
      {"不达标", "failing"},
      {"支持", "support"},
      {"反对", "object"},
      {"负面", "negative"},
      {"正面", "positive"},
      {"物业费调整", "fee_adjustment"},
      {"维修资金续筹", "maintenance_fund_renewal"},
      {"电动自行车充电", "ebike_charging"},
      {"加梯征询", "elevator_consultation"}};
  return kValues;
}

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// The whole text as a number, or nullopt.
template <class T, class Parse>
std::optional<T> parse_number(const std::string& text, Parse parse) {
  try {
    size_t used = 0;
    const T value = parse(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// A cell as JSON of the field's kind; text the kind cannot read stays text, so the decoder
// reports it with field, expected and got.
json cell_json(const FieldInfo& f, const std::string& cell) {
  std::string v = cell;
  if (auto it = chinese_values().find(v); it != chinese_values().end()) v = it->second;
  switch (f.kind) {
    case FieldKind::kInteger:
      if (auto n = parse_number<long long>(
              v, [](const std::string& t, size_t* u) { return std::stoll(t, u); }))
        return *n;
      [[fallthrough]];  // 2.5 for an integer field: the decoder says "expected an integer"
    case FieldKind::kNumber:
    case FieldKind::kScores:
      // Exactly, from the text: "80.0000000000000000000000000001" is not 80 (at most two decimals).
      if (auto c = Centi::parse(v)) return c->to_double();
      return v;
    case FieldKind::kBoolean:
      if (v == "true" || v == "是" || v == "1" || v == "yes" || v == "TRUE") return true;
      if (v == "false" || v == "否" || v == "0" || v == "no" || v == "FALSE") return false;
      return v;
    default:
      return v;
  }
}

bool valid_utf8(std::string_view s) { return is_utf8(s); }

struct IconvClose {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

// GB18030 bytes as UTF-8. A byte that does not start a GB18030 character is kept as it came (so
// its row is rejected as not GB18030, and the rest are read).
Result<std::string> gb18030_to_utf8(std::string_view in) {
  iconv_t opened = iconv_open("UTF-8", "GB18030");
  // iconv_open's failure value is (iconv_t)-1.
  // NOLINTNEXTLINE(performance-no-int-to-ptr)
  if (opened == reinterpret_cast<iconv_t>(-1)) {
    return fail("unsupported",
                "GB18030 text: this system cannot convert it (glibc's gconv modules are missing); "
                "save the file as UTF-8 or install the libc6 gconv modules");
  }
  std::unique_ptr<void, IconvClose> cd(opened);
  std::string out;
  out.reserve(in.size() * 3 / 2 + 16);
  char buf[4096];
  char* from = const_cast<char*>(in.data());
  size_t left = in.size();
  while (left > 0) {
    char* to = buf;
    size_t room = sizeof buf;
    const size_t r = iconv(static_cast<iconv_t>(cd.get()), &from, &left, &to, &room);
    out.append(buf, static_cast<size_t>(to - buf));
    if (r != static_cast<size_t>(-1)) continue;
    if (errno == E2BIG) continue;
    // EILSEQ (not a GB18030 character) or EINVAL (cut short at the end): keep one byte, go on.
    out.push_back(*from);
    ++from;
    --left;
    iconv(static_cast<iconv_t>(cd.get()), nullptr, nullptr, nullptr,
          nullptr);  // back to the initial state
  }
  return out;
}

// kAuto's choice: UTF-8 when at least as many lines are UTF-8 with a character beyond ASCII as are
// not UTF-8 at all (a UTF-8 file with one damaged row stays UTF-8; GBK text is seldom valid UTF-8).
bool looks_utf8(std::string_view bytes) {
  if (bytes.starts_with("\xEF\xBB\xBF")) return true;
  size_t utf8_lines = 0, other_lines = 0;
  while (!bytes.empty()) {
    const size_t nl = bytes.find('\n');
    const std::string_view line = bytes.substr(0, nl);
    bytes.remove_prefix(nl == std::string_view::npos ? bytes.size() : nl + 1);
    const bool ascii = std::all_of(line.begin(), line.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii) continue;
    (valid_utf8(line) ? utf8_lines : other_lines) += 1;
  }
  return utf8_lines >= other_lines;
}

}  // namespace

std::optional<CsvEncoding> parse_csv_encoding(std::string_view name) {
  std::string n;
  for (char c : name) n.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (n == "auto") return CsvEncoding::kAuto;
  if (n == "utf-8" || n == "utf8") return CsvEncoding::kUtf8;
  if (n == "gb18030" || n == "gbk" || n == "gb2312" || n == "cp936") return CsvEncoding::kGb18030;
  return std::nullopt;
}

Result<CsvTable> read_csv(std::string_view bytes, CsvEncoding encoding) {
  const bool detected = encoding == CsvEncoding::kAuto;
  if (detected) encoding = looks_utf8(bytes) ? CsvEncoding::kUtf8 : CsvEncoding::kGb18030;
  Result<CsvTable> table = fail("bad_csv", "not read");
  if (encoding == CsvEncoding::kGb18030) {
    JY_TRY(std::string text, gb18030_to_utf8(bytes));
    table = parse_csv(text);
  } else {
    table = parse_csv(bytes);
  }
  if (table) {
    table->encoding = encoding == CsvEncoding::kGb18030 ? "GB18030" : "UTF-8";
    table->encoding_detected = detected;
  }
  return table;
}

Result<CsvTable> parse_csv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  CsvTable table;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, row_has_content = false;
  int64_t line = 1, row_line = 1;
  auto end_row = [&]() {
    row.push_back(std::move(cell));
    cell.clear();
    const bool blank = row.size() == 1 && row[0].empty() && !row_has_content;
    if (!blank) {
      if (table.header.empty()) {
        table.header = std::move(row);
      } else {
        table.rows.push_back({row_line, std::move(row)});
      }
    }
    row.clear();
    row_has_content = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        cell.push_back(c);
      }
      continue;
    }
    if (c == '"' && cell.empty()) {
      quoted = true;
      row_has_content = true;
    } else if (c == ',') {
      row.push_back(std::move(cell));
      cell.clear();
      row_has_content = true;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    } else if (c == '\n') {
      end_row();
      row_line = ++line;
    } else {
      cell.push_back(c);
    }
  }
  if (quoted)
    return fail("bad_csv", "line " + std::to_string(row_line) + ": a quoted cell is never closed");
  if (!cell.empty() || !row.empty()) end_row();
  if (table.header.empty()) return fail("bad_csv", "the file is empty: expected a header row");
  return table;
}

namespace {

// The columns a sheet of `type` may have: each field by name (a score by its dimension's), and
// the list of them for a refusal.
struct TypeColumns {
  std::map<std::string, const FieldInfo*> by_name;
  std::string known = "id, source, occurred";
};

TypeColumns type_columns(const std::vector<FieldInfo>& fields) {
  TypeColumns t;
  for (const FieldInfo& f : fields) {
    if (f.kind == FieldKind::kScores) {
      for (std::string_view d : kDimensionNames) {
        t.by_name[std::string(d)] = &f;
        t.known += ", " + std::string(d);
      }
    } else {
      t.by_name[f.name] = &f;
      t.known += ", " + f.name;
    }
  }
  return t;
}

// The field name of each column of the header (a Chinese name mapped to its field), each once,
// occurred among them.
Result<std::vector<std::string>> header_columns(const CsvTable& table, const FactTypeInfo& type,
                                                const TypeColumns& t) {
  std::vector<std::string> columns;
  for (size_t i = 0; i < table.header.size(); ++i) {
    if (!valid_utf8(table.header[i])) {
      return fail(field_error("bad_csv", "column " + std::to_string(i + 1),
                              "a name in " + table.encoding,
                              "bytes that are not " + table.encoding));
    }
    std::string name = trim(table.header[i]);
    if (auto it = chinese_columns().find(name); it != chinese_columns().end()) name = it->second;
    const bool envelope = name == "id" || name == "source" || name == "occurred";
    if (!envelope && !t.by_name.contains(name)) {
      return fail(field_error(
          "bad_csv", "column " + std::to_string(i + 1),
          "a column of " + std::string(type.name) + " (" + t.known + ", or their Chinese names)",
          "\"" + table.header[i] + "\""));
    }
    if (std::find(columns.begin(), columns.end(), name) != columns.end()) {
      return fail(field_error("bad_csv", "column " + std::to_string(i + 1), "each column once",
                              "a second \"" + name + "\""));
    }
    columns.push_back(name);
  }
  if (std::find(columns.begin(), columns.end(), "occurred") == columns.end()) {
    return fail(field_error("bad_csv", "header", "a column occurred (日期)", "none"));
  }
  return columns;
}

// Why a row cannot be a fact before its cells are read (not text of the encoding, the wrong
// number of cells), or nothing.
std::optional<Error> row_shape_error(const CsvTable& table, const CsvTable::Row& row,
                                     size_t columns) {
  bool utf8 = true;
  for (const std::string& c : row.cells) utf8 = utf8 && valid_utf8(c);
  if (!utf8) {
    return field_error(
        "bad_csv", "row " + std::to_string(row.line), table.encoding + " text",
        "bytes that are not " + table.encoding +
            (table.encoding_detected ? " (detected; name the encoding if it is another)" : ""));
  }
  if (row.cells.size() != columns) {
    return field_error("bad_csv", "row " + std::to_string(row.line),
                       std::to_string(columns) + " cells, as the header has",
                       std::to_string(row.cells.size()));
  }
  return std::nullopt;
}

// A row as the fact it says, in the JSON a department would have sent.
std::string row_fact(const CsvTable::Row& row, const std::vector<std::string>& columns,
                     const TypeColumns& t, const FactTypeInfo& type, const DepartmentId& source) {
  json ev{{"specversion", "1.0"}, {"type", std::string(type.name)}, {"source", source.value}};
  json data = json::object();
  std::string id;
  std::string content = std::string(type.name);
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string value = trim(row.cells[i]);
    content += '\x1f' + value;
    if (columns[i] == "id") {
      id = value;
    } else if (columns[i] == "source") {
      if (!value.empty()) ev["source"] = value;
    } else if (columns[i] == "occurred") {
      if (!value.empty()) ev["occurred"] = value;
    } else if (!value.empty()) {
      const FieldInfo& f = *t.by_name.at(columns[i]);
      if (f.kind == FieldKind::kScores) {
        data["scores"][columns[i]] = cell_json(f, value);
      } else {
        data[columns[i]] = cell_json(f, value);
      }
    }
  }
  // Without an id column, the row's content is its identity: the same row twice is one fact.
  ev["id"] = id.empty() ? "csv-" + sha256_hex(content).substr(0, 24) : id;
  ev["data"] = std::move(data);
  return ev.dump();
}

}  // namespace

Result<std::vector<CsvRow>> csv_rows(const CsvTable& table, const FactTypeInfo& type,
                                     const DepartmentId& source, const std::string& file) {
  const std::vector<FieldInfo> fields = describe_fields(type);
  const TypeColumns t = type_columns(fields);
  JY_TRY(const std::vector<std::string> columns, header_columns(table, type, t));
  std::vector<CsvRow> out;
  for (const CsvTable::Row& row : table.rows) {
    CsvRow r;
    r.line = row.line;
    r.input.origin = file + " row " + std::to_string(row.line);
    r.input.proven_source = source;
    if (auto why = row_shape_error(table, row, columns.size())) {
      r.rejection = std::move(*why);
      for (const std::string& c : row.cells)
        r.input.bytes.append(r.input.bytes.empty() ? "" : ",").append(c);
    } else {
      r.input.bytes = row_fact(row, columns, t, type, source);
    }
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

// The longest Chinese name a map gives for `value` (小区编号 rather than 小区), or the value.
std::string longest_name_of(const std::map<std::string, std::string>& names,
                            const std::string& value) {
  std::string best;
  for (const auto& [zh, v] : names) {
    if (v == value && zh.size() > best.size()) best = zh;
  }
  return best.empty() ? value : best;
}

// The Chinese a field is written under.
std::string chinese_name(const std::string& field) {
  if (field == "occurred") return "日期";  // as the bureau's own sheets head it
  if (field == "name") return "小区名称";  // a company's is 企业名称 (import_template)
  return longest_name_of(chinese_columns(), field);
}

std::string chinese_value(const std::string& code) {
  return longest_name_of(chinese_values(), code);
}

std::string example_of(const FieldInfo& f, std::string_view street) {
  static const std::map<std::string, std::string> kNamed = {{"community", "SJ00001"},
                                                            {"company", "CO0001"},
                                                            {"manager", "PM0001-1"},
                                                            {"name", "示例小区"},
                                                            {"households", "500"},
                                                            {"fee", "2.50"},
                                                            {"year", "2023"},
                                                            {"respondents", "50"},
                                                            {"members", "7"},
                                                            {"party_members", "3"},
                                                            {"points", "1"},
                                                            {"manager_name", "张伟"},
                                                            {"credit_code", "91310117MA10000139"}};
  if (f.name == "street") return std::string(street);
  if (auto it = kNamed.find(f.name); it != kNamed.end()) return it->second;
  switch (f.kind) {
    case FieldKind::kInteger:
      return std::to_string(std::clamp<int64_t>(1, f.lo, f.hi));
    case FieldKind::kNumber:
    case FieldKind::kScores:
      return Centi{std::clamp<int64_t>(9000, f.lo, f.hi)}.to_string();
    case FieldKind::kBoolean:
      return "是";
    case FieldKind::kEnum:
      return f.values.empty() ? std::string() : chinese_value(f.values.front());
    case FieldKind::kDate:
      return "2023-05-01";
    case FieldKind::kString:
      return "示例";
  }
  return {};
}

}  // namespace

bool has_import_template(const FactTypeInfo& type) {
  // A retraction names the retracted fact's id, which a sheet's id column would take for its own.
  return type.name != "jiayuan.tick" && type.name != "jiayuan.fact.retracted";
}

ImportTemplate import_template(const FactTypeInfo& type, std::string_view street) {
  ImportTemplate t;
  const bool company = type.name == "jiayuan.company.registered";
  auto add = [&](const std::string& field, std::string example) {
    t.fields.push_back(field);
    t.headers.push_back(company && field == "name" ? "企业名称" : chinese_name(field));
    t.example.push_back(company && field == "name" ? "示例物业管理有限公司" : std::move(example));
  };
  add("occurred", "2023-05-01");
  for (const FieldInfo& f : describe_fields(type)) {
    if (f.kind == FieldKind::kScores) {
      for (std::string_view d : kDimensionNames) add(std::string(d), example_of(f, street));
    } else {
      add(f.name, example_of(f, street));
    }
  }
  return t;
}

}  // namespace jiayuan
