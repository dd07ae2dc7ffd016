// What the Kafka end-to-end tests share: the real binary on a real broker, each test with a
// topic prefix of its own (so tests may share the broker), kcat as a department's client.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "connectors/kafka_log.h"
#include "tests/support/kafka.h"
#include "tests/support/process.h"
#include "tests/support/read_to_end.h"
#include "tests/support/temp_dir.h"

namespace jiayuan {

struct DecisionCount {
  size_t records = 0;
  size_t distinct = 0;
};

class KafkaE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    auto s = testing::test_kafka(std::string("e2e-") +
                                 std::to_string(std::hash<std::string>{}(info->name()) % 10000));
    if (!s) {
      if (testing::kafka_required()) FAIL() << "JIAYUAN_KAFKA_BOOTSTRAP is not set";
      GTEST_SKIP() << "no Kafka broker: set JIAYUAN_KAFKA_BOOTSTRAP (scripts/test starts one)";
    }
    settings_ = *s;
    ::setenv("JIAYUAN_KAFKA_TOPIC_PREFIX", settings_.topic_prefix.c_str(), 1);
    ::unsetenv("JIAYUAN_KAFKA_GROUP");
    const testing::ProcessResult created = jy(dir_ / "admin", {"topics", "create", "--acls"});
    ASSERT_EQ(created.exit_code, 0) << created.err;
  }

  std::string physical(std::string_view topic) const {
    return settings_.topic_prefix + std::string(topic);
  }
  std::string inbox(const std::string& department) const {
    return physical(inbox_topic(department));
  }

  std::vector<std::string> jy_args(const std::string& data, std::vector<std::string> args,
                                   const std::string& level = "warn") const {
    args.insert(args.begin(), {"--config", JIAYUAN_TEST_CONFIG_DIR, "--kafka", settings_.bootstrap,
                               "--data-dir", data, "--log-level", level});
    return args;
  }
  testing::ProcessResult jy(const std::string& data, std::vector<std::string> args) {
    return testing::run(JIAYUAN_BINARY, jy_args(data, std::move(args)), dir_.path().string());
  }
  // Starts the engine in the background; its output goes to <name>.out / <name>.err.
  pid_t start(const std::string& data, std::vector<std::string> args, const std::string& name,
              const std::string& level = "warn") {
    return testing::spawn(JIAYUAN_BINARY, jy_args(data, std::move(args), level),
                          dir_ / (name + ".out"), dir_ / (name + ".err"));
  }
  testing::ProcessResult wait(pid_t pid, const std::string& name) {
    return testing::wait_for(pid, dir_ / (name + ".out"), dir_ / (name + ".err"));
  }
  std::string slurp_err(const std::string& name) { return testing::slurp(dir_ / (name + ".err")); }
  size_t count_in_log(const std::string& name, const std::string& needle) {
    const std::string text = slurp_err(name);
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
      ++n;
    return n;
  }
  bool wait_for_log(const std::string& name, const std::string& needle, size_t count, int seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (count_in_log(name, needle) >= count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  std::string write_file(const std::string& name, const std::string& text) {
    const std::string path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // kcat as `department` (its own SASL user), producing the file as one message.
  testing::ProcessResult kcat(const std::string& department, const std::string& topic,
                              const std::vector<std::string>& extra, const std::string& file) {
    std::vector<std::string> args = {
        "-P",
        "-b",
        settings_.bootstrap,
        "-t",
        topic,
        "-X",
        "security.protocol=" + settings_.security_protocol,
        "-X",
        "sasl.mechanisms=" + settings_.sasl_mechanism,
        "-X",
        "sasl.username=" + department,
        "-X",
        "sasl.password=" + department +
            testing::env_or("JIAYUAN_KAFKA_DEPARTMENT_PASSWORD_SUFFIX", "-secret"),
        "-X",
        "message.timeout.ms=15000"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(file);
    return testing::run("/usr/bin/kcat", args, dir_.path().string());
  }

  std::unique_ptr<KafkaLog> open_log() {
    auto log = KafkaLog::open({.settings = settings_,
                               .client_id = "test-reader",
                               .transactional_id = "",
                               .require_topics = false});
    EXPECT_TRUE(log) << log.error().message;
    return log ? std::move(*log) : nullptr;
  }

  // Every committed record of a (physical) topic.
  std::vector<LogEntry> all_records(const std::string& physical_topic) {
    std::vector<LogEntry> out;
    auto log = open_log();
    if (!log) return out;
    const std::string logical = physical_topic.substr(settings_.topic_prefix.size());
    for (int32_t p = 0; p < log->partition_count(logical); ++p) {
      std::vector<LogEntry> got = testing::read_to_end(*log, logical, p);
      out.insert(out.end(), std::make_move_iterator(got.begin()),
                 std::make_move_iterator(got.end()));
    }
    return out;
  }
  size_t records_in(const std::string& physical_topic) {
    return all_records(physical_topic).size();
  }

  // What a downstream consumer of jiayuan.decisions sees: records, and distinct decision ids.
  DecisionCount count_decisions() {
    std::set<std::string> ids;
    DecisionCount c;
    for (const LogEntry& e : all_records(physical(topics::kDecisions))) {
      ++c.records;
      ids.insert(std::string(e.record.header("jiayuan.decision.id")));
    }
    c.distinct = ids.size();
    return c;
  }

  size_t applied_decisions(const std::string& data) {
    const testing::ProcessResult s = jy(data, {"status"});
    const size_t at = s.out.find("projector: ");
    EXPECT_NE(at, std::string::npos) << s.out << s.err;
    return at == std::string::npos ? 0 : std::stoul(s.out.substr(at + 11));
  }

  std::vector<std::string> generated_facts(int communities, int seed) {
    const std::string file = dir_ / "facts.ndjson";
    const testing::ProcessResult g =
        testing::run(JIAYUAN_BINARY,
                     {"gen", "--communities", std::to_string(communities), "--streets", "3",
                      "--seed", std::to_string(seed), "-o", file},
                     dir_.path().string());
    EXPECT_EQ(g.exit_code, 0) << g.err;
    std::vector<std::string> lines;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(line);
    }
    return lines;
  }

  static std::vector<std::vector<std::string>> split(const std::vector<std::string>& lines,
                                                     size_t parts) {
    std::vector<std::vector<std::string>> out(parts);
    for (size_t i = 0; i < lines.size(); ++i) out[i * parts / lines.size()].push_back(lines[i]);
    return out;
  }

  // Each fact to the inbox of its source department (with the engine's own user).
  void publish(const std::vector<std::string>& lines) {
    std::map<std::string, std::string> by_source;
    for (const std::string& l : lines)
      by_source[nlohmann::json::parse(l)["source"].get<std::string>()] += l + "\n";
    for (const auto& [source, text] : by_source) {
      const testing::ProcessResult r =
          jy(dir_ / "publisher", {"publish", "--source", source, write_file("chunk.ndjson", text)});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }

  // `jiayuan ARGS` on the embedded log in `data` (the reference a Kafka engine is compared with).
  testing::ProcessResult embedded(const std::string& data, std::vector<std::string> args) {
    args.insert(args.begin(),
                {"--config", JIAYUAN_TEST_CONFIG_DIR, "--data-dir", data, "--log-level", "warn"});
    return testing::run(JIAYUAN_BINARY, args, dir_.path().string());
  }
  // An embedded engine in dir_/NAME fed `ndjson` (and ticked to `tick`, if given): its data dir.
  std::string embedded_engine(const std::string& name, const std::string& ndjson,
                              const std::string& tick = "") {
    const std::string data = dir_ / name;
    EXPECT_EQ(embedded(data, {"publish", write_file(name + ".ndjson", ndjson)}).exit_code, 0);
    if (!tick.empty()) {
      EXPECT_EQ(embedded(data, {"tick", "--date", tick}).exit_code, 0);
    }
    const testing::ProcessResult r = embedded(data, {"run"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return data;
  }
  // The answers to `questions`, one process each, from the Kafka engine's store in `data` or
  // (kafka false) the embedded engine's.
  std::string answers(const std::string& data,
                      const std::vector<std::vector<std::string>>& questions, bool kafka) {
    std::string out;
    for (const auto& q : questions) {
      const testing::ProcessResult r = kafka ? jy(data, q) : embedded(data, q);
      EXPECT_EQ(r.exit_code, 0) << r.err;
      out += r.out;
    }
    return out;
  }

  // The digest of one uninterrupted run over the same jiayuan.events: a fresh store, a
  // consumer group of its own.
  std::string reference_digest() {
    std::random_device rd;
    const std::string data = dir_ / ("reference-" + std::to_string(rd()));
    ::setenv("JIAYUAN_KAFKA_GROUP", ("reference-" + std::to_string(rd())).c_str(), 1);
    const testing::ProcessResult r = jy(data, {"run"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string digest = jy(data, {"digest"}).out;
    ::unsetenv("JIAYUAN_KAFKA_GROUP");
    return digest;
  }

  testing::TempDir dir_;
  KafkaSettings settings_;
};

}  // namespace jiayuan
