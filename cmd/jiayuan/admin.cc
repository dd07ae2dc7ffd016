// The operator's commands: tick, gen, schema, topics create, digest, rebuild, status and the
// dead-letter log.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cmd/jiayuan/commands.h"
#include "cmd/jiayuan/common.h"
#include "connectors/backup.h"
#include "connectors/kafka_log.h"
#include "engine/cli_format.h"
#include "engine/district_stage.h"
#include "engine/generator.h"
#include "engine/intake.h"
#include "engine/runner.h"
#include "events/decision_json.h"
#include "events/schema.h"
#include "events/sha256.h"

namespace jiayuan::cli {
namespace {

// ---- topics ------------------------------------------------------------------------------
int cmd_topics_create(const Globals& g, bool acls) {
  auto config = load(g);
  if (!config) return report(config.error());
  const KafkaSettings& k = config->engine.kafka;
  if (k.bootstrap.empty())
    return report(Error{"bad_argument", "topics: no Kafka cluster (give --kafka HOST:PORT)"});
  auto lines = create_topics(k, config->district);
  if (!lines) return report(lines.error());
  for (const std::string& l : *lines) std::cout << l << "\n";
  if (acls) {
    auto granted = create_department_acls(k, config->district);
    if (!granted) return report(granted.error());
    for (const std::string& l : *granted) std::cout << l << "\n";
  }
  return 0;
}

// ---- tick --------------------------------------------------------------------------------
int cmd_tick(const Globals& g, const std::string& date_text) {
  auto o = open_all(g, false);
  if (!o) return report(o.error());
  const auto date = date_text.empty() ? today() : Date::parse(date_text);
  if (!date)
    return report(
        Error{"bad_argument", "--date: expected a date YYYY-MM-DD, got \"" + date_text + "\""});
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  auto ticks = append_ticks(*o->log, *date, now_ms);
  if (!ticks) return report(ticks.error());
  std::cout << "log time advances to " << date->to_string() << " on " << *ticks
            << " partition(s); `jiayuan run` fires what falls due\n";
  return 0;
}

// ---- schema ------------------------------------------------------------------------------
int cmd_schema(const std::string& out_dir) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return report(Error{"io", out_dir + ": cannot create: " + ec.message()});
  for (const FactTypeInfo& t : fact_types()) {
    const std::string path = out_dir + "/" + std::string(t.name) + ".json";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << json_schema(t);
    if (!out) return report(Error{"io", path + ": write failed"});
  }
  // Decisions, as jiayuan.decisions carries them on Kafka (events/decision_json.h).
  const std::string decisions_dir = out_dir + "/decisions";
  std::filesystem::create_directories(decisions_dir, ec);
  if (ec) return report(Error{"io", decisions_dir + ": cannot create: " + ec.message()});
  for (const std::string& kind : decision_kinds()) {
    const std::string path = decisions_dir + "/" + kind + ".json";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << decision_json_schema(kind);
    if (!out) return report(Error{"io", path + ": write failed"});
  }
  std::cout << "wrote " << fact_types().size() << " fact schemas to " << out_dir << " and "
            << decision_kinds().size() << " decision schemas to " << decisions_dir << "\n";
  return 0;
}

// ---- gen ---------------------------------------------------------------------------------
int cmd_gen(const Globals& g, const GeneratorOptions& opts, const std::string& out_path) {
  auto config = load(g);
  if (!config) return report(config.error());
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!out_path.empty() && out_path != "-") {
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) return report(Error{"io", out_path + ": cannot open for writing"});
    out = &file;
  }
  size_t lines = 0;
  auto s = generate_district(opts, *config, [&](const std::string& line) {
    *out << line << '\n';
    ++lines;
  });
  if (!s) return report(s.error());
  out->flush();
  if (!*out) return report(Error{"io", out_path + ": write failed"});
  spdlog::info("gen: {} facts for {} communities in {} streets, year {}, seed {}", lines,
               opts.communities, opts.streets, opts.year, opts.seed);
  return 0;
}

