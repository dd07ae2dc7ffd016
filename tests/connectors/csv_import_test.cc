#include "connectors/csv_import.h"

#include <gtest/gtest.h>

#include "events/json_codec.h"
#include "tests/support/gb18030_sample.h"

namespace jiayuan {
namespace {

using testing::kGbHeader;
using testing::kGbRow1;
using testing::kGbRow2;

CommunityRegistered registration(const CsvRow& r) {
  auto ev = decode_event_json(r.input.bytes);
  EXPECT_TRUE(ev) << ev.error().message;
  return ev ? std::get<CommunityRegistered>(ev->fact) : CommunityRegistered{};
}

TEST(CsvParser, ReadsQuotesCrlfBomAndEmbeddedNewlines) {
  auto t = parse_csv(
      "\xEF\xBB\xBF"
      "a,b\r\n1,\"x, \"\"y\"\"\"\r\n\r\n2,\"two\nlines\"\n3,z");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->header, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(t->rows.size(), 3u);
  EXPECT_EQ(t->rows[0].cells[1], "x, \"y\"");
  EXPECT_EQ(t->rows[0].line, 2);
  EXPECT_EQ(t->rows[1].cells[1], "two\nlines");
  EXPECT_EQ(t->rows[1].line, 4);  // the blank line 3 is skipped
  EXPECT_EQ(t->rows[2].line, 6);
}

TEST(CsvParser, UnterminatedQuoteNamesItsLine) {
  auto t = parse_csv("a,b\n1,2\n3,\"oops\n");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message, "line 3: a quoted cell is never closed");
  EXPECT_FALSE(parse_csv(""));
}

TEST(CsvRows, ChineseHeaderAndCellsBecomeTheEvent) {
  auto t = parse_csv(
      "小区编号,小区名称,街镇,户数,物业费,封闭类型,房屋类型,日期\nC1,锦绣苑,yueyang,500,2.8,封闭,"
      "商品房,2022-05-01\n");
  ASSERT_TRUE(t);
  auto rows = csv_rows(*t, *find_fact_type("jiayuan.community.registered"), DepartmentId("bureau"),
                       "f.csv");
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  auto ev = decode_event_json((*rows)[0].input.bytes);
  ASSERT_TRUE(ev) << ev.error().message;
  const auto& reg = std::get<CommunityRegistered>(ev->fact);
  EXPECT_EQ(reg.name, "锦绣苑");
  EXPECT_EQ(reg.enclosure, Enclosure::kClosed);
  EXPECT_EQ(reg.category, Category::kCommodity);
  EXPECT_EQ(reg.fee, Centi{280});
  EXPECT_EQ(ev->envelope.source, "bureau");
  EXPECT_EQ((*rows)[0].input.origin, "f.csv row 2");
}

TEST(CsvRows, TheSameRowGetsTheSameDerivedIdAndADifferentRowAnother) {
  auto t = parse_csv(
      "community,occurred,substantiated\nC1,2023-05-01,是\nC1,2023-05-01,是\nC1,2023-05-02,否\n");
  auto rows = csv_rows(*t, *find_fact_type("jiayuan.petition"), DepartmentId("petitions"), "p.csv");
  ASSERT_TRUE(rows);
  auto id = [&](size_t i) { return decode_event_json((*rows)[i].input.bytes)->envelope.id; };
  EXPECT_EQ(id(0), id(1));
  EXPECT_NE(id(0), id(2));
  EXPECT_TRUE(std::get<Petition>(decode_event_json((*rows)[0].input.bytes)->fact).substantiated);
}

TEST(CsvRows, AnUnknownColumnIsAnErrorNamingIt) {
  auto t = parse_csv("community,occurred,colour\nC1,2023-05-01,red\n");
  auto rows = csv_rows(*t, *find_fact_type("jiayuan.petition"), DepartmentId("petitions"), "p.csv");
  ASSERT_FALSE(rows);
  EXPECT_NE(rows.error().message.find("column 3: expected a column of jiayuan.petition"),
            std::string::npos)
      << rows.error().message;
  EXPECT_NE(rows.error().message.find("got \"colour\""), std::string::npos);
}

TEST(CsvRows, ARowWithTheWrongNumberOfCellsIsRejectedAlone) {
  auto t = parse_csv("community,occurred,substantiated\nC1,2023-05-01\nC1,2023-05-01,true\n");
  auto rows = csv_rows(*t, *find_fact_type("jiayuan.petition"), DepartmentId("petitions"), "p.csv");
  ASSERT_TRUE(rows);
  ASSERT_TRUE((*rows)[0].rejection);
  EXPECT_EQ((*rows)[0].rejection->message, "row 2: expected 3 cells, as the header has, got 2");
  EXPECT_FALSE((*rows)[1].rejection);
}

TEST(CsvRows, ARowThatIsNotUtf8IsRejectedAlone) {
  auto t = parse_csv("community,occurred,substantiated\nC1,2023-05-01,\xD5\nC1,2023-05-01,true\n");
  auto rows = csv_rows(*t, *find_fact_type("jiayuan.petition"), DepartmentId("petitions"), "p.csv");
  ASSERT_TRUE(rows);
  ASSERT_TRUE((*rows)[0].rejection);
  EXPECT_EQ((*rows)[0].rejection->message,
            "row 2: expected UTF-8 text, got bytes that are not UTF-8");
  EXPECT_FALSE((*rows)[1].rejection);
}

TEST(CsvEncoding, AFileSavedAsGbkIsDetectedAndReadAsGb18030) {
  auto t = read_csv(kGbHeader + kGbRow1 + kGbRow2, CsvEncoding::kAuto);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->encoding, "GB18030");
  EXPECT_TRUE(t->encoding_detected);
  EXPECT_EQ(t->header[0], "小区编号");
  auto rows = csv_rows(*t, *find_fact_type("jiayuan.community.registered"), DepartmentId("bureau"),
                       "gbk.csv");
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(registration((*rows)[0]).name, "锦绣苑𠀀");
  EXPECT_EQ(registration((*rows)[0]).category, Category::kCommodity);
  EXPECT_EQ(registration((*rows)[1]).name, "翠湖苑");
  EXPECT_EQ(registration((*rows)[1]).enclosure, Enclosure::kScattered);
  // Named, the same; named wrongly, the header is not a header of the type, and says so.
  auto named = read_csv(kGbHeader + kGbRow1, CsvEncoding::kGb18030);
  ASSERT_TRUE(named);
  EXPECT_FALSE(named->encoding_detected);
  EXPECT_EQ(named->header, t->header);
  auto wrong = read_csv(kGbHeader + kGbRow1, CsvEncoding::kUtf8);
  ASSERT_TRUE(wrong);
  auto refused = csv_rows(*wrong, *find_fact_type("jiayuan.community.registered"),
                          DepartmentId("bureau"), "gbk.csv");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "column 1: expected a name in UTF-8, got bytes that are not UTF-8");
}

