// HTTP ingest end to end: the real binary serving on loopback, a real HTTP client.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/gb18030_sample.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/xlsx_sample.h"

namespace jiayuan {
namespace {

using nlohmann::json;

const std::string kBureauToken = "bureau-token-0123456789";
const std::string kStreetToken = "yueyang-token-0123456789";

class HttpIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_ / "tokens.toml")
        << "[tokens]\n\"" << kBureauToken << "\" = \"bureau\"\n\"" << kStreetToken
        << "\" = \"street.yueyang\"\n\"district-token-0123456789\" = { scope = \"district\" }\n";
    pid_ = testing::spawn(JIAYUAN_BINARY,
                          {"--config", JIAYUAN_TEST_CONFIG_DIR, "--data-dir", dir_ / "data",
                           "--log-level", "warn", "run", "--http", "127.0.0.1:0", "--tokens",
                           dir_ / "tokens.toml", "--max-items", "5", "--max-body", "20000"},
                          dir_ / "out", dir_ / "err");
    port_ = testing::wait_for_port(dir_ / "out");
    ASSERT_GT(port_, 0) << testing::slurp(dir_ / "err");
  }
  void TearDown() override {
    kill(pid_, SIGTERM);
    auto r = testing::wait_for(pid_, dir_ / "out", dir_ / "err");
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  httplib::Result post(const std::string& body, const std::string& type, const std::string& token) {
    httplib::Client c("127.0.0.1", port_);
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    return c.Post("/v1/events", h, body, type.c_str());
  }
  testing::TempDir dir_;
  pid_t pid_ = 0;
  int port_ = 0;
};

std::string reg(const std::string& id, const std::string& source = "bureau") {
  return R"({"specversion":"1.0","id":")" + id + R"(","source":")" + source +
         R"(","type":"jiayuan.community.registered","occurred":"2022-06-01","data":{"community":")" +
         id +
         R"(","name":"n","street":"yueyang","households":10,"fee":2.5,"enclosure":"closed","category":"mixed"}})";
}

TEST_F(HttpIngestTest, NdjsonAndArraysAnswerEveryItem) {
  auto r = post(reg("H1") + "\n" + reg("H2") + "\n", "application/x-ndjson", kBureauToken);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json body = json::parse(r->body);
  EXPECT_EQ(body["accepted"], 2);
  EXPECT_EQ(body["results"][1]["status"], "accepted");
  // Each where it was appended: two places (the log has several partitions; a community's
  // key decides its partition).
  const json& first = body["results"][0];
  const json& second = body["results"][1];
  ASSERT_TRUE(first["partition"].is_number() && second["partition"].is_number()) << r->body;
  EXPECT_NE(std::pair(first["partition"].get<int>(), first["offset"].get<int>()),
            std::pair(second["partition"].get<int>(), second["offset"].get<int>()));

  auto arr = post("[" + reg("H1") + "," + reg("H3") + ",{\"specversion\":\"1.0\"}]",
                  "application/cloudevents-batch+json", kBureauToken);
  ASSERT_TRUE(arr);
  json a = json::parse(arr->body);
  EXPECT_EQ(a["results"][0]["status"], "duplicate");
  EXPECT_EQ(a["results"][1]["status"], "accepted");
  EXPECT_EQ(a["results"][2]["status"], "rejected");
  EXPECT_EQ(a["results"][2]["reason"], "id: expected a value, got nothing");
}

TEST_F(HttpIngestTest, TheTokenNotTheEnvelopeDecidesTheSource) {
  auto r = post(reg("H4", "bureau"), "application/cloudevents+json", kStreetToken);
  ASSERT_TRUE(r);
  json body = json::parse(r->body);
  EXPECT_EQ(body["results"][0]["code"], "source_mismatch");
  EXPECT_EQ(body["results"][0]["reason"],
            "source: expected \"street.yueyang\" (the department this channel authenticates), got "
            "\"bureau\"");
  auto ok = post(reg("H5", "street.yueyang"), "application/json", kStreetToken);
  EXPECT_EQ(json::parse(ok->body)["results"][0]["status"], "accepted");
}

TEST_F(HttpIngestTest, NoOrWrongTokenIs401) {
  auto none = post(reg("H6"), "application/json", "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(json::parse(none->body)["detail"],
            "Authorization: expected \"Bearer <token>\" (tokens are issued in the tokens file)");
  auto wrong = post(reg("H6"), "application/json", "not-a-token-at-all");
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(json::parse(wrong->body)["detail"], "the bearer token is not one of the tokens file");
}

