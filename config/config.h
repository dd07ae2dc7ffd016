// The whole configuration: rule sets, the district, who may publish what, engine settings.
//
//   Result<Config> cfg = load_config("config");   // every error names file, key and reason
//   cfg->authority.check("jiayuan.inspection", DepartmentId("hotline"), &street)
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/rules.h"
#include "events/ids.h"
#include "events/result.h"

namespace jiayuan {

struct District {
  std::map<std::string, std::string> streets;      // id -> Chinese name
  std::map<std::string, std::string> departments;  // id -> Chinese name
  bool has_street(const StreetId& s) const { return streets.contains(s.value); }
  // True for a listed department or "street.<listed street>".
  bool has_department(const DepartmentId& d) const;
  std::string street_name(const StreetId& s) const;
};

// The authority matrix: fact type -> who may publish it.
class Authority {
 public:
  Authority() = default;
  explicit Authority(std::map<std::string, std::vector<std::string>> matrix,
                     std::map<std::string, std::string> findings = {})
      : matrix_(std::move(matrix)), findings_(std::move(findings)) {}
  // OK when `source` may publish `type`; `community_street` is the street of the community the
  // fact concerns, when known (needed for "street.own").
  Status check(std::string_view type, const DepartmentId& source,
               const StreetId* community_street) const;
  // A finding of `kind` may come only from the department named for it.
  Status check_finding(std::string_view kind, const DepartmentId& source) const;
  const std::map<std::string, std::vector<std::string>>& matrix() const { return matrix_; }

 private:
  std::map<std::string, std::vector<std::string>> matrix_;
  std::map<std::string, std::string> findings_;  // finding kind -> department
};

// Where the log lives when it is Apache Kafka (engine.toml [kafka]); empty bootstrap: the
// embedded log. Every topic and group name is `topic_prefix` + its name.
struct KafkaSettings {
  std::string bootstrap;                         // host:port[,host:port...]
  std::string security_protocol = "plaintext";   // plaintext, ssl, sasl_plaintext, sasl_ssl
  std::string sasl_mechanism = "SCRAM-SHA-256";  // or SCRAM-SHA-512, PLAIN
  std::string username;
  std::string password;  // or the environment's JIAYUAN_KAFKA_PASSWORD
  std::string topic_prefix;
  std::string group = "jiayuan";  // stage 1's consumer group; intake's is group + "-intake"
  int64_t partitions = 6;         // of jiayuan.events and jiayuan.decisions (`topics create`)
  int64_t replication = 1;
  int64_t read_wait_ms = 2000;  // longest wait for a partition's next record
};

struct EngineSettings {
  std::string data_dir = "data";
  int64_t batch_size = 1000;
  std::string log_level = "info";
  // Writes are refused (a clear disk_full error, never a RocksDB abort) while the data
  // directory's filesystem has less than this free; 0 turns the guard off.
  int64_t disk_reserve_mb = 64;
  // Communities whose decoded state stage 1 keeps between steps (0: none, every step reads and
  // decodes each state it touches from the store).
  int64_t state_cache = 4096;
  // Threads stage 1 folds the partitions of jiayuan.events on (each partition on one at a time;
  // their steps are committed in partition order whatever finishes first, so the outcomes and
  // bytes are the same at any count).
  int64_t fold_threads = 2;
  // Partitions of jiayuan.events and jiayuan.decisions in a new embedded log (an existing log
  // keeps its own): stage 1 folds partitions side by side.
  int64_t log_partitions = 6;
  // Threads intake decodes and hashes a call's facts on (then judges them in order on one).
  int64_t intake_threads = 2;
  KafkaSettings kafka;
};

struct Config {
  std::filesystem::path dir;
  RuleCatalog rules{{}};
  District district;
  Authority authority;
  EngineSettings engine;
};

Result<Config> load_config(const std::filesystem::path& dir);
Result<District> parse_district(const std::string& text, const std::string& path);
Result<Authority> parse_authority(const std::string& text, const std::string& path,
                                  const District& district);
Result<EngineSettings> parse_engine_settings(const std::string& text, const std::string& path);

}  // namespace jiayuan
