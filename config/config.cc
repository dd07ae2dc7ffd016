#include "config/config.h"

#include <set>

#include "config/toml_reader.h"
#include "events/facts.h"

namespace jiayuan {
namespace {

using internal::TomlReader;

constexpr std::string_view kStreetPrefix = "street.";

Result<std::map<std::string, std::string>> read_names(const TomlReader& r, const char* key) {
  JY_TRY(TomlReader t, r.table(key));
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : t.raw()) {
    JY_TRY(std::string name, t.string(std::string(k.str()).c_str()));
    out.emplace(std::string(k.str()), std::move(name));
  }
  if (out.empty()) return fail(r.error(key, "at least one entry", "none"));
  return out;
}

}  // namespace

bool District::has_department(const DepartmentId& d) const {
  if (d.value.starts_with(kStreetPrefix)) {
    return streets.contains(d.value.substr(kStreetPrefix.size()));
  }
  return departments.contains(d.value);
}

std::string District::street_name(const StreetId& s) const {
  auto it = streets.find(s.value);
  return it == streets.end() ? s.value : it->second;
}

Status Authority::check(std::string_view type, const DepartmentId& source,
                        const StreetId* community_street) const {
  auto it = matrix_.find(std::string(type));
  if (it == matrix_.end()) {
    return fail("not_authorised",
                "type " + std::string(type) + " has no publishers in authority.toml");
  }
  std::string allowed;
  for (const std::string& who : it->second) {
    if (who == source.value) return {};
    if (who == "street.*" && source.value.starts_with(kStreetPrefix)) return {};
    if (who == "street.own" && community_street != nullptr &&
        source.value == std::string(kStreetPrefix) + community_street->value) {
      return {};
    }
    allowed.append(allowed.empty() ? "" : ", ").append(who);
  }
  return fail(
      field_error("not_authorised", "source",
                  "a department allowed to publish " + std::string(type) + " (" + allowed + ")",
                  "\"" + source.value + "\""));
}

Status Authority::check_finding(std::string_view kind, const DepartmentId& source) const {
  auto it = findings_.find(std::string(kind));
  if (it == findings_.end()) {
    return fail("not_authorised",
                "finding kind " + std::string(kind) + " has no department in authority.toml");
  }
  if (it->second == source.value) return {};
  return fail(field_error(
      "not_authorised", "source",
      "\"" + it->second + "\" (the department that publishes " + std::string(kind) + " findings)",
      "\"" + source.value + "\""));
}

Result<District> parse_district(const std::string& text, const std::string& path) {
  JY_TRY(toml::table doc, internal::parse_toml(text, path));
  TomlReader r(doc, path);
  District d;
  JY_TRY(d.streets, read_names(r, "streets"));
  JY_TRY(d.departments, read_names(r, "departments"));
  return d;
}

Result<Authority> parse_authority(const std::string& text, const std::string& path,
                                  const District& district) {
  JY_TRY(toml::table doc, internal::parse_toml(text, path));
  TomlReader r(doc, path);
  std::map<std::string, std::vector<std::string>> matrix;
  std::map<std::string, std::string> findings;
  for (const auto& [k, v] : doc) {
    const std::string type(k.str());
    if (type == "findings") {
      JY_TRY(TomlReader f, r.table("findings"));
      for (const auto& [kind, dept] : f.raw()) {
        JY_TRY(std::string d, f.string(std::string(kind.str()).c_str()));
        if (!district.has_department(DepartmentId(d))) {
          return fail(
              f.error(kind.str(), "a department id of district.toml", "\"" + d + "\"", &dept));
        }
        findings.emplace(std::string(kind.str()), d);
      }
      continue;
    }
    if (find_fact_type(type) == nullptr) {
      return fail(r.error(type, "a fact type (jiayuan.*) this build knows", "an unknown type", &v));
    }
    JY_TRY(std::vector<std::string> who, r.strings(type.c_str()));
    for (const std::string& w : who) {
      if (w != "street.*" && w != "street.own" && !district.has_department(DepartmentId(w))) {
        return fail(r.error(type, "department ids of district.toml, street.* or street.own",
                            "\"" + w + "\"", &v));
      }
    }
    matrix.emplace(type, std::move(who));
  }
  for (const auto& t : fact_types()) {
    if (!matrix.contains(std::string(t.name))) {
      return fail(r.error(t.name, "the departments that may publish it", "nothing"));
    }
  }
  for (std::string_view kind : kFindingKindNames) {
    if (!findings.contains(std::string(kind))) {
      return fail(
          r.error("findings." + std::string(kind), "the department that publishes it", "nothing"));
    }
  }
  return Authority(std::move(matrix), std::move(findings));
}

