// Read replicas on a real broker (`jiayuan serve`): two replicas beside the engine, each with
// projections of its own fed by jiayuan.events and jiayuan.decisions, give the engine's answers
// byte for byte once caught up; a replica killed while folding loses nothing; one started after
// the year is in catches up. Facts sent to a replica's gateway reach the engine's intake.
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/kafka/kafka_fixture.h"

namespace jiayuan {
namespace {

using nlohmann::json;
using testing::ProcessResult;

constexpr const char* kReader = "district-token-0123456789";
constexpr const char* kBureau = "bureau-token-0123456789";

class KafkaReplicas : public KafkaE2E {
 protected:
  void SetUp() override {
    KafkaE2E::SetUp();
    std::ofstream(dir_ / "tokens.toml")
        << "[tokens]\n\"" << kReader << "\" = { scope = \"district\" }\n\"" << kBureau
        << "\" = \"bureau\"\n";
  }
  void TearDown() override {
    for (const auto& [name, pid] : running_) {
      kill(pid, SIGTERM);
      wait(pid, name);
    }
  }
  // Starts `jiayuan serve` (a replica in dir_/NAME) or the engine (`run --http`); its port.
  int start_server(const std::string& name, bool replica) {
    std::vector<std::string> args =
        replica ? std::vector<std::string>{"serve", "--replica-dir", dir_ / name}
                : std::vector<std::string>{"run", "--instance", "engine-1"};
    for (const std::string& a : {std::string("--http"), std::string("127.0.0.1:0"),
                                 std::string("--tokens"), dir_ / "tokens.toml"})
      args.push_back(a);
    std::filesystem::remove(dir_ / (name + ".out"));  // not the port of a run before
    running_[name] = start(dir_ / "engine", args, name, "info");
    return testing::wait_for_port(dir_ / (name + ".out"));
  }
  void kill_now(const std::string& name) {
    kill(running_.at(name), SIGKILL);
    wait(running_.at(name), name);
    running_.erase(name);
  }
  static std::string get(int port, const std::string& path) {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60, 0);
    auto r = c.Get(path, {{"Authorization", std::string("Bearer ") + kReader}});
    return r ? std::to_string(r->status) + " " + r->body : std::string("no answer");
  }
  // Every port's answers to the questions, once they agree (90 s at most); "" when they never do.
  std::string agreed(const std::vector<int>& ports) {
    const std::vector<std::string> questions = {"/v1/communities?year=2023&limit=1000",
                                                "/v1/companies?year=2023",
                                                "/v1/awards?year=2023",
                                                "/v1/targets?year=2023",
                                                "/v1/cases?as_of=2024-06-30",
                                                "/v1/revisions",
                                                "/v1/communities/SJ00003"};
    for (int i = 0; i < 900; ++i) {
      std::vector<std::string> all;
      for (int port : ports) {
        std::string answers;
        for (const std::string& q : questions) answers += get(port, q) + "\n";
        all.push_back(answers);
      }
      if (all.front().starts_with("200") && std::equal(all.begin() + 1, all.end(), all.begin()))
        return all.front();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (size_t k = 0; k < ports.size(); ++k)
      ADD_FAILURE() << "port " << ports[k] << ": " << get(ports[k], "/readyz");
    return "";
  }
  std::map<std::string, pid_t> running_;
};

TEST_F(KafkaReplicas, TwoReplicasAgreeWithTheEngineSurviveAKillAndALateOneCatchesUp) {
  const auto facts = generated_facts(30, 12);
  const auto parts = split(facts, 2);
  publish(parts[0]);
  const int engine = start_server("engine", false);
  const int a = start_server("replica-a", true);
  const int b = start_server("replica-b", true);
  ASSERT_GT(engine, 0) << slurp_err("engine");
  ASSERT_GT(a, 0) << slurp_err("replica-a");
  ASSERT_GT(b, 0) << slurp_err("replica-b");
  const std::string first = agreed({engine, a, b});
  ASSERT_FALSE(first.empty());

  // The rest of the year, half of it through replica b's gateway (the bureau's facts), while
  // replica a is killed as it folds; a restarted a picks up where its store stopped.
  std::vector<std::string> bureau, others;
  for (const std::string& l : parts[1])
    (json::parse(l)["source"] == "bureau" ? bureau : others).push_back(l);
  publish(others);
  std::string body;
  for (const std::string& l : bureau) body += l + "\n";
  httplib::Client cb("127.0.0.1", b);
  cb.set_read_timeout(120, 0);
  auto sent = cb.Post("/v1/events", {{"Authorization", std::string("Bearer ") + kBureau}}, body,
                      "application/x-ndjson");
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->status, 200) << sent->body;
  EXPECT_EQ(json::parse(sent->body)["rejected"], 0) << sent->body;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill_now("replica-a");
  const int a_again = start_server("replica-a", true);
  ASSERT_GT(a_again, 0) << slurp_err("replica-a");
  const std::string whole = agreed({engine, a_again, b});
  ASSERT_FALSE(whole.empty()) << "engine: " << slurp_err("engine")
                              << "\nreplica a: " << slurp_err("replica-a");
  EXPECT_NE(whole, first) << "the second half changed nothing";

  // A replica started after the year is in catches up to the same answers.
  const auto started = std::chrono::steady_clock::now();
  const int late = start_server("replica-late", true);
  ASSERT_GT(late, 0) << slurp_err("replica-late");
  EXPECT_EQ(agreed({engine, late}), whole);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("a replica started after %zu facts caught up in %.1f s\n", facts.size(), seconds);
  std::string ready;  // it says so once its loop has found nothing more to fold
  for (int i = 0; i < 100 && !ready.starts_with("200"); ++i) {
    ready = get(late, "/readyz");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(ready.find("\"behind\":0"), std::string::npos) << ready;
}

}  // namespace
}  // namespace jiayuan
