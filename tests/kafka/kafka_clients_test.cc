// jiayuan's topics read by a client nobody on this project wrote: Debian's kafka-python, with the
// auditor's read-only credentials (a client certificate: see read_decisions.py), reads
// jiayuan.decisions, validates every record against the published JSON Schemas and recomputes every
// hash and chain link from the records alone (tests/kafka/read_decisions.py). A forged record is
// found by the same program.
#include "connectors/kafka_wire.h"
#include "tests/kafka/kafka_fixture.h"

namespace jiayuan {
namespace {

using nlohmann::json;
using testing::ProcessResult;

class KafkaClients : public KafkaE2E {
 protected:
  ProcessResult read_decisions() {
    return testing::run(
        "/usr/bin/python3",
        {std::string(JIAYUAN_SOURCE_DIR) + "/tests/kafka/read_decisions.py",
         testing::env_or("JIAYUAN_KAFKA_SSL_BOOTSTRAP"), physical(topics::kDecisions),
         testing::env_or("JIAYUAN_KAFKA_SSL_CA"), testing::env_or("JIAYUAN_KAFKA_AUDITOR_CERT"),
         testing::env_or("JIAYUAN_KAFKA_AUDITOR_KEY"),
         std::string(JIAYUAN_SOURCE_DIR) + "/events/schema/decisions"},
        dir_.path().string());
  }
};

TEST_F(KafkaClients, KafkaPythonReadsEveryDecisionAsAnAuditorAndVerifiesItsHashAndChain) {
  publish(generated_facts(20, 5));
  const std::string data = dir_ / "engine";
  ASSERT_EQ(jy(data, {"tick", "--date", "2024-06-30"}).exit_code, 0);
  ASSERT_EQ(jy(data, {"run"}).exit_code, 0);
  const DecisionCount recorded = count_decisions();
  ASSERT_GT(recorded.distinct, 20u);

  const ProcessResult read = read_decisions();
  EXPECT_EQ(read.exit_code, 0) << read.out << read.err;
  EXPECT_NE(read.out.find(std::to_string(recorded.records) + " records read, " +
                          std::to_string(recorded.distinct) + " distinct decisions"),
            std::string::npos)
      << read.out;
  EXPECT_NE(read.out.find("; 0 problems"), std::string::npos) << read.out;

  // jiayuan's own audit over the same JSON records: chains intact, every decision recomputed.
  const ProcessResult audit = jy(data, {"audit", "--year", "2023", "--work-dir", dir_ / "audit"});
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  EXPECT_NE(audit.out.find("hash chains: intact"), std::string::npos) << audit.out;

  // On Kafka a backup is the store (the log is the cluster's): restored, its projections are
  // the engine's, and the restored engine has nothing left to fold.
  const ProcessResult backed = jy(data, {"backup", dir_ / "backup", "--json"});
  ASSERT_EQ(backed.exit_code, 0) << backed.err;
  EXPECT_EQ(json::parse(backed.out)["log_records"], 0);
  const std::string restored = dir_ / "restored";
  ASSERT_EQ(jy(restored, {"restore", dir_ / "backup"}).exit_code, 0);
  EXPECT_EQ(jy(restored, {"digest"}).out, jy(data, {"digest"}).out);

  // The auditor reads; it may not write.
  const std::string file = write_file("forged.json", "{}");
  const ProcessResult wrote = kcat("auditor", physical(topics::kDecisions), {}, file);
  EXPECT_NE(wrote.exit_code, 0);

  // A decision altered on the topic (by a user allowed to write there) keeps its hash header:
  // the auditor's program, holding only the records, finds it.
  auto log = open_log();
  ASSERT_TRUE(log);
  auto first = log->read(topics::kDecisions, 0, 0, 1);
  ASSERT_TRUE(first && !first->empty());
  Record forged = to_wire(topics::kDecisions, first->front().record);
  json body = json::parse(forged.value);
  body["year"] = 1999;
  forged.value = body.dump();
  const std::vector<Record> one = {forged};
  ASSERT_TRUE(log->append(topics::kDecisions, one));
  const ProcessResult again = read_decisions();
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  EXPECT_NE(again.out.find("SHA-256 of the record is"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("; 1 problems"), std::string::npos) << again.out;
}

}  // namespace
}  // namespace jiayuan