TEST_F(HttpIngestTest, CsvUploadAnswersEveryRowAndASecondUploadAddsNothing) {
  httplib::Client c("127.0.0.1", port_);
  httplib::Headers h{{"Authorization", "Bearer " + kBureauToken}};
  const std::string csv =
      "\xEF\xBB\xBF小区编号,小区名称,街镇,户数,物业费,封闭类型,房屋类型,日期\n"
      "U1,锦绣苑,yueyang,500,2.8,封闭,商品房,2022-05-01\n"
      "U2,坏小区,atlantis,1,1,封闭,商品房,2022-05-01\n";
  auto r = c.Post("/v1/imports?type=community.registered", h, csv, "text/csv");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json body = json::parse(r->body);
  EXPECT_EQ(body["rows"][0]["row"], 2);
  EXPECT_EQ(body["rows"][0]["status"], "accepted");
  EXPECT_EQ(body["rows"][1]["reason"],
            "data.street: expected a street or town of config/district.toml, got \"atlantis\"");
  auto again = c.Post("/v1/imports?type=community.registered", h, csv, "text/csv");
  EXPECT_EQ(json::parse(again->body)["duplicates"], 1);
  auto bad_type = c.Post("/v1/imports?type=nope", h, csv, "text/csv");
  EXPECT_EQ(bad_type->status, 400);
}

TEST_F(HttpIngestTest, ACsvUploadInGbkIsReadByItsCharsetOrDetected) {
  httplib::Client c("127.0.0.1", port_);
  httplib::Headers h{{"Authorization", "Bearer " + kBureauToken}};
  const std::string gbk = testing::kGbHeader + testing::kGbRow1;
  auto named = c.Post("/v1/imports?type=community.registered", h, gbk, "text/csv; charset=GBK");
  ASSERT_TRUE(named);
  ASSERT_EQ(named->status, 200) << named->body;
  json body = json::parse(named->body);
  EXPECT_EQ(body["encoding"], "GB18030");
  EXPECT_EQ(body["encoding_detected"], false);
  EXPECT_EQ(body["accepted"], 1) << named->body;
  // Without a charset, detected; the row is the same fact, so it is already in.
  auto detected =
      c.Post("/v1/imports?type=community.registered", h, gbk + testing::kGbRow2, "text/csv");
  ASSERT_TRUE(detected);
  body = json::parse(detected->body);
  EXPECT_EQ(body["encoding_detected"], true);
  EXPECT_EQ(body["duplicates"], 1) << detected->body;
  EXPECT_EQ(body["accepted"], 1) << detected->body;
  // ?encoding= wins over the charset; an encoding it does not know is a 400 naming the parameter.
  auto forced = c.Post("/v1/imports?type=community.registered&encoding=utf-8", h, gbk,
                       "text/csv; charset=GBK");
  EXPECT_EQ(forced->status, 400);
  EXPECT_EQ(json::parse(forced->body)["detail"],
            "column 1: expected a name in UTF-8, got bytes that are not UTF-8");
  auto unknown =
      c.Post("/v1/imports?type=community.registered", h, gbk, "text/csv; charset=latin1");
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(json::parse(unknown->body)["parameter"], "Content-Type");
}

TEST_F(HttpIngestTest, AnXlsxUploadReadsItsFirstSheetAndAnswersPerExcelRow) {
  httplib::Client c("127.0.0.1", port_);
  httplib::Headers h{{"Authorization", "Bearer " + kBureauToken}};
  const std::string xlsx = testing::workbook(
      "登记",
      {{"小区编号", "小区名称", "街镇", "户数", "物业费", "封闭类型", "房屋类型", "日期"},
       {"X1", "锦绣苑", "yueyang", "500", "2.8", "封闭", "商品房", "2022-05-01"},
       {"X2", "翠湖苑", "yueyang", "three hundred", "1.5", "零星", "动迁房", "2022-05-01"}});
  const char* type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  auto up = c.Post("/v1/imports?type=community.registered", h, xlsx, type);
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 200) << up->body;
  json body = json::parse(up->body);
  EXPECT_EQ(body["format"], "xlsx");
  EXPECT_EQ(body["sheet"], "登记");
  EXPECT_FALSE(body.contains("encoding"));
  EXPECT_EQ(body["accepted"], 1) << up->body;
  ASSERT_EQ(body["rows"].size(), 2u);
  EXPECT_EQ(body["rows"][1]["row"], 3);
  EXPECT_EQ(body["rows"][1]["status"], "rejected");
  EXPECT_NE(body["rows"][1]["reason"].get<std::string>().find("data.households: expected"),
            std::string::npos)
      << up->body;
  // Known by its bytes whatever it is sent as; the same row again is already in.
  auto again = c.Post("/v1/imports?type=community.registered", h, xlsx, "application/octet-stream");
  ASSERT_TRUE(again);
  EXPECT_EQ(json::parse(again->body)["duplicates"], 1) << again->body;
  // Sent as a workbook, a CSV is refused saying so; an unknown ?format= names the parameter.
  auto csv = c.Post("/v1/imports?type=community.registered", h, "小区编号,日期\n", type);
  EXPECT_EQ(csv->status, 400);
  EXPECT_EQ(json::parse(csv->body)["detail"],
            "not an .xlsx: it does not begin as a ZIP archive (PK) does");
  auto odd = c.Post("/v1/imports?type=community.registered&format=ods", h, xlsx, type);
  EXPECT_EQ(odd->status, 400);
  EXPECT_EQ(json::parse(odd->body)["parameter"], "format");
}

