#include "connectors/table_export.h"

#include <gtest/gtest.h>

namespace jiayuan {
namespace {

using nlohmann::json;

TEST(TableExport, CsvHasABomChineseHeadersAndQuotesWhatNeedsIt) {
  static const ExportColumn kColumns[] = {
      {"community", "小区编号"}, {"name", "小区名称"}, {"score", "得分"}};
  const json rows = json::array({{{"community", "C1"}, {"name", "翠湖, 二期"}, {"score", "80.35"}},
                                 {{"community", "C2"}, {"name", "说\"好\"\n的"}}});
  EXPECT_EQ(csv_table(rows, kColumns),
            "\xEF\xBB\xBF小区编号,小区名称,得分\r\nC1,\"翠湖, "
            "二期\",80.35\r\nC2,\"说\"\"好\"\"\n的\",\r\n");
  EXPECT_EQ(csv_table(json::array(), kColumns), "\xEF\xBB\xBF小区编号,小区名称,得分\r\n");
}

TEST(TableExport, CellsReadAsPeopleReadThem) {
  EXPECT_EQ(export_cell(true), "是");
  EXPECT_EQ(export_cell(false), "否");
  EXPECT_EQ(export_cell(json()), "");
  EXPECT_EQ(export_cell(1984), "1984");
  EXPECT_EQ(export_cell(json::array({"a", "b"})), "a；b");
  EXPECT_EQ(export_cell(json::array({{{"due", "2024-03-21"}, {"what", "x"}}})), "2024-03-21 x");
  EXPECT_EQ(export_cell("commodity", true), "商品房");
  EXPECT_EQ(export_cell(json::array({"ebike_charging", "fee_adjustment"}), true),
            "电动自行车充电；物业费调整");
  EXPECT_EQ(export_cell("commodity"), "commodity");
  EXPECT_EQ(export_cell("not-a-code", true), "not-a-code");
}

TEST(TableExport, ATextCellExcelWouldRunAsAFormulaIsWrittenAsText) {
  EXPECT_EQ(export_cell("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
  EXPECT_EQ(export_cell("+1+2"), "'+1+2");
  EXPECT_EQ(export_cell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(export_cell("-0.20"), "-0.20");  // a number stays a number
  EXPECT_EQ(export_cell("小区"), "小区");
}

TEST(TableExport, AKeyDescendsThroughObjects) {
  const json row = {{"factors_percent", {{"hotline", "91.89"}}}, {"rank", 1}};
  EXPECT_EQ(export_value(row, "factors_percent/hotline"), "91.89");
  EXPECT_TRUE(export_value(row, "factors_percent/media").is_null());
  EXPECT_TRUE(export_value(row, "rank/x").is_null());
  EXPECT_EQ(export_value(row, "rank"), 1);
}

}  // namespace
}  // namespace jiayuan