Result<EngineSettings> parse_engine_settings(const std::string& text, const std::string& path) {
  JY_TRY(toml::table doc, internal::parse_toml(text, path));
  TomlReader root(doc, path);
  JY_TRY(TomlReader r, root.table("engine"));
  EngineSettings s;
  JY_TRY(s.data_dir, r.string("data_dir"));
  JY_TRY(s.batch_size, r.integer("batch_size", 1, 1'000'000));
  JY_TRY(s.log_level, r.string("log_level"));
  if (r.raw().contains("disk_reserve_mb")) {
    JY_TRY(s.disk_reserve_mb, r.integer("disk_reserve_mb", 0, 1 << 20));
  }
  if (r.raw().contains("state_cache")) {
    JY_TRY(s.state_cache, r.integer("state_cache", 0, 10'000'000));
  }
  if (r.raw().contains("fold_threads")) {
    JY_TRY(s.fold_threads, r.integer("fold_threads", 1, 256));
  }
  if (r.raw().contains("log_partitions")) {
    JY_TRY(s.log_partitions, r.integer("log_partitions", 1, 256));
  }
  if (r.raw().contains("intake_threads")) {
    JY_TRY(s.intake_threads, r.integer("intake_threads", 1, 256));
  }
  if (doc.contains("kafka")) {
    JY_TRY(TomlReader k, root.table("kafka"));
    KafkaSettings& ks = s.kafka;
    const toml::table& t = k.raw();
    if (t.contains("bootstrap")) {
      JY_TRY(ks.bootstrap, k.string("bootstrap"));
    }
    if (t.contains("security_protocol")) {
      JY_TRY(ks.security_protocol, k.string("security_protocol"));
      static const std::set<std::string> kProtocols = {"plaintext", "ssl", "sasl_plaintext",
                                                       "sasl_ssl"};
      if (!kProtocols.contains(ks.security_protocol)) {
        return fail(k.error("security_protocol", "plaintext, ssl, sasl_plaintext or sasl_ssl",
                            "\"" + ks.security_protocol + "\"", t.get("security_protocol")));
      }
    }
    if (t.contains("sasl_mechanism")) {
      JY_TRY(ks.sasl_mechanism, k.string("sasl_mechanism"));
    }
    if (t.contains("username")) {
      JY_TRY(ks.username, k.string("username"));
    }
    if (t.contains("password")) {
      JY_TRY(ks.password, k.string("password"));
    }
    if (t.contains("topic_prefix")) {
      JY_TRY(ks.topic_prefix, k.string("topic_prefix"));
    }
    if (t.contains("group")) {
      JY_TRY(ks.group, k.string("group"));
    }
    if (t.contains("partitions")) {
      JY_TRY(ks.partitions, k.integer("partitions", 1, 10000));
    }
    if (t.contains("replication")) {
      JY_TRY(ks.replication, k.integer("replication", 1, 100));
    }
    if (t.contains("read_wait_ms")) {
      JY_TRY(ks.read_wait_ms, k.integer("read_wait_ms", 1, 600000));
    }
  }
  return s;
}

Result<Config> load_config(const std::filesystem::path& dir) {
  Config c;
  c.dir = dir;
  JY_TRY(c.rules, load_rule_catalog(dir / "rules"));
  const std::string district_path = (dir / "district.toml").string();
  JY_TRY(std::string district_text, internal::read_file(district_path));
  JY_TRY(c.district, parse_district(district_text, district_path));
  const std::string authority_path = (dir / "authority.toml").string();
  JY_TRY(std::string authority_text, internal::read_file(authority_path));
  JY_TRY(c.authority, parse_authority(authority_text, authority_path, c.district));
  const std::string engine_path = (dir / "engine.toml").string();
  JY_TRY(std::string engine_text, internal::read_file(engine_path));
  JY_TRY(c.engine, parse_engine_settings(engine_text, engine_path));
  return c;
}

}  // namespace jiayuan