// ---- digest, rebuild ----------------------------------------------------------------------
int cmd_digest(const Globals& g) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  auto d = o->store->projection_digest();
  if (!d) return report(d.error());
  std::cout << *d << "\n";
  return 0;
}

int cmd_rebuild(const Globals& g) {
  auto o = open_all(g);
  if (!o) return report(o.error());
  spdlog::info("rebuild: dropping the projections of {}", o->store->path());
  if (auto s = o->store->drop_projections(); !s) return report(s.error());
  RunOptions opts;
  opts.batch_size = static_cast<size_t>(o->config.engine.batch_size);
  ProgressBar bar("rebuild");
  opts.progress = [&bar](int64_t done, int64_t total) { bar.update(done, total); };
  auto s = run_engine(*o->log, *o->store, o->config, opts, g_stop);
  bar.finish();
  if (!s) return report(s.error());
  auto d = o->store->projection_digest();
  if (!d) return report(d.error());
  std::cout << "rebuilt: " << s->projected << " records projected; digest " << *d << "\n";
  return 0;
}

// ---- status ------------------------------------------------------------------------------
int cmd_status(const Globals& g) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  for (std::string_view topic : {topics::kEvents, topics::kDecisions, topics::kDeadLetter}) {
    for (int32_t p = 0; p < o->log->partition_count(topic); ++p) {
      auto end = o->log->end_offset(topic, p);
      if (!end) return report(end.error());
      std::cout << "log " << topic << "/" << p << ": end offset " << *end << "\n";
    }
  }
  auto s = o->store->scan(cf::kOffsets, "", [&](std::string_view k, std::string_view v) {
    std::cout << "offset " << k << ": " << decode_be64(v) << "\n";
    return true;
  });
  if (!s) return report(s.error());
  auto count = [&](std::string_view family) -> Result<size_t> {
    size_t n = 0;
    JY_CHECK(o->store->scan(family, "", [&](std::string_view, std::string_view) {
      ++n;
      return true;
    }));
    return n;
  };
  auto pending = count(cf::kOutbox);
  if (!pending) return report(pending.error());
  std::cout << "outbox: " << *pending << " pending\n";
  // projector.applied keeps each decision id once, and a "retracted:<source>/<id>" marker for each
  // retraction it has taken back (projections/projector.cc): counted apart.
  size_t decisions = 0, retractions = 0;
  auto applied = o->store->scan(cf::kApplied, "", [&](std::string_view k, std::string_view) {
    ++(k.starts_with("retracted:") ? retractions : decisions);
    return true;
  });
  if (!applied) return report(applied.error());
  std::cout << "projector: " << decisions << " decisions applied (each id once), " << retractions
            << (retractions == 1 ? " retraction" : " retractions") << " taken back\n";
  return 0;
}

// ---- dead-letter -------------------------------------------------------------------------
// "3 days", "5 hours", "42 s": an age as a person reads it.
std::string cli_age(int64_t seconds) {
  if (seconds >= 2 * 86400) return std::to_string(seconds / 86400) + " days";
  if (seconds >= 2 * 3600) return std::to_string(seconds / 3600) + " hours";
  if (seconds >= 120) return std::to_string(seconds / 60) + " min";
  return std::to_string(seconds) + " s";
}

