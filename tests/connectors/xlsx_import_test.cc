#include "connectors/xlsx_import.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "events/json_codec.h"

namespace jiayuan {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string temp_path(const char* ext) {
  static int n = 0;
  return (std::filesystem::temp_directory_path() /
          ("jiayuan-xlsx-" + std::to_string(getpid()) + "-" + std::to_string(++n) + ext))
      .string();
}

// A ZIP archive of these parts, written by libzip: a workbook as exact as the test needs it.
std::string zip_of(const std::vector<std::pair<std::string, std::string>>& parts) {
  const std::string path = temp_path(".zip");
  int error = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  EXPECT_NE(z, nullptr);
  for (const auto& [name, text] : parts) {
    zip_source_t* s = zip_source_buffer(z, text.data(), text.size(), 0);
    EXPECT_GE(zip_file_add(z, name.c_str(), s, ZIP_FL_ENC_UTF_8), 0);
  }
  EXPECT_EQ(zip_close(z), 0);
  std::string bytes = slurp(path);
  std::filesystem::remove(path);
  return bytes;
}

const std::string kWorkbook =
    R"(<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="检查" sheetId="1" r:id="rId1"/><sheet name="说明" sheetId="2" r:id="rId2"/></sheets></workbook>)";
const std::string kRels =
    R"(<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="worksheet" Target="worksheets/notes.xml"/><Relationship Id="rId1" Type="worksheet" Target="worksheets/data.xml"/></Relationships>)";
// Style 1: a built-in date (14); style 2: a custom Chinese date; style 3: a time only.
const std::string kStyles =
    R"(<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/><numFmt numFmtId="177" formatCode="[h]:mm"/></numFmts><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="176"/><xf numFmtId="177"/></cellXfs></styleSheet>)";
const std::string kStrings =
    R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>小区编号</t></si><si><t>日期</t></si><si><r><t>保洁</t></r><r><t>服务</t></r><rPh><t>ほけつ</t></rPh></si><si><t xml:space="preserve"> SJ00001 </t></si></sst>)";

std::string sheet(const std::string& rows) {
  return R"(<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>)" +
         rows + "</sheetData></worksheet>";
}

std::string workbook(const std::string& rows, const std::string& strings = kStrings) {
  return zip_of(
      {{"[Content_Types].xml", "<Types/>"},
       {"xl/workbook.xml", kWorkbook},
       {"xl/_rels/workbook.xml.rels", kRels},
       {"xl/styles.xml", kStyles},
       {"xl/sharedStrings.xml", strings},
       {"xl/worksheets/notes.xml",
        sheet(R"(<row r="1"><c r="A1" t="inlineStr"><is><t>not this one</t></is></c></row>)")},
       {"xl/worksheets/data.xml", sheet(rows)}});
}

TEST(XlsxImport, TheFirstSheetReadsAsAPersonSeesIt) {
  const std::string bytes = workbook(
      R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="inlineStr"><is><t>note</t></is></c></row>)"
      R"(<row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3" s="1"><v>45047</v></c><c r="C3"><v>80.500000000000014</v></c><c r="D3" t="b"><v>1</v></c></row>)"
      R"(<row r="4"><c r="A4" t="str"><f>A3</f><v>SJ00002</v></c><c r="B4" s="2"><v>45048.75</v></c><c r="C4"><v>92</v></c></row>)"
      R"(<row r="5"><c r="C5" s="3"><v>1.5</v></c></row>)"
      R"(<row r="7"><c r="A7"/><c r="B7" t="s"><v>1</v></c></row>)");
  auto t = read_xlsx(bytes);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->sheet, "检查");  // the workbook's first sheet, not the first part's
  EXPECT_EQ(t->header, (std::vector<std::string>{"小区编号", "日期", "保洁服务",
                                                 "note"}));  // runs joined, no phonetics
  ASSERT_EQ(t->rows.size(), 4u);
  EXPECT_EQ(t->rows[0].line, 3);  // Excel's row number: row 2 is empty
  EXPECT_EQ(t->rows[0].cells,
            (std::vector<std::string>{" SJ00001 ", "2023-05-01", "80.5", "true"}));
  EXPECT_EQ(t->rows[1].cells,
            (std::vector<std::string>{"SJ00002", "2023-05-02", "92", ""}));  // padded to the header
  EXPECT_EQ(t->rows[2].cells, (std::vector<std::string>{"", "", "1.5", ""}));  // a time is no date
  EXPECT_EQ(t->rows[3].line, 7);
  EXPECT_EQ(t->rows[3].cells[1], "日期");
}

