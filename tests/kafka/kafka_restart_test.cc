// The broker stops mid-run and comes back: the engine waits (saying what for, without spinning
// a core), reconnects and resumes; nothing lost or doubled. Restarts the shared test broker, so
// CTest runs it alone (RUN_SERIAL).
#include <fstream>
#include <sstream>

#include "tests/kafka/kafka_fixture.h"

namespace jiayuan {
namespace {

// CPU seconds (user + system) the process has used so far.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int broker(const std::string& what) {
  const std::string dir = testing::env_or("JIAYUAN_KAFKA_BROKER_DIR");
  const std::string cmd = std::string(JIAYUAN_SOURCE_DIR) + "/scripts/kafka-broker " + what + " " +
                          dir + " >/dev/null 2>&1";
  return std::system(cmd.c_str());
}

TEST_F(KafkaE2E, TheEngineWaitsForARestartedBrokerAndResumes) {
  if (testing::env_or("JIAYUAN_KAFKA_BROKER_DIR").empty()) {
    GTEST_SKIP() << "the broker is not ours to restart (JIAYUAN_KAFKA_BROKER_DIR unset)";
  }
  const auto facts = generated_facts(60, 13);
  const auto halves = split(facts, 2);
  const std::string data = dir_ / "engine";
  publish(halves[0]);
  const pid_t pid = start(data, {"run", "--follow", "--instance", "restart"}, "engine", "info");
  ASSERT_TRUE(wait_for_log("engine", "caught up", 1, 120)) << slurp_err("engine");

  ASSERT_EQ(broker("stop"), 0);
  const double cpu_before = cpu_seconds(pid);
  const auto outage = std::chrono::seconds(15);
  std::this_thread::sleep_for(outage);
  const double cpu_during = cpu_seconds(pid) - cpu_before;
  ASSERT_EQ(broker("restart"), 0);
  std::cout << "broker outage of " << outage.count() << " s: the engine used " << cpu_during
            << " s of CPU\n";
  EXPECT_LT(cpu_during, 0.25 * static_cast<double>(outage.count()))
      << "the engine spins while the broker is away";

  const size_t seen = count_in_log("engine", "caught up");
  publish(halves[1]);
  ASSERT_TRUE(wait_for_log("engine", "caught up", seen + 1, 180)) << slurp_err("engine");
  ::kill(pid, SIGTERM);
  const testing::ProcessResult r = wait(pid, "engine");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // What it logged while the broker was away.
  EXPECT_NE(r.err.find("Connection refused"), std::string::npos) << r.err;

  const testing::ProcessResult rest =
      testing::run(JIAYUAN_BINARY, jy_args(data, {"run", "--instance", "restart"}, "info"),
                   dir_.path().string());
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(records_in(physical(topics::kEvents)), facts.size()) << "the engine:\n"
                                                                 << r.err << "\nthe run after it:\n"
                                                                 << rest.err;
  const DecisionCount decisions = count_decisions();
  EXPECT_EQ(applied_decisions(data), decisions.distinct);
  EXPECT_EQ(jy(data, {"digest"}).out, reference_digest());
}

}  // namespace
}  // namespace jiayuan
