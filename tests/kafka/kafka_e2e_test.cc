// End-to-end against a real Apache Kafka broker (KRaft, SASL users per department, ACLs):
// the real `jiayuan` binary, departments publishing with kcat, crashes, two instances.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/kafka/kafka_fixture.h"

namespace jiayuan {
namespace {

using testing::ProcessResult;

// A registration as a street office would send it in binary content mode (CloudEvents Kafka
// binding): the envelope in ce_ headers, the data as the value.
std::vector<std::string> registration_headers(const std::string& id, const std::string& community) {
  return {"-H", "ce_specversion=1.0",
          "-H", "ce_id=" + id,
          "-H", "ce_type=jiayuan.community.registered",
          "-H", "ce_occurred=2020-03-01",
          "-H", "ce_subject=" + community,
          "-H", "ce_schemaversion=1"};
}

std::string registration_data(const std::string& community) {
  return R"({"category":"commodity","community":")" + community +
         R"(","enclosure":"closed","fee":2.1,"households":640,"name":"测试家园","street":"xiaokunshan"})";
}

TEST_F(KafkaE2E, ADepartmentPublishesWithKcatAndTheProjectionAnswers) {
  const std::string data_file = write_file("data.json", registration_data("SJ09001"));
  std::vector<std::string> args = {"-k", "SJ09001"};
  for (const auto& h : registration_headers("kcat-reg-1", "SJ09001")) args.push_back(h);
  const ProcessResult sent =
      kcat("street.xiaokunshan", inbox("street.xiaokunshan"), args, data_file);
  ASSERT_EQ(sent.exit_code, 0) << sent.err;

  const std::string data = dir_ / "engine";
  const ProcessResult run = jy(data, {"run"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const ProcessResult q = jy(data, {"query", "community", "SJ09001", "--json"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  const auto view = nlohmann::json::parse(q.out);
  EXPECT_EQ(view["name"], "测试家园");
  EXPECT_EQ(view["street"], "xiaokunshan");
  EXPECT_EQ(view["households"], 640);
}

// Over a real broker, each department's facts published through its own inbox, grouped by
// department (the bureau's inspections before the street offices' registrations): the same
// answers as the embedded log fed the file in date order. Then a department retracts a fact
// through its inbox: the answers become those of a log that never had it, and the revision is
// on record.
// The questions of the order test: the year's lists, every tenth community and `also`.
std::vector<std::vector<std::string>> year_questions(const std::set<std::string>& communities,
                                                     const std::string& also) {
  std::vector<std::vector<std::string>> questions = {
      {"query", "summary", "--year", "2023", "--json"},
      {"query", "awards", "--year", "2023", "--json"},
      {"query", "companies", "--year", "2023", "--json"},
      {"query", "cases", "--as-of", "2024-06-30", "--all", "--json"}};
  size_t n = 0;
  for (const auto& c : communities) {
    if (n++ % 10 == 0 || c == also) questions.push_back({"query", "community", c, "--json"});
  }
  return questions;
}

TEST_F(KafkaE2E, DepartmentsInTheirOwnOrderGiveTheDateOrderAnswersAndARetractionRevisesThem) {
  const auto facts = generated_facts(30, 10);  // a seed whose year has a major incident
  const auto incident = std::find_if(facts.begin(), facts.end(), [](const std::string& l) {
    return l.find("jiayuan.safety.incident") != std::string::npos &&
           l.find("\"major\"") != std::string::npos;
  });
  ASSERT_NE(incident, facts.end());
  const auto fact = nlohmann::json::parse(*incident);
  const std::string id = fact["id"], source = fact["source"], community = fact["data"]["community"];
  std::set<std::string> communities;
  std::string all, without;
  for (const std::string& l : facts) {
    const auto ev = nlohmann::json::parse(l);
    if (ev["type"] == "jiayuan.community.registered")
      communities.insert(ev["data"]["community"].get<std::string>());
    all += l + "\n";
    if (&l != &*incident) without += l + "\n";
  }
  // The embedded log, in date order (the generator's), with and without the fact.
  const std::string ordered = embedded_engine("ordered", all, "2024-06-30");
  const std::string never = embedded_engine("never", without, "2024-06-30");
  const auto questions = year_questions(communities, community);

  publish(facts);  // grouped by source, each through its own inbox
  const std::string data = dir_ / "engine";
  ASSERT_EQ(jy(data, {"tick", "--date", "2024-06-30"}).exit_code, 0);
  ASSERT_EQ(jy(data, {"run"}).exit_code, 0);
  EXPECT_EQ(answers(data, questions, true), answers(ordered, questions, false))
      << "delivery order changed an answer";

  // Delivery by department may already have revised outcomes (a fact dated before a rating that
  // arrived after it); the retraction's revisions are the ones it adds.
  auto revisions = [&] {
    const ProcessResult rev = jy(data, {"query", "revisions", "--json"});
    EXPECT_EQ(rev.exit_code, 0) << rev.err;
    std::map<std::string, nlohmann::json> by_decision;
    const auto listed = nlohmann::json::parse(rev.out);
    for (const auto& x : listed["revisions"]) by_decision[x["decision"].get<std::string>()] = x;
    return by_decision;
  };
  const auto before = revisions();
  const ProcessResult r =
      jy(dir_ / "publisher", {"retract", "--source", source, "--id", id, "--reason",
                              "recorded against the wrong community", "--date", "2024-07-02"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(jy(data, {"run"}).exit_code, 0);
  EXPECT_EQ(answers(data, questions, true), answers(never, questions, false))
      << "the retracted fact still counts";
  size_t added = 0;
  for (const auto& [decision, x] : revisions()) {
    if (before.contains(decision)) continue;
    ++added;
    EXPECT_EQ(x["community"], community) << x.dump();
    EXPECT_EQ(x["cause"]["id"], "retract-" + id) << x.dump();
  }
  EXPECT_GT(added, 0u) << "the retraction revised nothing";
}

// Now as an instant of transaction time, to the millisecond (UTC).
std::string instant_now() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms % 1000));
  return std::string(text);
}

// Transaction time over a real broker (DOMAIN.md "as known at K"): the facts in three
// deliveries, each through the departments' inboxes and taken in by its own `run`. Every answer
// as known at the end of delivery k, on the command line and over HTTP, is that of an embedded
// engine fed only deliveries 1..k.
TEST_F(KafkaE2E, AsKnownAtTheEndOfEachDeliveryIsWhatAnEngineFedOnlyThoseDeliveriesAnswers) {
  auto facts = generated_facts(20, 11);
  std::mt19937 rng(4);
  std::shuffle(facts.begin(), facts.end(), rng);
  const auto parts = split(facts, 3);
  const std::vector<std::vector<std::string>> questions = {
      {"query", "summary", "--year", "2023", "--json"},
      {"query", "awards", "--year", "2023", "--json"},
      {"query", "companies", "--year", "2023", "--json"},
      {"query", "communities", "--year", "2023", "--json"},
      {"query", "community", "SJ00004", "--json"}};
  const std::string data = dir_ / "engine";
  std::vector<std::string> ends;
  std::string fed_text;
  std::vector<std::string> expected;
  for (size_t k = 0; k < parts.size(); ++k) {
    publish(parts[k]);
    ASSERT_EQ(jy(data, {"run"}).exit_code, 0);
    ends.push_back(instant_now());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    // The embedded engine fed deliveries 1..k.
    for (const auto& l : parts[k]) fed_text += l + "\n";
    expected.push_back(
        answers(embedded_engine("fed-" + std::to_string(k), fed_text), questions, false));
  }
  ASSERT_NE(expected[0], expected[2]) << "the deliveries should change the answers";
  for (size_t k = 0; k < parts.size(); ++k) {
    std::string answers;
    for (auto q : questions) {
      q.insert(q.begin() + 1, {"--as-known", ends[k]});
      const ProcessResult r = jy(data, q);
      EXPECT_EQ(r.exit_code, 0) << r.err;
      answers += r.out;
    }
    EXPECT_EQ(answers, expected[k])
        << "as known at the end of delivery " << k + 1 << " (" << ends[k] << ")";
  }

  // Over HTTP, from an engine serving on Kafka: ?as_known= answers as the command line does.
  std::ofstream(dir_ / "tokens.toml")
      << "[tokens]\n\"district-token-0123456789\" = { scope = \"district\" }\n";
  const pid_t server =
      start(data, {"run", "--http", "127.0.0.1:0", "--tokens", dir_ / "tokens.toml"}, "serve");
  const int port = testing::wait_for_port(dir_ / "serve.out");
  ASSERT_GT(port, 0) << slurp_err("serve");
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(120, 0);
  const httplib::Headers auth = {{"Authorization", "Bearer district-token-0123456789"}};
  std::set<std::string> seen;
  for (size_t k = 0; k < parts.size(); ++k) {
    const auto got = client.Get("/v1/communities/SJ00004?as_known=" + ends[k], auth);
    ASSERT_TRUE(got) << httplib::to_string(got.error());
    EXPECT_EQ(got->status, 200) << got->body;
    const ProcessResult cli =
        jy(data, {"query", "--as-known", ends[k], "community", "SJ00004", "--json"});
    ASSERT_EQ(cli.exit_code, 0) << cli.err;
    const auto api = nlohmann::json::parse(got->body, nullptr, false);
    const auto want = nlohmann::json::parse(cli.out);
    EXPECT_EQ(api, want) << "delivery " << k + 1;  // one function answers both
    seen.insert(api.dump());
  }
  EXPECT_GT(seen.size(), 1u) << "every instant gave the same answer: " << *seen.begin();
  kill(server, SIGTERM);
  const ProcessResult stopped = wait(server, "serve");
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
}

TEST_F(KafkaE2E, TheBrokerLetsADepartmentWriteOnlyItsOwnInbox) {
  const std::string data_file = write_file("data.json", registration_data("SJ09002"));
  std::vector<std::string> args = {"-k", "SJ09002"};
  for (const auto& h : registration_headers("kcat-reg-2", "SJ09002")) args.push_back(h);
  // Another department's inbox, and the events log itself: refused by the broker's ACLs.
  for (const std::string& topic : {inbox("street.xiaokunshan"), physical(topics::kEvents)}) {
    const ProcessResult refused = kcat("hotline", topic, args, data_file);
    EXPECT_NE(refused.exit_code, 0) << topic;
    EXPECT_NE((refused.out + refused.err).find("uthoriz"), std::string::npos)
        << topic << ": " << refused.err;
    EXPECT_EQ(records_in(topic), 0u) << topic;
  }
  // Its own inbox: accepted.
  const ProcessResult own = kcat("hotline", inbox("hotline"), args, data_file);
  EXPECT_EQ(own.exit_code, 0) << own.err;
  EXPECT_EQ(records_in(inbox("hotline")), 1u);
}

TEST_F(KafkaE2E, PoisonMessagesGoToTheDeadLetterLogAndTheEngineGoesOn) {
  const std::string bad_json = write_file("bad.txt", "this is not JSON {");
  const std::string no_envelope = write_file("garbage.txt", "}{");
  const std::string wrong_schema =
      write_file("wrong.json", R"({"community":"SJ09003","scores":{"cleaning":"high"}})");
  const std::string spot_check =
      write_file("spot.json", R"({"community":"SJ09003","passed":false})");
  std::vector<std::string> inspection = {
      "-H", "ce_specversion=1.0",     "-H", "ce_type=jiayuan.inspection",
      "-H", "ce_occurred=2023-03-01", "-H", "ce_subject=SJ09003"};
  auto with = [](std::vector<std::string> a, std::vector<std::string> b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  ASSERT_EQ(
      kcat("bureau", inbox("bureau"), with(inspection, {"-H", "ce_id=p1"}), bad_json).exit_code, 0);
  ASSERT_EQ(kcat("bureau", inbox("bureau"), {}, no_envelope).exit_code, 0);
  ASSERT_EQ(
      kcat("bureau", inbox("bureau"), with(inspection, {"-H", "ce_id=p3"}), wrong_schema).exit_code,
      0);
  // The hotline may not publish spot checks (the bureau does).
  ASSERT_EQ(kcat("hotline", inbox("hotline"),
                 {"-H", "ce_specversion=1.0", "-H", "ce_type=jiayuan.spot.check", "-H", "ce_id=p4",
                  "-H", "ce_occurred=2023-03-01", "-H", "ce_subject=SJ09003"},
                 spot_check)
                .exit_code,
            0);
  // And one good fact after them.
  std::vector<std::string> good = {"-k", "SJ09003"};
  for (const auto& h : registration_headers("reg-3", "SJ09003")) good.push_back(h);
  ASSERT_EQ(kcat("street.xiaokunshan", inbox("street.xiaokunshan"), good,
                 write_file("good.json", registration_data("SJ09003")))
                .exit_code,
            0);

  const std::string data = dir_ / "engine";
  const ProcessResult run = jy(data, {"run"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(jy(data, {"query", "community", "SJ09003"}).exit_code, 0);
  const ProcessResult dead = jy(data, {"dead-letter", "list"});
  ASSERT_EQ(dead.exit_code, 0) << dead.err;
  EXPECT_EQ(records_in(physical(topics::kDeadLetter)), 4u) << dead.out;
  EXPECT_NE(dead.out.find("data: expected the fact's data as JSON"), std::string::npos) << dead.out;
  EXPECT_NE(dead.out.find("jiayuan.inbox.bureau[0]@1"), std::string::npos) << dead.out;
  EXPECT_NE(dead.out.find("data.scores"), std::string::npos) << dead.out;
  EXPECT_NE(dead.out.find("allowed to publish jiayuan.spot.check (bureau), got \"hotline\""),
            std::string::npos)
      << dead.out;
}

// The poison messages of docs/reliability.md, each sent by a department to its own inbox with
// its own credentials: headers that are not UTF-8, nesting bombs in both content modes. Each
// is dead-lettered with its reason, the good facts after them are applied, and a restart does
// not meet them again.
TEST_F(KafkaE2E, PoisonHeadersAndNestingBombsNeverStopTheEngineNorARestart) {
  KafkaSettings as_bureau = settings_;
  as_bureau.username = "bureau";
  as_bureau.password =
      "bureau" + testing::env_or("JIAYUAN_KAFKA_DEPARTMENT_PASSWORD_SUFFIX", "-secret");
  auto producer = KafkaLog::open({.settings = as_bureau,
                                  .client_id = "test-bureau",
                                  .transactional_id = "",
                                  .require_topics = false});
  ASSERT_TRUE(producer) << producer.error().message;
  auto headers = [](const std::string& id, const std::string& occurred) {
    return std::vector<Header>{{"ce_specversion", "1.0"},
                               {"ce_id", id},
                               {"ce_type", "jiayuan.spot.check"},
                               {"ce_occurred", occurred},
                               {"ce_subject", "SJ09004"}};
  };
  const std::string bomb = std::string(100000, '[') + std::string(100000, ']');
  const std::string spot = R"({"community":"SJ09004","passed":true})";
  const std::vector<Record> poison = {
      {"SJ09004", spot,
       headers(std::string("\xff\xfe\x00"
                           "bad",
                           6),
               "2023-07-01")},
      {"SJ09004", spot, headers("p-occurred", "2024-07-01\xff")},
      {"SJ09004", bomb, headers("p-bomb", "2023-07-01")},
      {"SJ09004", R"({"specversion":"1.0","id":"p-structured","data":)" + bomb + "}", {}},
      {"SJ09004", spot, headers("good-1", "2023-07-01")},
  };
  std::vector<std::string> reg = {"-k", "SJ09004"};
  for (const auto& h : registration_headers("reg-4", "SJ09004")) reg.push_back(h);
  ASSERT_EQ(kcat("street.xiaokunshan", inbox("street.xiaokunshan"), reg,
                 write_file("reg.json", registration_data("SJ09004")))
                .exit_code,
            0);
  ASSERT_TRUE(producer.value()->append(inbox_topic("bureau"), poison));
  producer->reset();

  const std::string data = dir_ / "engine";
  const ProcessResult run = jy(data, {"run"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.signal, 0);
  // The good facts are in jiayuan.events; each poison message is a dead letter with its reason.
  std::set<std::string> accepted;
  for (const LogEntry& e : all_records(physical(topics::kEvents)))
    accepted.insert(std::string(e.record.header("ce_id")));
  EXPECT_EQ(accepted, (std::set<std::string>{"reg-4", "good-1"}));
  const ProcessResult dead = jy(data, {"dead-letter", "list"});
  ASSERT_EQ(dead.exit_code, 0) << dead.err;
  EXPECT_EQ(records_in(physical(topics::kDeadLetter)), 4u) << dead.out;
  EXPECT_NE(
      dead.out.find(
          R"(header ce_id: expected UTF-8 text of at most 4096 bytes, got "\xff\xfe\u0000bad")"),
      std::string::npos)
      << dead.out;
  EXPECT_NE(dead.out.find("header ce_occurred: expected UTF-8 text"), std::string::npos)
      << dead.out;
  EXPECT_NE(dead.out.find("data: expected at most 15 levels of nested arrays and objects"),
            std::string::npos)
      << dead.out;
  EXPECT_NE(dead.out.find("data: expected at most 16 levels of nested arrays and objects"),
            std::string::npos)
      << dead.out;
  // A restart meets none of them again: the inbox offsets moved past them in the same transaction.
  const ProcessResult again = jy(data, {"run"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(records_in(physical(topics::kDeadLetter)), 4u);
  EXPECT_EQ(jy(data, {"query", "community", "SJ09004"}).exit_code, 0);
}

TEST_F(KafkaE2E, KilledFiftyTimesTheEngineLosesNothingAndAppliesEachDecisionOnce) {
  const auto facts = generated_facts(200, 11);
  const auto chunks = split(facts, 50);
  const std::string data = dir_ / "engine";
  std::mt19937 rng(20231);
  std::uniform_int_distribution<int> delay_ms(300, 3000);
  size_t kills = 0;
  for (const auto& chunk : chunks) {
    publish(chunk);
    const pid_t pid = start(data, {"run", "--follow", "--batch-size", "2"}, "cycle");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    ::kill(pid, SIGKILL);
    const ProcessResult r = wait(pid, "cycle");
    ASSERT_EQ(r.signal, SIGKILL) << "the engine ended by itself: " << r.err;
    ++kills;
  }
  const ProcessResult final_run = jy(data, {"run"});
  ASSERT_EQ(final_run.exit_code, 0) << final_run.err;

  const size_t events = records_in(physical(topics::kEvents));
  const DecisionCount decisions = count_decisions();
  const size_t applied = applied_decisions(data);
  const std::string digest = jy(data, {"digest"}).out;
  const std::string reference = reference_digest();
  const size_t lost = facts.size() - std::min(facts.size(), events);
  std::cout << "crash loop: " << kills << " SIGKILLs; facts published " << facts.size()
            << ", in jiayuan.events " << events << " (lost " << lost << ", doubled "
            << (events > facts.size() ? events - facts.size() : 0)
            << "); decisions: " << decisions.distinct << " ids, " << decisions.records
            << " records in jiayuan.decisions (re-published after crashes: "
            << decisions.records - decisions.distinct << "), applied " << applied
            << " (applied twice: "
            << (applied > decisions.distinct ? applied - decisions.distinct : 0) << "); digest "
            << (digest == reference ? "equals" : "DIFFERS FROM") << " the uninterrupted run's\n";
  EXPECT_EQ(kills, 50u);
  EXPECT_EQ(events, facts.size());
  EXPECT_EQ(applied, decisions.distinct);
  EXPECT_GT(decisions.distinct, 0u);
  EXPECT_EQ(digest, reference);
}

TEST_F(KafkaE2E, TwoInstancesShareThePartitionsAndOneTakesOverWhenTheOtherStops) {
  const auto facts = generated_facts(60, 12);
  const auto halves = split(facts, 2);
  const std::string a = dir_ / "a", b = dir_ / "b";
  publish(halves[0]);
  const pid_t pa = start(a, {"run", "--follow", "--instance", "a"}, "a", "info");
  const pid_t pb = start(b, {"run", "--follow", "--instance", "b"}, "b", "info");
  ASSERT_TRUE(wait_for_log("a", "caught up", 1, 120)) << slurp_err("a");
  ASSERT_TRUE(wait_for_log("b", "caught up", 1, 120)) << slurp_err("b");
  // Both own a share of jiayuan.events (the group may take a while to balance two members).
  ASSERT_TRUE(wait_for_log("a", "now owns", 1, 120)) << slurp_err("a");
  ASSERT_TRUE(wait_for_log("b", "now owns", 1, 120)) << slurp_err("b");
  const size_t owned_before = count_in_log("a", "now owns");

  ::kill(pb, SIGTERM);
  const ProcessResult rb = wait(pb, "b");
  EXPECT_EQ(rb.exit_code, 0) << rb.err;
  EXPECT_NE(rb.err.find("hands over"), std::string::npos) << rb.err;
  // b's partitions go to a, which goes on alone with the second half.
  ASSERT_TRUE(wait_for_log("a", "now owns", owned_before + 1, 120)) << slurp_err("a");
  const size_t seen = count_in_log("a", "caught up");
  publish(halves[1]);
  ASSERT_TRUE(wait_for_log("a", "caught up", seen + 1, 120)) << slurp_err("a");
  ::kill(pa, SIGTERM);
  const ProcessResult ra = wait(pa, "a");
  EXPECT_EQ(ra.exit_code, 0) << ra.err;
  // Whatever a had not yet projected from b's last decisions it reads now; then compare.
  ASSERT_EQ(jy(a, {"run", "--instance", "a"}).exit_code, 0);
  EXPECT_EQ(records_in(physical(topics::kEvents)), facts.size());
  EXPECT_EQ(jy(a, {"digest"}).out, reference_digest());
}

}  // namespace
}  // namespace jiayuan

namespace jiayuan {
namespace {

// The same ACLs hold for a department logging in with SASL/SCRAM from a Java client.
TEST_F(KafkaE2E, WithScramADepartmentWritesItsOwnInboxAndIsRefusedEverywhereElse) {
  const std::string libs = testing::env_or("JIAYUAN_KAFKA_LIBS");
  if (libs.empty()) GTEST_SKIP() << "JIAYUAN_KAFKA_LIBS unset: not the project's test broker";
  const std::string suffix = testing::env_or("JIAYUAN_KAFKA_DEPARTMENT_PASSWORD_SUFFIX", "-secret");
  auto produce = [&](const std::string& user, const std::string& password,
                     const std::string& topic) {
    return testing::run(
        "/usr/bin/java",
        {"-cp", libs + "/*", std::string(JIAYUAN_SOURCE_DIR) + "/tests/kafka/ScramProducer.java",
         settings_.bootstrap, user, password, topic, "{}"},
        dir_.path().string());
  };
  const testing::ProcessResult own = produce("hotline", "hotline" + suffix, inbox("hotline"));
  EXPECT_EQ(own.exit_code, 0) << own.out << own.err;
  EXPECT_EQ(own.out, "accepted\n");
  for (const std::string& topic : {inbox("bureau"), physical(topics::kEvents)}) {
    const testing::ProcessResult other = produce("hotline", "hotline" + suffix, topic);
    EXPECT_EQ(other.exit_code, 2) << topic << ": " << other.out << other.err;
    EXPECT_NE(other.out.find("TopicAuthorizationException"), std::string::npos) << other.out;
  }
  const testing::ProcessResult wrong = produce("hotline", "not-the-password", inbox("hotline"));
  EXPECT_EQ(wrong.exit_code, 2) << wrong.out;
  EXPECT_NE(wrong.out.find("SaslAuthenticationException"), std::string::npos) << wrong.out;
  EXPECT_EQ(records_in(inbox("hotline")), 1u);
  EXPECT_EQ(records_in(inbox("bureau")), 0u);
}

}  // namespace
}  // namespace jiayuan
