// Every way in on a real broker: a department's facts over HTTP (POST /v1/events), as an
// upload (POST /v1/imports) and by `jiayuan import` with the department's own credentials go to
// its inbox, are judged by the engine's intake like anything it produces there, and each item
// is answered from intake's receipt: accepted with its position in jiayuan.events, duplicate,
// or rejected with the reason. The dead-letter log reads while the engine runs.
#include "connectors/kafka_gateway.h"

#include <httplib.h>

#include <chrono>
#include <thread>

#include "tests/kafka/kafka_fixture.h"

namespace jiayuan {
namespace {

using nlohmann::json;
using testing::ProcessResult;

constexpr const char* kStreetToken = "xiaokunshan-token-0123456789";
constexpr const char* kDistrictToken = "district-token-0123456789";

std::string event(const std::string& id, const std::string& type, const std::string& community,
                  const std::string& occurred, const json& data) {
  return json{{"specversion", "1.0"},
              {"id", id},
              {"source", "street.xiaokunshan"},
              {"type", type},
              {"subject", community},
              {"occurred", occurred},
              {"data", data}}
      .dump();
}

std::string registration(const std::string& id, const std::string& community) {
  return event(id, "jiayuan.community.registered", community, "2020-03-01",
               {{"community", community},
                {"name", "网关家园"},
                {"street", "xiaokunshan"},
                {"households", 320},
                {"fee", 1.8},
                {"enclosure", "closed"},
                {"category", "commodity"}});
}

class KafkaWaysIn : public KafkaE2E {
 protected:
  // The engine on Kafka serving HTTP; its port.
  int serve() {
    std::ofstream(dir_ / "tokens.toml")
        << "[tokens]\n\"" << kStreetToken << "\" = \"street.xiaokunshan\"\n\"" << kDistrictToken
        << "\" = { scope = \"district\" }\n";
    engine_ = start(
        dir_ / "engine",
        {"run", "--http", "127.0.0.1:0", "--tokens", dir_ / "tokens.toml", "--instance", "gw-1"},
        "engine", "info");
    return testing::wait_for_port(dir_ / "engine.out");
  }
  void TearDown() override {
    if (engine_ > 0) {
      kill(engine_, SIGTERM);
      const ProcessResult stopped = wait(engine_, "engine");
      EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    }
  }
  // GET with the district's token, until `done` holds of the answer (60 s at most).
  json get_until(httplib::Client& c, const std::string& path,
                 const std::function<bool(int, const json&)>& done) {
    const httplib::Headers auth = {{"Authorization", std::string("Bearer ") + kDistrictToken}};
    json last;
    for (int i = 0; i < 600; ++i) {
      const auto got = c.Get(path, auth);
      if (got) {
        last = json::parse(got->body, nullptr, false);
        if (done(got->status, last)) return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << path << " never answered as expected; last: " << last.dump();
    return last;
  }
  pid_t engine_ = -1;
};

TEST_F(KafkaWaysIn, ADepartmentPublishesOverHttpAndByUploadAndEveryItemIsAnsweredFromIntake) {
  const int port = serve();
  ASSERT_GT(port, 0) << slurp_err("engine");
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(90, 0);
  const httplib::Headers auth = {{"Authorization", std::string("Bearer ") + kStreetToken}};

  const std::string body =
      registration("gw-reg-1", "SJ09101") + "\n" +
      event("gw-sv-1", "jiayuan.survey", "SJ09101", "2023-06-01",
            {{"community", "SJ09101"}, {"satisfaction", 130}, {"respondents", 40}}) +
      "\n" + registration("gw-reg-1", "SJ09101") + "\n";
  const auto posted = client.Post("/v1/events", auth, body, "application/x-ndjson");
  ASSERT_TRUE(posted) << httplib::to_string(posted.error());
  ASSERT_EQ(posted->status, 200) << posted->body;
  const json answer = json::parse(posted->body);
  ASSERT_EQ(answer["results"].size(), 3u) << answer.dump();
  EXPECT_EQ(answer["accepted"], 1) << answer.dump();
  EXPECT_EQ(answer["rejected"], 1) << answer.dump();
  EXPECT_EQ(answer["duplicates"], 1) << answer.dump();
  const json& accepted = answer["results"][0];
  EXPECT_EQ(accepted["status"], "accepted");
  EXPECT_NE(answer["results"][1]["reason"].get<std::string>().find("data.satisfaction"),
            std::string::npos)
      << answer.dump();
  EXPECT_EQ(answer["results"][2]["status"], "duplicate");
  // The position answered is the fact's place in jiayuan.events.
  auto log = open_log();
  ASSERT_TRUE(log);
  auto at = log->read(topics::kEvents, accepted["partition"].get<int32_t>(),
                      accepted["offset"].get<int64_t>(), 1);
  ASSERT_TRUE(at && !at->empty()) << accepted.dump();
  EXPECT_EQ(at->front().record.header("ce_id"), "gw-reg-1");

  // An upload: one good row, one of the wrong shape (refused by the gateway, dead-lettered by
  // intake with the reader's reason), one with a bad value.
  const std::string csv =
      "community,occurred,satisfaction,respondents,id\nSJ09101,2023-05-04,88,40,gw-sv-2\n"
      "SJ09101,2023-05-05\nSJ09101,2023-05-06,130,40,gw-sv-3\n";
  const auto uploaded =
      client.Post("/v1/imports?type=survey", auth, csv, "text/csv; charset=utf-8");
  ASSERT_TRUE(uploaded);
  ASSERT_EQ(uploaded->status, 200) << uploaded->body;
  const json rows = json::parse(uploaded->body);
  EXPECT_EQ(rows["accepted"], 1) << rows.dump();
  EXPECT_EQ(rows["rejected"], 2) << rows.dump();
  EXPECT_EQ(rows["rows"][0]["status"], "accepted");
  EXPECT_EQ(rows["rows"][1]["status"], "rejected");
  EXPECT_EQ(rows["rows"][2]["status"], "rejected");

  // The facts reach the projections; the rejections are in /v1/dead-letters while it runs.
  get_until(client, "/v1/communities/SJ09101",
            [](int status, const json& v) { return status == 200 && v["name"] == "网关家园"; });
  const json dead = get_until(client, "/v1/dead-letters", [](int status, const json& v) {
    return status == 200 && v.contains("items") && v["items"].size() >= 2;
  });
  std::string reasons = dead.dump();
  EXPECT_NE(reasons.find("data.satisfaction"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("csv"), std::string::npos) << reasons;
  // And from the command line beside the running engine.
  const ProcessResult listed = jy(dir_ / "engine", {"dead-letter", "list"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("data.satisfaction"), std::string::npos) << listed.out;
  // Every message has its receipt, which the department may read.
  EXPECT_EQ(records_in(physical(receipts_topic("street.xiaokunshan"))), 6u);
}

TEST_F(KafkaWaysIn, ImportWithTheDepartmentsOwnCredentialsAnswersEveryRowAndNoOtherInbox) {
  ASSERT_GT(serve(), 0) << slurp_err("engine");
  const std::string file =
      write_file("registrations.csv",
                 "community,occurred,name,street,households,fee,enclosure,category,id\n"
                 "SJ09201,2020-03-01,导入家园,xiaokunshan,210,2.1,closed,commodity,gw-imp-1\n"
                 "SJ09202,2020-03-01,导入二村,xiaokunshan,-5,2.1,closed,commodity,gw-imp-2\n");
  const std::string password =
      "street.xiaokunshan" + testing::env_or("JIAYUAN_KAFKA_DEPARTMENT_PASSWORD_SUFFIX", "-secret");
  const std::string engine_user = testing::env_or("JIAYUAN_KAFKA_USERNAME");
  const std::string engine_password = testing::env_or("JIAYUAN_KAFKA_PASSWORD");
  ::setenv("JIAYUAN_KAFKA_USERNAME", "street.xiaokunshan", 1);
  ::setenv("JIAYUAN_KAFKA_PASSWORD", password.c_str(), 1);
  const ProcessResult imported =
      jy(dir_ / "department", {"import", file, "--type", "community.registered", "--source",
                               "street.xiaokunshan", "--json"});
  // Another department's inbox: the broker refuses these credentials.
  const ProcessResult elsewhere =
      jy(dir_ / "department",
         {"import", file, "--type", "community.registered", "--source", "hotline", "--wait", "5"});
  ::setenv("JIAYUAN_KAFKA_USERNAME", engine_user.c_str(), 1);
  ::setenv("JIAYUAN_KAFKA_PASSWORD", engine_password.c_str(), 1);

  EXPECT_EQ(imported.exit_code, 1) << imported.err;  // done, with a rejection
  const json rows = json::parse(imported.out, nullptr, false);
  ASSERT_TRUE(rows.is_object()) << imported.out << imported.err;
  EXPECT_EQ(rows["accepted"], 1) << rows.dump();
  EXPECT_EQ(rows["rejected"], 1) << rows.dump();
  ASSERT_EQ(rows["rows"].size(), 2u);
  EXPECT_EQ(rows["rows"][0]["status"], "accepted");
  EXPECT_NE(rows["rows"][1]["reason"].get<std::string>().find("data.households"), std::string::npos)
      << rows.dump();
  EXPECT_EQ(elsewhere.exit_code, 2) << elsewhere.out << elsewhere.err;
  EXPECT_NE(elsewhere.err.find("not authorized"), std::string::npos) << elsewhere.err;
}

}  // namespace
}  // namespace jiayuan