TEST(CsvEncoding, ABrokenByteInAGbFileRejectsItsRowAlone) {
  std::string damaged = kGbRow1;
  damaged[3] = '\xFF';  // no GB18030 character starts with 0xFF
  auto t = read_csv(kGbHeader + damaged + kGbRow2, CsvEncoding::kGb18030);
  ASSERT_TRUE(t) << t.error().message;
  auto rows = csv_rows(*t, *find_fact_type("jiayuan.community.registered"), DepartmentId("bureau"),
                       "gbk.csv");
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_TRUE((*rows)[0].rejection);
  EXPECT_EQ((*rows)[0].rejection->message,
            "row 2: expected GB18030 text, got bytes that are not GB18030");
  ASSERT_FALSE((*rows)[1].rejection);
  EXPECT_EQ(registration((*rows)[1]).name, "翠湖苑");
}

TEST(CsvEncoding, AUtf8FileWithOneDamagedRowStaysUtf8) {
  auto t = read_csv(
      "小区编号,小区名称,街镇,户数,物业费,封闭类型,房屋类型,日期\n"
      "C1,锦绣苑,yueyang,500,2.8,封闭,商品房,2022-05-01\n"
      "C2,\xB4\xE4,yueyang,300,1.5,零星,动迁房,2022-05-01\n",
      CsvEncoding::kAuto);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->encoding, "UTF-8");
  auto rows = csv_rows(*t, *find_fact_type("jiayuan.community.registered"), DepartmentId("bureau"),
                       "u.csv");
  ASSERT_TRUE(rows);
  EXPECT_EQ(registration((*rows)[0]).name, "锦绣苑");
  ASSERT_TRUE((*rows)[1].rejection);
  EXPECT_EQ((*rows)[1].rejection->message,
            "row 3: expected UTF-8 text, got bytes that are not UTF-8 (detected; name the encoding "
            "if it is another)");
  // An ASCII file, and one with a UTF-8 BOM, are UTF-8 whatever follows.
  EXPECT_EQ(read_csv("community,occurred\nC1,2023-05-01\n", CsvEncoding::kAuto)->encoding, "UTF-8");
  EXPECT_EQ(read_csv("\xEF\xBB\xBF"
                     "a\n\xB4\xE4\n\xB4\xE4\n",
                     CsvEncoding::kAuto)
                ->encoding,
            "UTF-8");
}

