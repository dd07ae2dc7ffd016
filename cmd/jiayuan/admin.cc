// The operator's commands: tick, gen, schema, topics create, digest, rebuild, status and the
// dead-letter log.
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstring>
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
#include "engine/waiting.h"
#include "events/decision_json.h"
#include "events/schema.h"
#include "events/sha256.h"

namespace jiayuan::cli {
namespace {

// ---- topics ------------------------------------------------------------------------------
int cmd_topics_create(const Globals& g, bool acls, bool as_json) {
  auto config = load(g);
  if (!config) return report(config.error());
  const KafkaSettings& k = config->engine.kafka;
  if (k.bootstrap.empty())
    return report(Error{"bad_argument", "topics: no Kafka cluster (give --kafka HOST:PORT)"});
  auto lines = create_topics(k, config->district);
  if (!lines) return report(lines.error());
  std::vector<std::string> granted;
  if (acls) {
    auto made = create_department_acls(k, config->district);
    if (!made) return report(made.error());
    granted = std::move(*made);
  }
  if (as_json) {
    nlohmann::json topics = nlohmann::json::array();
    for (const std::string& l : *lines)  // "created NAME" / "exists  NAME"
      topics.push_back({{"topic", l.substr(8)}, {"created", l.starts_with("created")}});
    std::cout << nlohmann::json{{"topics", topics}, {"acls", granted}}.dump() << "\n";
    return kDone;
  }
  for (const std::string& l : *lines) std::cout << l << "\n";
  for (const std::string& l : granted) std::cout << l << "\n";
  return kDone;
}

// ---- tick --------------------------------------------------------------------------------
int cmd_tick(const Globals& g, const std::string& date_text, bool as_json) {
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
  if (as_json) {
    std::cout << nlohmann::json{{"date", date->to_string()}, {"partitions", *ticks}}.dump() << "\n";
    return kDone;
  }
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
int cmd_digest(const Globals& g, bool as_json) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  auto d = o->store->projection_digest();
  if (!d) return report(d.error());
  std::cout << (as_json ? nlohmann::json{{"digest", *d}}.dump() : *d) << "\n";
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
// What `status` says: the log's ends, every consumer offset, the outbox, what the projector
// applied.
Result<nlohmann::json> status_of(Opened& o) {
  nlohmann::json log = nlohmann::json::array(), offsets = nlohmann::json::object();
  for (std::string_view topic : {topics::kEvents, topics::kDecisions, topics::kDeadLetter}) {
    for (int32_t p = 0; p < o.log->partition_count(topic); ++p) {
      JY_TRY(int64_t end, o.log->end_offset(topic, p));
      log.push_back({{"topic", topic}, {"partition", p}, {"end_offset", end}});
    }
  }
  JY_CHECK(o.store->scan(cf::kOffsets, "", [&](std::string_view k, std::string_view v) {
    offsets[std::string(k)] = decode_be64(v);
    return true;
  }));
  size_t pending = 0, decisions = 0, retractions = 0;
  JY_CHECK(o.store->scan(cf::kOutbox, "", [&](std::string_view, std::string_view) {
    ++pending;
    return true;
  }));
  // projector.applied keeps each decision id once, and a "retracted:<source>/<id>" marker for each
  // retraction it has taken back (projections/projector.cc): counted apart.
  JY_CHECK(o.store->scan(cf::kApplied, "", [&](std::string_view k, std::string_view) {
    ++(k.starts_with("retracted:") ? retractions : decisions);
    return true;
  }));
  return nlohmann::json{{"log", log},
                        {"offsets", offsets},
                        {"outbox_pending", pending},
                        {"decisions_applied", decisions},
                        {"retractions_taken_back", retractions}};
}

int cmd_status(const Globals& g, bool as_json) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  auto st = status_of(*o);
  if (!st) return report(st.error());
  if (as_json) {
    std::cout << st->dump() << "\n";
    return kDone;
  }
  const nlohmann::json& s = *st;
  for (const auto& l : s["log"]) {
    std::cout << "log " << l["topic"].get<std::string>() << "/" << l["partition"] << ": end offset "
              << l["end_offset"] << "\n";
  }
  for (const auto& [name, at] : s["offsets"].items())
    std::cout << "offset " << name << ": " << at << "\n";
  std::cout << "outbox: " << s["outbox_pending"] << " pending\n";
  const size_t retractions = s["retractions_taken_back"];
  std::cout << "projector: " << s["decisions_applied"] << " decisions applied (each id once), "
            << retractions << (retractions == 1 ? " retraction" : " retractions")
            << " taken back\n";
  return kDone;
}

// ---- dead-letter -------------------------------------------------------------------------
// "3 days", "5 hours", "42 s": an age as a person reads it.
std::string cli_age(int64_t seconds) {
  if (seconds >= 2 * 86400) return std::to_string(seconds / 86400) + " days";
  if (seconds >= 2 * 3600) return std::to_string(seconds / 3600) + " hours";
  if (seconds >= 120) return std::to_string(seconds / 60) + " min";
  return std::to_string(seconds) + " s";
}

nlohmann::json headers_json(const Record& r) {
  nlohmann::json h = nlohmann::json::object();
  for (const Header& x : r.headers) h[x.key] = x.value;
  return h;
}

int cmd_dead_letter_show(const Globals& g, int64_t offset, bool as_json) {
  auto o = open_all(g, false, Access::kRead);
  if (!o) return report(o.error());
  auto entries = o->log->read(topics::kDeadLetter, 0, offset, 1);
  if (!entries) return report(entries.error());
  if (entries->empty() || entries->front().position.offset != offset) {
    return report(Error{"not_found", "no dead letter at offset " + std::to_string(offset)});
  }
  const Record& r = entries->front().record;
  if (as_json) {
    std::cout << nlohmann::json{{"offset", offset},
                                {"headers", headers_json(r)},
                                {"bytes", r.value}}
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
    return kDone;
  }
  std::cout << "offset " << offset << "\n";
  for (const Header& h : r.headers) std::cout << h.key << ": " << h.value << "\n";
  std::cout << "\n" << r.value << "\n";
  return kDone;
}

// The dead letters (the first `limit`), then the facts accepted that wait for the registration of
// the community or company they name, with their age, and those rejected once it came dated
// after them.
int cmd_dead_letter_list(const Globals& g, int64_t limit, bool as_json) {
  auto o = open_all(g, true, Access::kRead);
  if (!o) return report(o.error());
  auto entries = o->log->read(topics::kDeadLetter, 0, 0, static_cast<size_t>(limit));
  if (!entries) return report(entries.error());
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto waiting = waiting_facts(*o->store, now);
  if (!waiting) return report(waiting.error());
  if (as_json) {
    nlohmann::json items = nlohmann::json::array();
    for (const LogEntry& e : *entries)
      items.push_back({{"offset", e.position.offset}, {"headers", headers_json(e.record)}});
    std::cout << nlohmann::json{{"items", items}, {"waiting", *waiting}}.dump(
                     -1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
    return kDone;
  }
  for (const LogEntry& e : *entries) {
    const Record& r = e.record;
    std::cout << e.position.offset << "\t" << r.header(headers::kErrorStage) << "\t"
              << r.header(headers::kErrorOrigin) << "\t" << r.header(headers::kErrorReason) << "\n";
  }
  if (entries->empty()) std::cout << "the dead-letter log is empty\n";
  for (const nlohmann::json& w : *waiting) {
    const std::string age =
        w["age_seconds"].is_number() ? cli_age(w["age_seconds"].get<int64_t>()) : std::string("?");
    const char* keeper = w.contains("company") ? "projector" : "stage1";  // who keeps it waiting
    std::cout << w["status"].get<std::string>() << "\t" << keeper << "\t"
              << w["source"].get<std::string>() << "/" << w["id"].get<std::string>() << "\t"
              << w["reason"].get<std::string>() << " (accepted "
              << w["accepted_at"].get<std::string>() << ", " << age << " ago)\n";
  }
  return kDone;
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

// ---- healthcheck --------------------------------------------------------------------------
// GET of an http://HOST:PORT/PATH URL with a deadline: the status code, or an error. No curl in
// the slim image, so the one request a health check needs is made here.
Result<int> http_status(const std::string& url, int timeout_s) {
  const std::string_view scheme = "http://";
  if (!url.starts_with(scheme))
    return fail("bad_argument", "--url: expected http://HOST:PORT/PATH, got \"" + url + "\"");
  const std::string rest = url.substr(scheme.size());
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  const std::string host = authority.substr(0, colon);
  const std::string port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr)
    return fail("unreachable", url + ": cannot resolve " + host);
  const int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  timeval tv{timeout_s, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const bool connected = fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  freeaddrinfo(found);
  if (!connected) {
    if (fd >= 0) close(fd);
    return fail("unreachable", url + ": " + std::strerror(errno));
  }
  const std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + authority + "\r\nConnection: close\r\n\r\n";
  std::string answer;
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
      static_cast<ssize_t>(request.size())) {
    char buf[512];
    for (ssize_t n; answer.size() < 12 && (n = recv(fd, buf, sizeof buf, 0)) > 0;)
      answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  if (answer.size() < 12 || !answer.starts_with("HTTP/1."))
    return fail("unreachable", url + ": no HTTP answer within " + std::to_string(timeout_s) + " s");
  return std::atoi(answer.substr(9, 3).c_str());
}

// 0 when the server answers 200, 1 when it answers otherwise or not at all (Docker's HEALTHCHECK
// and systemd read the exit code).
int cmd_healthcheck(const std::string& url, int timeout_s) {
  auto status = http_status(url, timeout_s);
  if (!status) {
    std::cerr << "jiayuan: unhealthy: " << status.error().message << "\n";
    return kDoneWithRejections;
  }
  if (*status != 200) {
    std::cerr << "jiayuan: unhealthy: " << url << " answered " << *status << "\n";
    return kDoneWithRejections;
  }
  std::cout << "healthy: " << url << " answered 200\n";
  return kDone;
}

// backup, restore, healthcheck.
void add_operations_commands(CLI::App& app, const Globals& g, int& exit_code) {
  struct Args {
    std::string backup_dir;
    bool json = false;
    std::string health_url = "http://127.0.0.1:8080/healthz";
    int health_timeout = 5;
  };
  auto a = std::make_shared<Args>();
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

  auto* health = app.add_subcommand(
      "healthcheck", "exit 0 when the server answers 200 at --url, else 1 (for HEALTHCHECK)");
  health->add_option("--url", a->health_url, "what to ask")->capture_default_str();
  health->add_option("--timeout", a->health_timeout, "seconds")->capture_default_str();
  health->callback(
      [&exit_code, a] { exit_code = cmd_healthcheck(a->health_url, a->health_timeout); });
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
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  auto* tick =
      app.add_subcommand("tick", "advance log time: deadlines up to the date fire on the next run");
  tick->add_option("--date", a->tick_date, "the date (default: today)");
  tick->add_flag("--json", a->json, "the result as JSON");
  tick->callback([&g, &exit_code, a] { exit_code = cmd_tick(g, a->tick_date, a->json); });

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
  t_create->add_flag("--json", a->json, "the result as JSON");
  t_create->callback(
      [&g, &exit_code, a] { exit_code = cmd_topics_create(g, a->with_acls, a->json); });

  auto* digest = app.add_subcommand("digest", "print the SHA-256 digest of the projections");
  digest->add_flag("--json", a->json, "the result as JSON");
  digest->callback([&g, &exit_code, a] { exit_code = cmd_digest(g, a->json); });
  app.add_subcommand("rebuild", "drop the projections and rebuild them from the log")
      ->callback([&g, &exit_code] { exit_code = cmd_rebuild(g); });
  auto* status = app.add_subcommand("status", "log sizes, consumer offsets and the outbox");
  status->add_flag("--json", a->json, "the result as JSON");
  status->callback([&g, &exit_code, a] { exit_code = cmd_status(g, a->json); });

  add_operations_commands(app, g, exit_code);

  auto* dead = app.add_subcommand("dead-letter", "read the dead-letter log");
  dead->require_subcommand(1);
  auto* d_list = dead->add_subcommand("list", "list rejected input: offset, stage, origin, reason");
  d_list->add_option("--limit", a->limit, "at most this many")->capture_default_str();
  d_list->add_flag("--json", a->json, "the list as JSON");
  d_list->callback([&g, &exit_code, a] { exit_code = cmd_dead_letter_list(g, a->limit, a->json); });
  auto* d_show =
      dead->add_subcommand("show", "one dead letter with its headers and original bytes");
  d_show->add_option("offset", a->offset, "its offset in the dead-letter log")->required();
  d_show->add_flag("--json", a->json, "the dead letter as JSON");
  d_show->callback(
      [&g, &exit_code, a] { exit_code = cmd_dead_letter_show(g, a->offset, a->json); });
}

}  // namespace jiayuan::cli