TEST(XlsxImport, DatesCountFromExcelsEpochsIncludingItsLeapDay) {
  auto date_of = [](const std::string& serial, const std::string& pr = "") {
    std::string wb = kWorkbook;
    if (!pr.empty()) wb.replace(wb.find("<sheets>"), 0, pr);
    const std::string bytes = zip_of(
        {{"xl/workbook.xml", wb},
         {"xl/_rels/workbook.xml.rels", kRels},
         {"xl/styles.xml", kStyles},
         {"xl/worksheets/data.xml",
          sheet(
              R"(<row r="1"><c r="A1" t="inlineStr"><is><t>日期</t></is></c></row><row r="2"><c r="A2" s="1"><v>)" +
              serial + "</v></c></row>")}});
    auto t = read_xlsx(bytes);
    EXPECT_TRUE(t) << t.error().message;
    return t ? t->rows.at(0).cells.at(0) : std::string();
  };
  EXPECT_EQ(date_of("1"), "1900-01-01");
  EXPECT_EQ(date_of("59"), "1900-02-28");
  EXPECT_EQ(date_of("61"), "1900-03-01");  // 60 is Lotus's 1900-02-29
  EXPECT_EQ(date_of("44927"), "2023-01-01");
  EXPECT_EQ(date_of("43466", R"(<workbookPr date1904="1"/>)"), "2023-01-02");
}

TEST(XlsxImport, AWorkbookWrittenByLibxlsxwriterMapsToTheSameFactsAsItsCsv) {
  for (const bool constant_memory : {false, true}) {  // shared strings, or inline strings
    const std::string path = temp_path(".xlsx");
    lxw_workbook_options options{};
    options.constant_memory = constant_memory ? LXW_TRUE : LXW_FALSE;
    lxw_workbook* wb = workbook_new_opt(path.c_str(), &options);
    lxw_worksheet* ws = workbook_add_worksheet(wb, "登记");
    lxw_format* date = workbook_add_format(wb);
    format_set_num_format(date, "yyyy-mm-dd");
    const char* head[] = {"小区编号", "小区名称", "街镇",     "户数",
                          "物业费",   "封闭类型", "房屋类型", "日期"};
    for (lxw_col_t c = 0; c < 8; ++c) worksheet_write_string(ws, 0, c, head[c], nullptr);
    worksheet_write_string(ws, 1, 0, "SJ00001", nullptr);
    worksheet_write_string(ws, 1, 1, "佳苑", nullptr);
    worksheet_write_string(ws, 1, 2, "yueyang", nullptr);
    worksheet_write_number(ws, 1, 3, 1200, nullptr);
    worksheet_write_number(ws, 1, 4, 2.5, nullptr);
    worksheet_write_string(ws, 1, 5, "封闭", nullptr);
    worksheet_write_string(ws, 1, 6, "商品房", nullptr);
    lxw_datetime when = {2023, 1, 15, 0, 0, 0};
    worksheet_write_datetime(ws, 1, 7, &when, date);
    ASSERT_EQ(workbook_close(wb), LXW_NO_ERROR);
    const std::string bytes = slurp(path);
    std::filesystem::remove(path);

    ASSERT_TRUE(looks_like_xlsx(bytes));
    auto t = read_xlsx(bytes);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->sheet, "登记");
    ASSERT_EQ(t->rows.size(), 1u);
    EXPECT_EQ(t->rows[0].cells, (std::vector<std::string>{"SJ00001", "佳苑", "yueyang", "1200",
                                                          "2.5", "封闭", "商品房", "2023-01-15"}));
    const FactTypeInfo& type = *find_fact_type("jiayuan.community.registered");
    auto from_xlsx = csv_rows(*t, type, DepartmentId("bureau"), "x.xlsx");
    auto csv = parse_csv(
        "小区编号,小区名称,街镇,户数,物业费,封闭类型,房屋类型,日期\nSJ00001,佳苑,yueyang,1200,2.5,"
        "封闭,商品房,2023-01-15\n");
    auto from_csv = csv_rows(*csv, type, DepartmentId("bureau"), "x.csv");
    ASSERT_TRUE(from_xlsx && from_csv);
    ASSERT_FALSE((*from_xlsx)[0].rejection) << (*from_xlsx)[0].rejection->message;
    // The same row either way is the same fact (its id is derived from its content).
    EXPECT_EQ((*from_xlsx)[0].input.bytes, (*from_csv)[0].input.bytes);
  }
}