int cmd_dead_letter(const Globals& g, bool show, int64_t offset, int64_t limit) {
  auto o = open_all(g, !show, Access::kRead);
  if (!o) return report(o.error());
  const int64_t from = show ? offset : 0;
  auto entries = o->log->read(topics::kDeadLetter, 0, from, show ? 1 : static_cast<size_t>(limit));
  if (!entries) return report(entries.error());
  if (show) {
    if (entries->empty() || entries->front().position.offset != offset) {
      return report(Error{"not_found", "no dead letter at offset " + std::to_string(offset)});
    }
    const Record& r = entries->front().record;
    std::cout << "offset " << offset << "\n";
    for (const Header& h : r.headers) std::cout << h.key << ": " << h.value << "\n";
    std::cout << "\n" << r.value << "\n";
    return 0;
  }
  for (const LogEntry& e : *entries) {
    const Record& r = e.record;
    std::cout << e.position.offset << "\t" << r.header(headers::kErrorStage) << "\t"
              << r.header(headers::kErrorOrigin) << "\t" << r.header(headers::kErrorReason) << "\n";
  }
  if (entries->empty()) std::cout << "the dead-letter log is empty\n";
  // Facts accepted that wait for the registration of the community or company they name, with
  // their age, and those rejected once the registration came dated after them.
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto waiting = waiting_facts(*o->store, now);
  if (!waiting) return report(waiting.error());
  for (const nlohmann::json& w : *waiting) {
    const std::string age =
        w["age_seconds"].is_number() ? cli_age(w["age_seconds"].get<int64_t>()) : std::string("?");
    const char* keeper = w.contains("company") ? "projector" : "stage1";  // who keeps it waiting
    std::cout << w["status"].get<std::string>() << "\t" << keeper << "\t"
              << w["source"].get<std::string>() << "/" << w["id"].get<std::string>() << "\t"
              << w["reason"].get<std::string>() << " (accepted "
              << w["accepted_at"].get<std::string>() << ", " << age << " ago)\n";
  }
  return 0;
}

// ---- backup, restore ---------------------------------------------------------------------
int cmd_backup(const Globals& g, const std::string& dir, bool as_json) {
  auto config = load(g);
  if (!config) return report(config.error());
  const bool kafka = !config->engine.kafka.bootstrap.empty();
  auto made = backup_data_dir(config->engine.data_dir, dir, !kafka,
                              [](const std::string& what, int64_t records) {
                                spdlog::info("backup: {} records of the {} copied", records, what);
                              });
  if (!made) return report(made.error());
  if (as_json) {
    std::cout << nlohmann::json{{"backup", made->dir},
                                {"store_records", made->store_records},
                                {"log_records", made->log_records},
                                {"projections_digest", made->digest}}
                     .dump()
              << "\n";
    return kDone;
  }
  std::cout << "backed up " << config->engine.data_dir << " to " << made->dir << ": "
            << made->store_records << " store records"
            << (kafka ? " (the log is the Kafka cluster's)"
                      : ", " + std::to_string(made->log_records) + " log records")
            << "; projections digest " << made->digest << "\n";
  return kDone;
}

int cmd_restore(const Globals& g, const std::string& dir, bool as_json) {
  auto config = load(g);
  if (!config) return report(config.error());
  auto back = restore_data_dir(dir, config->engine.data_dir);
  if (!back) return report(back.error());
  if (as_json) {
    std::cout << nlohmann::json{{"data_dir", back->dir},
                                {"store_records", back->store_records},
                                {"log_records", back->log_records},
                                {"projections_digest", back->digest}}
                     .dump()
              << "\n";
    return kDone;
  }
  std::cout << "restored " << dir << " into " << back->dir << "; projections digest "
            << back->digest
            << " (as backed up); `jiayuan run` folds what the log holds beyond it\n";
  return kDone;
}

}  // namespace