TEST(CsvEncoding, NamesAreTheUsualOnesInAnyCase) {
  EXPECT_EQ(parse_csv_encoding("GBK"), CsvEncoding::kGb18030);
  EXPECT_EQ(parse_csv_encoding("gb2312"), CsvEncoding::kGb18030);
  EXPECT_EQ(parse_csv_encoding("CP936"), CsvEncoding::kGb18030);
  EXPECT_EQ(parse_csv_encoding("GB18030"), CsvEncoding::kGb18030);
  EXPECT_EQ(parse_csv_encoding("UTF-8"), CsvEncoding::kUtf8);
  EXPECT_EQ(parse_csv_encoding("utf8"), CsvEncoding::kUtf8);
  EXPECT_EQ(parse_csv_encoding("auto"), CsvEncoding::kAuto);
  EXPECT_FALSE(parse_csv_encoding("latin1"));
  EXPECT_FALSE(parse_csv_encoding(""));
}

TEST(CsvRows, AScoreCellWithMoreThanTwoDecimalsIsRefusedNotRounded) {
  auto t = parse_csv(
      "community,occurred,satisfaction,respondents\nC1,2023-05-01,80.0000000000000000000000000001,"
      "5\n"
      "C1,2023-05-02,80.25,5\n");
  auto rows = csv_rows(*t, *find_fact_type("jiayuan.survey"), DepartmentId("bureau"), "s.csv");
  ASSERT_TRUE(rows);
  auto bad = decode_event_json((*rows)[0].input.bytes);
  ASSERT_FALSE(bad);
  EXPECT_EQ(
      bad.error().message,
      "data.satisfaction: expected a number 0.00..100.00 with at most two decimals, got the string "
      "\"80.0000000000000000000000000001\"");
  auto good = decode_event_json((*rows)[1].input.bytes);
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(std::get<SatisfactionSurvey>(good->fact).satisfaction, Centi{8025});
}

}  // namespace
}  // namespace jiayuan

namespace jiayuan {
namespace {

TEST(ImportTemplate, EveryFactTypesTemplateReadsBackAsAValidFactUnderChineseHeaders) {
  EXPECT_FALSE(has_import_template(*find_fact_type("jiayuan.fact.retracted")));
  for (const FactTypeInfo& type : fact_types()) {
    if (!has_import_template(type)) continue;
    const ImportTemplate t = import_template(type, "yueyang");
    ASSERT_EQ(t.headers.size(), t.fields.size());
    ASSERT_EQ(t.example.size(), t.fields.size());
    EXPECT_EQ(t.headers.front(), "日期") << type.name;
    for (size_t i = 0; i < t.fields.size(); ++i) {
      if (t.fields[i] == "name") {
        EXPECT_EQ(t.headers[i],
                  type.name == "jiayuan.company.registered" ? "企业名称" : "小区名称");
      }
    }
    for (size_t i = 0; i < t.headers.size(); ++i) {
      EXPECT_NE(t.headers[i], t.fields[i])
          << type.name << ": " << t.fields[i] << " has no Chinese name";
    }
    std::string csv;
    for (const auto* line : {&t.headers, &t.example}) {
      for (size_t i = 0; i < line->size(); ++i) csv += (i ? "," : "") + (*line)[i];
      csv += "\n";
    }
    auto table = parse_csv(csv);
    ASSERT_TRUE(table) << type.name << ": " << table.error().message;
    auto rows = csv_rows(*table, type, DepartmentId("bureau"), "template.csv");
    ASSERT_TRUE(rows) << type.name << ": " << rows.error().message << "\n" << csv;
    ASSERT_EQ(rows->size(), 1u);
    ASSERT_FALSE((*rows)[0].rejection) << type.name << ": " << (*rows)[0].rejection->message;
    auto ev = decode_event_json((*rows)[0].input.bytes);
    EXPECT_TRUE(ev) << type.name << ": " << (ev ? "" : ev.error().message) << "\n" << csv;
  }
}

}  // namespace
}  // namespace jiayuan