TEST(XlsxImport, WhatIsNotAWorkbookIsRefusedSayingWhatToDo) {
  auto refused = [](const std::string& bytes, const XlsxLimits& limits = {}) {
    auto t = read_xlsx(bytes, limits);
    EXPECT_FALSE(t);
    return t ? std::string() : t.error().message;
  };
  EXPECT_NE(refused("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 rest of an .xls").find("Excel 97-2003"),
            std::string::npos);
  EXPECT_NE(refused("小区编号,日期\n").find("does not begin as a ZIP archive"), std::string::npos);
  EXPECT_NE(refused("PK\x03\x04 and then nothing").find("damaged ZIP archive"), std::string::npos);
  EXPECT_EQ(refused(zip_of({{"data.csv", "a,b\n"}})),
            "not an Excel workbook: it has no xl/workbook.xml");
  EXPECT_NE(refused(workbook("<row><c r=\"A1\"><v>1</v></c>"))
                .find("xl/worksheets/data.xml: not well-formed XML"),
            std::string::npos);
  EXPECT_EQ(refused(workbook(R"(<row r="1"><c r="A1" t="s"><v>9</v></c></row>)")),
            "检查 cell A1: refers to shared string 9 of 4");
  EXPECT_EQ(refused(workbook(R"(<row r="1"><c r="A1"><v>1</v></c><c r="IW1"><v>2</v></c></row>)")),
            "检查 cell IW1: expected at most 256 columns (A..IV)");
  EXPECT_EQ(refused(workbook(R"(<row r="2"><c r="B2"><v>1</v></c><c r="A2"><v>2</v></c></row>)")),
            "检查 row 2: cell \"A2\" is not a cell reference after the one before");
  EXPECT_EQ(refused(workbook(R"(<row r="3"/><row r="2"/>)")),
            "检查 row 2: expected rows in order, at most 1048576");
  EXPECT_EQ(refused(workbook("")),
            "sheet \"检查\" is empty: expected a header row, then the facts");
  // A part that inflates beyond the limit is refused while it is read, not after.
  const std::string big = workbook("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>" +
                                   std::string(200000, 'x') + "</t></is></c></row>");
  EXPECT_LT(big.size(), 10000u);
  EXPECT_EQ(refused(big, XlsxLimits{.max_part_bytes = 100000}),
            "xl/worksheets/data.xml: expected at most 100000 bytes uncompressed, got more");
}

TEST(XlsxImport, AWorkbookIsKnownByItsBytesOrItsName) {
  EXPECT_TRUE(is_workbook("PK\x03\x04..."));
  EXPECT_TRUE(is_workbook("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"));
  EXPECT_TRUE(is_workbook("a,b\n", "检查.XLSX"));
  EXPECT_TRUE(is_workbook("a,b\n", "old.xls"));
  EXPECT_FALSE(is_workbook("a,b\n", "inspections.csv"));
  EXPECT_FALSE(is_workbook("a,b\n"));
}

}  // namespace
}  // namespace jiayuan