void add_admin_commands(CLI::App& app, const Globals& g, int& exit_code) {
  struct Args {
    std::string tick_date;
    GeneratorOptions gen;
    std::string gen_out;
    std::string schema_dir = "events/schema";
    bool with_acls = false;
    int64_t limit = 100, offset = 0;
    std::string backup_dir;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  auto* tick =
      app.add_subcommand("tick", "advance log time: deadlines up to the date fire on the next run");
  tick->add_option("--date", a->tick_date, "the date (default: today)");
  tick->callback([&g, &exit_code, a] { exit_code = cmd_tick(g, a->tick_date); });

  auto* gen = app.add_subcommand("gen", "generate a synthetic district year as NDJSON facts");
  gen->add_option("--communities", a->gen.communities, "number of communities")
      ->capture_default_str();
  gen->add_option("--streets", a->gen.streets, "number of streets/towns")->capture_default_str();
  gen->add_option("--year", a->gen.year, "evaluation year")->capture_default_str();
  gen->add_option("--seed", a->gen.seed, "random seed")->capture_default_str();
  gen->add_option("--complaints", a->gen.hotline_per_community,
                  "mean hotline complaints per community and year (a real district: about 500)")
      ->capture_default_str();
  gen->add_option("-o,--output", a->gen_out, "output file (default: standard output)");
  gen->callback([&g, &exit_code, a] { exit_code = cmd_gen(g, a->gen, a->gen_out); });

  auto* schema = app.add_subcommand(
      "schema", "write the JSON Schema (2020-12) of every fact type and every decision kind");
  schema->add_option("--out", a->schema_dir, "directory")->capture_default_str();
  schema->callback([&exit_code, a] { exit_code = cmd_schema(a->schema_dir); });

  auto* topics_cmd =
      app.add_subcommand("topics", "the topics (and ACLs) jiayuan needs on a Kafka cluster");
  topics_cmd->require_subcommand(1);
  auto* t_create =
      topics_cmd->add_subcommand("create",
                                 "create what is missing: every department's inbox, "
                                 "jiayuan.events, jiayuan.decisions, jiayuan.dead-letter");
  t_create->add_flag("--acls", a->with_acls,
                     "also let each department (User:<department>) write its own inbox");
  t_create->callback([&g, &exit_code, a] { exit_code = cmd_topics_create(g, a->with_acls); });

  app.add_subcommand("digest", "print the SHA-256 digest of the projections")
      ->callback([&g, &exit_code] { exit_code = cmd_digest(g); });
  app.add_subcommand("rebuild", "drop the projections and rebuild them from the log")
      ->callback([&g, &exit_code] { exit_code = cmd_rebuild(g); });
  app.add_subcommand("status", "log sizes, consumer offsets and the outbox")
      ->callback([&g, &exit_code] { exit_code = cmd_status(g); });

  auto* backup = app.add_subcommand(
      "backup",
      "copy the data directory (store and embedded log) to DIR, consistent while the engine runs");
  backup->add_option("dir", a->backup_dir, "a new or empty directory")->required();
  backup->add_flag("--json", a->json, "the result as JSON");
  backup->callback([&g, &exit_code, a] { exit_code = cmd_backup(g, a->backup_dir, a->json); });
  auto* restore = app.add_subcommand(
      "restore", "put the backup in DIR in place as the data directory (--data-dir; new or empty)");
  restore->add_option("dir", a->backup_dir, "a directory `jiayuan backup` wrote")->required();
  restore->add_flag("--json", a->json, "the result as JSON");
  restore->callback([&g, &exit_code, a] { exit_code = cmd_restore(g, a->backup_dir, a->json); });

  auto* dead = app.add_subcommand("dead-letter", "read the dead-letter log");
  dead->require_subcommand(1);
  auto* d_list = dead->add_subcommand("list", "list rejected input: offset, stage, origin, reason");
  d_list->add_option("--limit", a->limit, "at most this many")->capture_default_str();
  d_list->callback([&g, &exit_code, a] { exit_code = cmd_dead_letter(g, false, 0, a->limit); });
  auto* d_show =
      dead->add_subcommand("show", "one dead letter with its headers and original bytes");
  d_show->add_option("offset", a->offset, "its offset in the dead-letter log")->required();
  d_show->callback([&g, &exit_code, a] { exit_code = cmd_dead_letter(g, true, a->offset, 1); });
}

}  // namespace jiayuan::cli
