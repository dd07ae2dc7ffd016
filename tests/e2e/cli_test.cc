// End to end through the real binary, real files and real RocksDB: publish, run, query,
// rebuild, replay.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/gb18030_sample.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/xlsx_sample.h"

namespace jiayuan {
namespace {

class Cli : public ::testing::Test {
 protected:
  testing::ProcessResult jy(std::vector<std::string> args) {
    return jy_in(dir_ / "data", std::move(args));
  }
  testing::ProcessResult jy_in(const std::string& data, std::vector<std::string> args) {
    args.insert(args.begin(),
                {"--config", JIAYUAN_TEST_CONFIG_DIR, "--data-dir", data, "--log-level", "warn"});
    return testing::run(JIAYUAN_BINARY, args, dir_.path().string());
  }
  std::string demo() {
    const std::string file = dir_ / "demo.ndjson";
    auto r = jy({"gen", "--communities", "40", "--seed", "17", "-o", file});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return file;
  }
  std::string digest() {
    auto r = jy({"digest"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  testing::TempDir dir_;
};

TEST_F(Cli, PublishRunAndQueryACommunityWithItsGradeAndWhy) {
  const std::string file = demo();
  auto pub = jy({"publish", file});
  ASSERT_EQ(pub.exit_code, 0) << pub.err;
  EXPECT_NE(pub.out.find("0 rejected"), std::string::npos) << pub.out;
  ASSERT_EQ(jy({"run"}).exit_code, 0);
  auto q = jy({"query", "community", "SJ00001"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_NE(q.out.find("2023: "), std::string::npos) << q.out;
  EXPECT_NE(q.out.find("service score"), std::string::npos) << q.out;
  EXPECT_NE(q.out.find("rule set songjiang-2022-134"), std::string::npos) << q.out;
  auto s = jy({"query", "summary", "--year", "2023"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("district"), std::string::npos);
  EXPECT_NE(s.out.find("targets 2023 (policy)"), std::string::npos);
}

TEST_F(Cli, PublishTakesFilesInOrderAcrossBatchesAndStopsAtOneItCannotOpen) {
  const std::string all = dir_ / "all.ndjson";
  ASSERT_EQ(jy({"gen", "--communities", "150", "--seed", "17", "-o", all}).exit_code, 0);
  std::vector<std::string> lines;
  {
    std::ifstream in(all);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  ASSERT_GT(lines.size(), 2700u);  // several of publish's batches (1,000 lines)
  const std::string first = dir_ / "first.ndjson", second = dir_ / "second.ndjson";
  {
    std::ofstream a(first), b(second);
    for (size_t i = 0; i < lines.size(); ++i) {
      (i < 2500 ? a : b) << lines[i] << "\n";
      if (i == 1500) a << "not json, line 1502\n";
      if (i == 2600) b << "not json, line 102\n";
    }
  }
  auto pub = jy({"publish", first, second, dir_ / "missing.ndjson", "--json"});
  EXPECT_EQ(pub.exit_code, 2) << pub.err;
  EXPECT_NE(pub.err.find("missing.ndjson: cannot open for reading"), std::string::npos) << pub.err;
  // Each refused line in the order read, named by its file and line.
  const size_t a = pub.err.find(first + ":1502: rejected: not valid JSON");
  const size_t b = pub.err.find(second + ":102: rejected: not valid JSON");
  EXPECT_NE(a, std::string::npos) << pub.err;
  EXPECT_NE(b, std::string::npos) << pub.err;
  EXPECT_LT(a, b) << pub.err;
  // Everything before the file that could not be opened is in the log, once.
  auto again = jy({"publish", first, second});
  EXPECT_NE(again.out.find("0 accepted, " + std::to_string(lines.size()) + " already in the log"),
            std::string::npos)
      << again.out;
}

TEST_F(Cli, UnknownCommunityIsANonZeroExitWithAReason) {
  ASSERT_EQ(jy({"run"}).exit_code, 0);
  auto q = jy({"query", "community", "NOPE"});
  EXPECT_EQ(q.exit_code, 2);
  EXPECT_NE(q.err.find("community NOPE is not known"), std::string::npos) << q.err;
}

TEST_F(Cli, MalformedLineIsRejectedWithItsLineNumberAndTheRestGoesOn) {
  const std::string file = demo();
  std::vector<std::string> lines;
  {
    std::ifstream in(file);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  const size_t total = lines.size();
  lines.insert(lines.begin() + 2,
               R"({"specversion":"1.0","id":"x","source":"bureau","type":"jiayuan.survey",)"
               R"("occurred":"2023-05-01","data":{"community":"SJ00001","satisfaction":130}})");
  lines.insert(lines.begin() + 5, "this is not json");
  const std::string bad = dir_ / "bad.ndjson";
  {
    std::ofstream out(bad);
    for (const auto& l : lines) out << l << "\n";
  }
  auto pub = jy({"publish", bad});
  EXPECT_EQ(pub.exit_code, 1);
  EXPECT_NE(
      pub.err.find(bad +
                   ":3: rejected: data.satisfaction: expected a number 0.00..100.00 with at most "
                   "two decimals, got 130"),
      std::string::npos)
      << pub.err;
  EXPECT_NE(pub.err.find(bad + ":6: rejected: not valid JSON"), std::string::npos) << pub.err;
  EXPECT_NE(pub.out.find(std::to_string(total) + " accepted"), std::string::npos) << pub.out;
  auto dl = jy({"dead-letter", "list"});
  EXPECT_NE(dl.out.find(bad + ":3"), std::string::npos) << dl.out;
  auto show = jy({"dead-letter", "show", "1"});
  EXPECT_NE(show.out.find("this is not json"), std::string::npos) << show.out;
  // Publishing the same file again adds nothing.
  auto again = jy({"publish", bad});
  EXPECT_NE(again.out.find("0 accepted, " + std::to_string(total) + " already in the log"),
            std::string::npos)
      << again.out;
}

TEST_F(Cli, TheLogIsTheTruthRebuildAndFullReplayGiveTheSameDigest) {
  ASSERT_EQ(jy({"publish", demo()}).exit_code, 0);
  ASSERT_EQ(jy({"run"}).exit_code, 0);
  const std::string original = digest();
  ASSERT_EQ(original.size(), 65u);

  auto rebuilt = jy({"rebuild"});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_EQ(digest(), original);

  // Delete the engine's whole store (state, outbox, projections) and replay the log.
  std::filesystem::remove_all(dir_ / "data/engine");
  ASSERT_EQ(jy({"run"}).exit_code, 0);
  EXPECT_EQ(digest(), original);
}

TEST_F(Cli, AuditOfAYearIsIdenticalAndExitsZeroAndAWhatIfListsChangesWithoutWriting) {
  ASSERT_EQ(jy({"publish", demo()}).exit_code, 0);
  ASSERT_EQ(jy({"run"}).exit_code, 0);
  const std::string before = digest();
  auto a = jy({"audit", "--year", "2023", "--work-dir", dir_ / "scratch"});
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_NE(a.out.find("hash chains: intact"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("decisions: identical"), std::string::npos) << a.out;
  EXPECT_NE(a.err.find("audit 2023 ["), std::string::npos) << "no progress bar: " << a.err;
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "scratch")) << "scratch directories left behind";

  // A rule set that lowers every 达标 threshold to 0: nothing unvetoed fails any more.
  std::ifstream in(std::string(JIAYUAN_TEST_CONFIG_DIR) + "/rules/songjiang-2022-134.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string toml = text.str();
  for (const char* from : {"passing = 70", "passing = 65", "passing = 60"}) {
    const size_t at = toml.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    toml.replace(at, std::string(from).size(), "passing = 0");
  }
  std::ofstream(dir_ / "lenient.toml") << toml;
  auto w = jy({"audit", "--year", "2023", "--rules", dir_ / "lenient.toml", "--json"});
  ASSERT_EQ(w.exit_code, 1) << w.err;  // done, with differences (as diff)
  const auto changes = nlohmann::json::parse(w.out)["changes"];
  bool failing_to_passing = false;
  for (const auto& c : changes) {
    if (c["what"] == "grade" && c["from"].get<std::string>().starts_with("failing") &&
        c["to"].get<std::string>().starts_with("passing")) {
      failing_to_passing = true;
    }
  }
  EXPECT_TRUE(failing_to_passing) << w.out;
  EXPECT_EQ(digest(), before);  // the engine's own store is untouched

  auto bad = jy({"audit", "--year", "2023", "--rules", dir_ / "missing.toml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("missing.toml: cannot open the proposed rule set"), std::string::npos)
      << bad.err;
}

TEST_F(Cli, CsvImportReportsEachRowAndImportingTwiceAddsNothing) {
  const std::string reg = dir_ / "reg.csv";
  std::ofstream(reg) << "\xEF\xBB\xBF小区编号,小区名称,街镇,户数,物业费,封闭类型,房屋类型,日期\r\n"
                        "C1,锦绣苑,yueyang,500,2.8,封闭,商品房,2022-05-01\r\n"
                        "C2,坏小区,atlantis,1,1,封闭,商品房,2022-05-01\r\n"
                        "C3,\"翠湖, 二期\",fangsong,300,1.5,零星,动迁房,2022-05-01\r\n"
                        "C4,短行\r\n";
  auto first = jy({"import", reg, "--type", "community.registered", "--source", "bureau",
                   "--report", dir_ / "rep.csv"});
  EXPECT_EQ(first.exit_code, 1);
  EXPECT_NE(first.out.find("4 rows, 2 accepted, 0 already in the log, 2 rejected"),
            std::string::npos)
      << first.out;
  EXPECT_NE(first.err.find(reg + " row 3: rejected: data.street: expected a street or town"),
            std::string::npos)
      << first.err;
  EXPECT_EQ(
      testing::slurp(dir_ / "rep.csv"),
      "row,verdict,reason\n2,accepted,\"\"\n3,rejected,\"data.street: expected a street or town of "
      "config/district.toml, got \"\"atlantis\"\"\"\n4,accepted,\"\"\n"
      "5,rejected,\"row 5: expected 8 cells, as the header has, got 2\"\n");
  // Both rejections are in the dead-letter log, with their stage and row.
  auto dl = jy({"dead-letter", "list"});
  EXPECT_NE(dl.out.find("intake\t" + reg + " row 3"), std::string::npos) << dl.out;
  EXPECT_NE(dl.out.find("csv\t" + reg + " row 5"), std::string::npos) << dl.out;
  auto again = jy({"import", reg, "--type", "community.registered", "--source", "bureau"});
  EXPECT_NE(again.out.find("0 accepted, 2 already in the log, 2 rejected"), std::string::npos)
      << again.out;
  ASSERT_EQ(jy({"run"}).exit_code, 0);
  auto q = jy({"query", "community", "C3"});
  EXPECT_NE(q.out.find("翠湖, 二期"), std::string::npos) << q.out;
}

TEST_F(Cli, ACompanyFactBeforeItsCompanyIsListedWaitingThenRejectedWhenTheCompanyIsKnownOnlyLater) {
  const std::string f = dir_ / "company.ndjson";
  std::ofstream(f)
      << R"({"specversion":"1.0","id":"sr-1","source":"bureau","type":"jiayuan.social.responsibility","subject":"CO77","occurred":"2023-03-01","data":{"company":"CO77","description":"助老"}})"
      << "\n";
  auto first = jy({"publish", f});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("waiting for the registration of company CO77"), std::string::npos)
      << first.err;
  ASSERT_EQ(jy({"run"}).exit_code, 0);
  auto waiting = jy({"dead-letter", "list"});
  EXPECT_NE(waiting.out.find(
                "waiting\tprojector\tbureau/sr-1\twaiting for the registration of company CO77"),
            std::string::npos)
      << waiting.out;
  const std::string reg = dir_ / "reg.ndjson";
  std::ofstream(reg)
      << R"({"specversion":"1.0","id":"co-77","source":"bureau","type":"jiayuan.company.registered","subject":"CO77","occurred":"2023-06-01","data":{"company":"CO77","name":"松江七七物业有限公司","credit_code":"91310117MA10000139"}})"
      << "\n";
  ASSERT_EQ(jy({"publish", reg}).exit_code, 0);
  ASSERT_EQ(jy({"run"}).exit_code, 0);
  auto rejected = jy({"dead-letter", "list"});
  EXPECT_NE(
      rejected.out.find(
          "rejected\tprojector\tbureau/sr-1\tdated before the company's registration or first "
          "contract (company CO77 is known from 2023-06-01)"),
      std::string::npos)
      << rejected.out;
}

TEST_F(Cli, ACsvSavedByExcelAsGbkIsReadAsGb18030AndSaysSo) {
  const std::string gbk = dir_ / "gbk.csv";
  std::ofstream(gbk, std::ios::binary)
      << testing::kGbHeader << testing::kGbRow1 << testing::kGbRow2;
  auto first = jy({"import", gbk, "--type", "community.registered", "--source", "bureau"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("(GB18030, detected): 2 rows, 2 accepted"), std::string::npos)
      << first.out;
  // Named as UTF-8, its Chinese header is not UTF-8: the file is refused, saying which column.
  auto named = jy({"import", gbk, "--type", "community.registered", "--source", "bureau",
                   "--encoding", "utf-8"});
  EXPECT_EQ(named.exit_code, 2);
  EXPECT_NE(named.err.find("column 1: expected a name in UTF-8, got bytes that are not UTF-8"),
            std::string::npos)
      << named.err;
  auto unknown = jy({"import", gbk, "--type", "community.registered", "--source", "bureau",
                     "--encoding", "latin1"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--encoding: expected auto, utf-8 or gb18030 (gbk), got \"latin1\""),
            std::string::npos)
      << unknown.err;
  ASSERT_EQ(jy({"run"}).exit_code, 0);
  auto q = jy({"query", "community", "C1"});
  EXPECT_NE(q.out.find("锦绣苑𠀀"), std::string::npos) << q.out;
}

TEST_F(Cli, AnExcelWorkbookImportsLikeItsCsvAndABadRowIsNamedByItsExcelRow) {
  const std::string xlsx = dir_ / "登记.xlsx";
  std::ofstream(xlsx, std::ios::binary) << testing::workbook(
      "登记", {{"小区编号", "小区名称", "街镇", "户数", "物业费", "封闭类型", "房屋类型", "日期"},
               {"C1", "锦绣苑", "yueyang", "500", "2.8", "封闭", "商品房", "2022-05-01"},
               {"C2", "翠湖苑", "yueyang", "many", "1.5", "零星", "动迁房", "2022-05-01"},
               {"C3", "春申苑", "yueyang", "300", "1.5", "零星", "动迁房", "2022-05-01"}});
  auto first = jy({"import", xlsx, "--type", "community.registered", "--source", "bureau"});
  EXPECT_EQ(first.exit_code, 1) << first.err;  // a row was rejected
  EXPECT_NE(first.out.find(
                "(xlsx, sheet \"登记\"): 3 rows, 2 accepted, 0 already in the log, 1 rejected"),
            std::string::npos)
      << first.out;
  EXPECT_NE(first.err.find("row 3: rejected: data.households: expected"), std::string::npos)
      << first.err;
  // The same rows as a CSV are the same facts: nothing new.
  const std::string csv = dir_ / "登记.csv";
  std::ofstream(csv) << "小区编号,小区名称,街镇,户数,物业费,封闭类型,房屋类型,日期\n"
                        "C1,锦绣苑,yueyang,500,2.8,封闭,商品房,2022-05-01\n"
                        "C3,春申苑,yueyang,300,1.5,零星,动迁房,2022-05-01\n";
  auto again = jy({"import", csv, "--type", "community.registered", "--source", "bureau"});
  EXPECT_NE(again.out.find("2 rows, 0 accepted, 2 already in the log"), std::string::npos)
      << again.out;
  auto encoded = jy({"import", xlsx, "--type", "community.registered", "--source", "bureau",
                     "--encoding", "gbk"});
  EXPECT_EQ(encoded.exit_code, 2);
  EXPECT_NE(encoded.err.find("--encoding: names a CSV's encoding"), std::string::npos)
      << encoded.err;
  const std::string xls = dir_ / "old.xls";
  std::ofstream(xls, std::ios::binary)
      << "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" << std::string(500, '\0');
  auto old = jy({"import", xls, "--type", "community.registered", "--source", "bureau"});
  EXPECT_EQ(old.exit_code, 2);
  EXPECT_NE(old.err.find("old.xls: not an .xlsx: an Excel 97-2003 workbook (.xls)"),
            std::string::npos)
      << old.err;
  ASSERT_EQ(jy({"run"}).exit_code, 0);
  auto q = jy({"query", "community", "C3"});
  EXPECT_NE(q.out.find("春申苑"), std::string::npos) << q.out;
}

TEST_F(Cli, ARetractedFactCountsAsNeverHavingHappenedAndOnlyItsSenderMayRetractIt) {
  const std::string file = demo();
  // The first major safety incident of the demo, and the same facts without it.
  std::vector<std::string> lines;
  {
    std::ifstream in(file);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  const auto hit = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("jiayuan.safety.incident") != std::string::npos &&
           l.find("\"major\"") != std::string::npos;
  });
  ASSERT_NE(hit, lines.end()) << "the demo has no major incident to retract";
  const auto fact = nlohmann::json::parse(*hit);
  const std::string id = fact["id"], source = fact["source"], community = fact["data"]["community"];
  lines.erase(hit);
  const std::string without = dir_ / "without.ndjson";
  {
    std::ofstream out(without);
    for (const auto& l : lines) out << l << "\n";
  }
  ASSERT_EQ(jy_in(dir_ / "never", {"publish", without}).exit_code, 0);
  ASSERT_EQ(jy_in(dir_ / "never", {"run"}).exit_code, 0);
  const std::string never = jy_in(dir_ / "never", {"query", "community", community, "--json"}).out;

  ASSERT_EQ(jy({"publish", file}).exit_code, 0);
  ASSERT_EQ(jy({"run"}).exit_code, 0);
  const std::string vetoed = jy({"query", "community", community, "--json"}).out;
  EXPECT_NE(vetoed, never) << "the incident should change " << community << "'s rating";

  auto other = jy({"retract", "--source", "bureau", "--id", id, "--reason", "not ours"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(
      other.err.find("data.id: expected the id of a fact bureau published, got \"" + id + "\""),
      std::string::npos)
      << other.err;
  auto r = jy({"retract", "--source", source, "--id", id, "--reason",
               "recorded against the wrong community", "--date", "2024-07-02"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("retracted: " + source + "/" + id), std::string::npos) << r.out;
  auto twice =
      jy({"retract", "--source", source, "--id", id, "--reason", "again", "--date", "2024-07-03"});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_NE(twice.err.find("expected a fact not yet retracted"), std::string::npos) << twice.err;
  ASSERT_EQ(jy({"run"}).exit_code, 0);
  EXPECT_EQ(jy({"query", "community", community, "--json"}).out, never);

  // The revision it caused is on record: the fact that caused it, before and after, and that
  // the year's rating had been published by then; never in the log that did not have it.
  auto rev = jy({"query", "revisions", "--year", "2023", "--json"});
  ASSERT_EQ(rev.exit_code, 0) << rev.err;
  bool rating_revised = false;
  const auto listed = nlohmann::json::parse(rev.out);
  ASSERT_FALSE(listed["revisions"].empty()) << rev.out;
  for (const auto& r : listed["revisions"]) {
    if (r["cause"]["id"] != "retract-" + id)
      continue;  // the demo's own (a late complaint, a withdrawn inspection)
    EXPECT_EQ(r["community"], community);
    EXPECT_EQ(r["log_date"], "2024-07-02");
    if (r["kind"] == "community.rated") {
      rating_revised = true;
      EXPECT_EQ(r["before"]["grade"], "failing") << r;
      EXPECT_NE(r["after"]["grade"], "failing") << r;
      EXPECT_EQ(r["after_publication"], true) << r;
    }
  }
  EXPECT_TRUE(rating_revised) << rev.out;
  auto with = jy({"query", "community", community, "--revisions"});
  EXPECT_NE(with.out.find("REVISED AFTER PUBLICATION"), std::string::npos) << with.out;
  // The audit recomputes the revisions from the log and finds each names the decision it revises.
  auto a = jy({"audit", "--year", "2023", "--work-dir", dir_ / "scratch"});
  EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_NE(a.out.find("hash chains: intact"), std::string::npos) << a.out;
  auto none = jy_in(dir_ / "never", {"query", "revisions", "--json"});
  const auto never_revised =
      nlohmann::json::parse(none.out);  // kept: a range over a temporary's member dangles
  for (const auto& r : never_revised["revisions"])
    EXPECT_NE(r["cause"]["id"], "retract-" + id) << r;
}

TEST_F(Cli, OneDistrictWidePublicationActsAsEachCommunitysOwnOfTheSameDay) {
  const std::string file = demo();
  // The demo publishes each community's rating on one day; the same facts with one
  // district-wide publication (no community) of that day in their place.
  std::vector<std::string> lines;
  std::set<std::string> days, communities;
  {
    std::ifstream in(file);
    for (std::string l; std::getline(in, l);) {
      const auto ev = nlohmann::json::parse(l);
      if (ev["type"] == "jiayuan.ratings.published") {
        days.insert(ev["occurred"].get<std::string>());
      } else {
        lines.push_back(l);
      }
      if (ev["type"] == "jiayuan.community.registered")
        communities.insert(ev["data"]["community"].get<std::string>());
    }
  }
  ASSERT_EQ(days.size(), 1u);
  lines.push_back(nlohmann::json{{"specversion", "1.0"},
                                 {"id", "publish-2023"},
                                 {"source", "bureau"},
                                 {"type", "jiayuan.ratings.published"},
                                 {"occurred", *days.begin()},
                                 {"data", {{"year", 2023}}}}
                      .dump());
  const std::string wide = dir_ / "wide.ndjson";
  {
    std::ofstream out(wide);
    for (const auto& l : lines) out << l << "\n";
  }
  for (const auto& [data, f] : {std::pair{dir_ / "data", file}, std::pair{dir_ / "wide", wide}}) {
    ASSERT_EQ(jy_in(data, {"publish", f}).exit_code, 0);
    ASSERT_EQ(jy_in(data, {"tick", "--date", "2024-06-30"}).exit_code, 0);
    ASSERT_EQ(jy_in(data, {"run"}).exit_code, 0);
  }
  auto both = [&](std::vector<std::string> q) {
    auto own = jy_in(dir_ / "data", q), one = jy_in(dir_ / "wide", q);
    EXPECT_EQ(own.exit_code, 0) << own.err;
    EXPECT_EQ(own.out, one.out) << q[0] << " " << q[1];
    return own.out;
  };
  EXPECT_NE(both({"query", "cases", "--as-of", "2024-06-30", "--all"}).find("interview"),
            std::string::npos);
  both({"query", "summary", "--year", "2023"});
  // The excellent communities by name and company, as the awards' JSON names them.
  const std::string awards = both({"query", "awards", "--year", "2023"});
  const auto named = nlohmann::json::parse(both({"query", "awards", "--year", "2023", "--json"}));
  ASSERT_FALSE(named["excellent_communities"].empty()) << "the demo has no excellent community";
  for (const auto& c : named["excellent_communities"]) {
    ASSERT_TRUE(c["community_name"].is_string()) << c;
    EXPECT_NE(awards.find(c["community"].get<std::string>() + " " +
                          c["community_name"].get<std::string>()),
              std::string::npos)
        << awards;
    EXPECT_NE(awards.find(", " + c["company_name"].get<std::string>() + ")"), std::string::npos)
        << awards;
  }
  both({"query", "communities", "--year", "2023", "--json"});
  size_t n = 0;  // every eighth community in full (each query is a process; slow under ASan)
  for (const auto& c : communities) {
    if (n++ % 8 == 0) both({"query", "community", c, "--json"});
  }
}

TEST_F(Cli, BadConfigIsReportedWithFileAndKey) {
  const std::string cfg = dir_ / "cfg";
  std::filesystem::copy(JIAYUAN_TEST_CONFIG_DIR, cfg, std::filesystem::copy_options::recursive);
  std::ofstream(cfg + "/engine.toml")
      << "[engine]\ndata_dir = \"d\"\nbatch_size = 0\nlog_level = \"info\"\n";
  auto r = testing::run(JIAYUAN_BINARY, {"--config", cfg, "digest"}, dir_.path().string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(
      r.err.find(
          "engine.toml: key engine.batch_size (line 3): expected an integer 1..1000000, got 0"),
      std::string::npos)
      << r.err;
}

// Exit codes say what happened: 0 done; 1 done, with rejections (or differences); 2 could not
// run. --json answers what the text does, for programs.
TEST_F(Cli, ExitCodesSayDoneDoneWithRejectionsOrCouldNotRunAndJsonAnswersForPrograms) {
  auto version = jy({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(version.out.starts_with("jiayuan ")) << version.out;
  EXPECT_NE(version.out.find("decision format 5"), std::string::npos) << version.out;
  EXPECT_EQ(jy({"--no-such-option", "status"}).exit_code, 2);
  EXPECT_EQ(jy({"query", "community"}).exit_code, 2);  // a missing argument

  const std::string file = demo();
  auto pub = jy({"publish", file, "--json"});
  ASSERT_EQ(pub.exit_code, 0) << pub.err;
  const auto published = nlohmann::json::parse(pub.out);
  EXPECT_GT(published["accepted"].get<int>(), 100);
  EXPECT_EQ(published["rejected"], 0);
  ASSERT_EQ(jy({"tick", "--date", "2024-06-30", "--json"}).exit_code, 0);
  ASSERT_EQ(jy({"run"}).exit_code, 0);
  auto d = jy({"digest", "--json"});
  ASSERT_EQ(d.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(d.out)["digest"].get<std::string>() + "\n", digest());
  auto st = jy({"status", "--json"});
  ASSERT_EQ(st.exit_code, 0);
  const auto status = nlohmann::json::parse(st.out);
  EXPECT_EQ(status["outbox_pending"], 0);
  EXPECT_GT(status["decisions_applied"].get<int>(), 0);
  auto dl = jy({"dead-letter", "list", "--json"});
  ASSERT_EQ(dl.exit_code, 0);
  EXPECT_TRUE(nlohmann::json::parse(dl.out)["items"].is_array());

  // A data directory another process holds: could not run.
  const pid_t engine = testing::spawn(
      JIAYUAN_BINARY,
      {"--config", JIAYUAN_TEST_CONFIG_DIR, "--data-dir", dir_ / "data", "run", "--follow"},
      dir_ / "engine.out", dir_ / "engine.err");
  testing::ProcessResult locked;
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    locked = jy({"publish", file});
    if (locked.err.find("in use by another jiayuan process") != std::string::npos) break;
  }
  EXPECT_EQ(locked.exit_code, 2) << locked.err;
  // Reading beside it is fine.
  EXPECT_EQ(jy({"status"}).exit_code, 0);
  kill(engine, SIGTERM);
  testing::wait_for(engine, dir_ / "engine.out", dir_ / "engine.err");
  // Nothing answers there: unhealthy, 1.
  auto health = jy({"healthcheck", "--url", "http://127.0.0.1:1/healthz", "--timeout", "2"});
  EXPECT_EQ(health.exit_code, 1);
  EXPECT_NE(health.err.find("unhealthy"), std::string::npos) << health.err;
}

}  // namespace
}  // namespace jiayuan