TEST_F(HttpIngestTest, LimitsAndContentTypeAreAnsweredWithReasons) {
  std::string six;
  for (int i = 0; i < 6; ++i) six += reg("L" + std::to_string(i)) + "\n";
  auto many = post(six, "application/x-ndjson", kBureauToken);
  ASSERT_TRUE(many);
  EXPECT_EQ(many->status, 413);
  EXPECT_EQ(json::parse(many->body)["detail"], "batch: expected at most 5 events, got 6");
  auto big = post(std::string(30000, ' ') + reg("B1"), "application/json", kBureauToken);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  auto text = post(reg("T1"), "text/plain", kBureauToken);
  EXPECT_EQ(text->status, 415);
}

// The tokens file is read again on SIGHUP: a token added works, one removed is refused, and
// nothing restarts.
TEST_F(HttpIngestTest, SighupReadsTheTokensFileAgainWithoutARestart) {
  const std::string added = "bureau-second-token-0123456789";
  ASSERT_EQ(post(reg("S1"), "application/json", added)->status, 401);
  std::ofstream(dir_ / "tokens.toml", std::ios::trunc)
      << "[tokens]\n\"" << added << "\" = \"bureau\"\n\"" << kStreetToken
      << "\" = \"street.yueyang\"\n";
  kill(pid_, SIGHUP);
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = post(reg("S1"), "application/json", added)->status;
  }
  EXPECT_EQ(status, 200);
  EXPECT_EQ(post(reg("S2"), "application/json", kBureauToken)->status, 401);
  // A file that does not load leaves the tokens in force as they were.
  std::ofstream(dir_ / "tokens.toml", std::ios::trunc) << "[tokens\n";
  kill(pid_, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(post(reg("S3"), "application/json", added)->status, 200);
}

