// The real Kafka broker the integration tests run against: scripts/test starts one
// (scripts/kafka-broker) and exports JIAYUAN_KAFKA_BOOTSTRAP and the credentials; point the
// tests at another broker by exporting the same variables. Without a broker the Kafka tests
// are skipped, unless JIAYUAN_REQUIRE_KAFKA=1 (as in scripts/test), when they fail.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <random>
#include <string>

#include "config/config.h"

namespace jiayuan::testing {

inline std::string env_or(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : std::string(v);
}

// The broker's settings with a topic prefix of its own for each test, so tests can share it.
inline std::optional<KafkaSettings> test_kafka(const std::string& name) {
  KafkaSettings s;
  s.bootstrap = env_or("JIAYUAN_KAFKA_BOOTSTRAP");
  if (s.bootstrap.empty()) return std::nullopt;
  s.security_protocol = env_or("JIAYUAN_KAFKA_SECURITY_PROTOCOL", "plaintext");
  s.sasl_mechanism = env_or("JIAYUAN_KAFKA_SASL_MECHANISM", "PLAIN");
  s.username = env_or("JIAYUAN_KAFKA_USERNAME");
  s.password = env_or("JIAYUAN_KAFKA_PASSWORD");
  std::random_device rd;
  s.topic_prefix = name + "-" + std::to_string(rd() % 1000000) + ".";
  s.partitions = 4;
  s.read_wait_ms = 3000;
  return s;
}

inline bool kafka_required() { return env_or("JIAYUAN_REQUIRE_KAFKA") == "1"; }

}  // namespace jiayuan::testing

// In a test body: the broker's settings, or skip (fail when a broker is required).
#define JY_KAFKA_OR_SKIP(var, name)                                                           \
  auto var##_opt = ::jiayuan::testing::test_kafka(name);                                      \
  if (!var##_opt) {                                                                           \
    if (::jiayuan::testing::kafka_required()) FAIL() << "JIAYUAN_KAFKA_BOOTSTRAP is not set"; \
    GTEST_SKIP() << "no Kafka broker: set JIAYUAN_KAFKA_BOOTSTRAP (scripts/test starts one)"; \
  }                                                                                           \
  const KafkaSettings& var = *var##_opt