// `jiayuan serve` beside a running engine on the embedded log: a replica of its own follows the
// engine's log through a RocksDB secondary and answers as the engine does, byte for byte; it
// takes no facts (the engine is the one writer) and says how far it has folded.
TEST_F(HttpIngestTest, AReplicaBesideTheEngineFollowsItsLogAndAnswersTheSame) {
  std::string body;
  for (int i = 0; i < 5; ++i) body += reg("R" + std::to_string(i)) + "\n";
  ASSERT_EQ(post(body, "application/x-ndjson", kBureauToken)->status, 200);
  std::ofstream(dir_ / "readers.toml")
      << "[tokens]\n\"district-token-0123456789\" = { scope = \"district\" }\n\"" << kBureauToken
      << "\" = \"bureau\"\n";
  const pid_t replica =
      testing::spawn(JIAYUAN_BINARY,
                     {"--config", JIAYUAN_TEST_CONFIG_DIR, "--data-dir", dir_ / "data",
                      "--log-level", "warn", "serve", "--http", "127.0.0.1:0", "--tokens",
                      dir_ / "readers.toml", "--replica-dir", dir_ / "replica"},
                     dir_ / "replica.out", dir_ / "replica.err");
  const int port = testing::wait_for_port(dir_ / "replica.out");
  ASSERT_GT(port, 0) << testing::slurp(dir_ / "replica.err");
  ASSERT_EQ(post(reg("R5") + "\n" + reg("R6"), "application/x-ndjson", kBureauToken)->status, 200);
  const httplib::Headers auth = {{"Authorization", "Bearer district-token-0123456789"}};
  auto get = [&](int on, const std::string& path) {
    httplib::Client c("127.0.0.1", on);
    auto r = c.Get(path, auth);
    return r ? std::to_string(r->status) + " " + r->body : std::string("no answer");
  };
  std::string engine, copy;
  for (int i = 0; i < 100; ++i) {  // both fold in the background
    engine = get(port_, "/v1/communities/R6");
    copy = get(port, "/v1/communities/R6");
    if (engine.starts_with("200") && engine == copy) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(engine.starts_with("200")) << engine;
  EXPECT_EQ(copy, engine);
  for (const char* path : {"/v1/communities/R0", "/v1/communities?year=2023&limit=100",
                           "/v1/dead-letters", "/v1/revisions"})
    EXPECT_EQ(get(port, path), get(port_, path)) << path;
  const std::string ready = get(port, "/readyz");
  EXPECT_NE(ready.find("\"behind\":0"), std::string::npos) << ready;
  httplib::Client c("127.0.0.1", port);
  auto refused = c.Post("/v1/events", {{"Authorization", "Bearer " + kBureauToken}}, reg("R7"),
                        "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 404);
  EXPECT_NE(refused->body.find("read replica"), std::string::npos) << refused->body;
  kill(replica, SIGTERM);
  const auto stopped = testing::wait_for(replica, dir_ / "replica.out", dir_ / "replica.err");
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
}

// `jiayuan backup` while facts arrive: each backup's store and log agree (restored and run, its
// projections are what a rebuild from its log gives), and the last one, taken once the engine
// has folded everything, restores to the engine's own digest.
TEST_F(HttpIngestTest, BackupsTakenWhileFactsArriveRestoreToAStoreAndLogThatAgree) {
  auto jy = [&](const std::string& data, std::vector<std::string> args) {
    args.insert(args.begin(),
                {"--config", JIAYUAN_TEST_CONFIG_DIR, "--data-dir", data, "--log-level", "warn"});
    return testing::run(JIAYUAN_BINARY, args, dir_.path().string());
  };
  std::atomic<bool> sending{true};
  std::thread sender([&] {
    for (int i = 0; i < 60; ++i) {
      std::string body;
      for (int k = 0; k < 5; ++k) body += reg("B" + std::to_string(i * 5 + k)) + "\n";
      EXPECT_EQ(post(body, "application/x-ndjson", kBureauToken)->status, 200);
    }
    sending = false;
  });
  std::vector<std::string> backups;
  for (int n = 0; sending.load() || n < 2; ++n) {
    const std::string to = dir_ / ("backup-" + std::to_string(n));
    const auto made = jy(dir_ / "data", {"backup", to});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    backups.push_back(to);
  }
  sender.join();
  ASSERT_GE(backups.size(), 2u);
  for (size_t n = 0; n < backups.size(); ++n) {
    const std::string data = dir_ / ("restored-" + std::to_string(n));
    const auto restored = jy(data, {"restore", backups[n], "--json"});
    ASSERT_EQ(restored.exit_code, 0) << restored.err;
    ASSERT_EQ(jy(data, {"run"}).exit_code, 0);
    const std::string folded = jy(data, {"digest"}).out;
    ASSERT_EQ(jy(data, {"rebuild"}).exit_code, 0);
    EXPECT_EQ(jy(data, {"digest"}).out, folded) << "backup " << n << ": store and log disagree";
  }
  // Once the engine has folded everything, a backup restores to its digest.
  std::string digest;
  for (int i = 0; i < 100; ++i) {
    httplib::Client c("127.0.0.1", port_);
    auto r = c.Get("/v1/communities/B299", {{"Authorization", "Bearer district-token-0123456789"}});
    if (r && r->status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(jy(dir_ / "data", {"backup", dir_ / "last"}).exit_code, 0);
  const auto last = jy(dir_ / "restored-last", {"restore", dir_ / "last", "--json"});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  kill(pid_, SIGTERM);
  testing::wait_for(pid_, dir_ / "out", dir_ / "err");
  pid_ = testing::spawn("/bin/true", {}, dir_ / "out2", dir_ / "err2");  // for TearDown
  EXPECT_EQ(nlohmann::json::parse(last.out)["projections_digest"].get<std::string>() + "\n",
            jy(dir_ / "data", {"digest"}).out);
  // Nothing is overwritten: an existing backup or data directory is refused.
  EXPECT_EQ(jy(dir_ / "data", {"backup", dir_ / "last"}).exit_code, 2);
  EXPECT_EQ(jy(dir_ / "data", {"restore", dir_ / "last"}).exit_code, 2);
}

}  // namespace
}  // namespace jiayuan
