// jiayuan publish, import, retract: facts into the log, through intake (embedded log) or each
// department's inbox (Kafka).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cmd/jiayuan/commands.h"
#include "cmd/jiayuan/common.h"
#include "connectors/csv_import.h"
#include "connectors/kafka_log.h"
#include "connectors/ndjson.h"
#include "connectors/xlsx_import.h"
#include "engine/intake.h"
#include "events/json_limits.h"

namespace jiayuan::cli {
namespace {

// ---- publish -----------------------------------------------------------------------------
// The non-blank lines of NDJSON files ("-": standard input), in batches of up to 1000:
// `batch(lines)` gets each line with its origin ("file:line"); an error stops the reading.
using NdjsonBatch = std::function<Status(std::vector<NdjsonLine>&)>;
Status read_ndjson(const std::vector<std::string>& files, const NdjsonBatch& batch) {
  for (const std::string& file : files) {
    std::ifstream file_in;
    std::istream* in = &std::cin;
    if (file != "-") {
      file_in.open(file, std::ios::binary);
      if (!file_in) return fail("io", file + ": cannot open for reading");
      in = &file_in;
    }
    NdjsonReader reader(*in, file == "-" ? "stdin" : file);
    std::vector<NdjsonLine> lines;
    for (NdjsonLine line; reader.next(line);) {
      lines.push_back(std::move(line));
      if (lines.size() >= 1000) {
        JY_CHECK(batch(lines));
        lines.clear();
        if (reader.lines_read() % 100000 < 1000)
          spdlog::info("publish: {} lines of {}", reader.lines_read(), file);
      }
    }
    JY_CHECK(batch(lines));
  }
  return {};
}

// The reason a line too long to be a fact is refused.
Error line_too_long(const NdjsonLine& line) {
  return field_error("too_large", "line", "at most 1 MiB (one event)",
                     std::to_string(line.size) + " bytes (its first " +
                         std::to_string(NdjsonReader::kKeptBytes) +
                         " kept in the dead-letter log)");
}

// Over Kafka, `publish` is a department's tool: it writes the lines to the department's inbox
// (structured CloudEvents), and the engine's intake validates them.
int publish_to_inbox(Opened& o, const std::vector<std::string>& files, const std::string& source) {
  if (source.empty() || !o.config.district.has_department(DepartmentId(source))) {
    return report(Error{"bad_argument",
                        "--source: over Kafka, publish writes the inbox of a department of "
                        "district.toml; expected one, got \"" +
                            source + "\""});
  }
  size_t sent = 0;
  Status s = read_ndjson(files, [&](std::vector<NdjsonLine>& lines) -> Status {
    std::vector<Record> batch;
    for (NdjsonLine& line : lines) {
      if (line.too_long) {
        std::cerr << line.origin << ": not sent: " << line_too_long(line).message << "\n";
        continue;
      }
      std::string key;
      if (check_json(line.text, JsonLimits{})) {
        const auto doc = nlohmann::json::parse(line.text, nullptr, false);
        if (doc.is_object() && doc.contains("subject") && doc["subject"].is_string())
          key = doc["subject"];
      }
      batch.push_back(
          Record{key, std::move(line.text), {{"content-type", "application/cloudevents+json"}}});
    }
    JY_TRY(std::vector<Position> ignored, o.log->append(inbox_topic(source), batch));
    sent += batch.size();
    return {};
  });
  if (!s) return report(s.error());
  std::cout << "published: " << sent << " facts to " << o.config.engine.kafka.topic_prefix
            << inbox_topic(source)
            << " (the engine's intake validates them; rejects go to jiayuan.dead-letter)\n";
  return 0;
}

int cmd_publish(const Globals& g, const std::vector<std::string>& files,
                const std::string& source) {
  auto o = open_all(g, false);
  if (!o) return report(o.error());
  if (o->kafka) return publish_to_inbox(*o, files, source);
  auto intake = Intake::open(*o->log, o->config, intake_snapshot(*o));
  if (!intake) return report(intake.error());
  size_t accepted = 0, duplicates = 0, rejected = 0, waiting = 0;
  Status s = read_ndjson(files, [&](std::vector<NdjsonLine>& lines) -> Status {
    std::vector<IntakeInput> batch;
    for (NdjsonLine& line : lines) {
      const std::optional<Error> too_long =
          line.too_long ? std::optional(line_too_long(line)) : std::nullopt;
      IntakeInput input{std::move(line.text), std::move(line.origin), std::nullopt};
      if (!source.empty()) input.proven_source = DepartmentId(source);
      if (too_long) {
        const Error& why = *too_long;
        JY_CHECK((*intake)->dead_letter(input, "intake", why));
        std::cerr << input.origin << ": rejected: " << why.message << "\n";
        ++rejected;
        continue;
      }
      batch.push_back(std::move(input));
    }
    JY_TRY(std::vector<IntakeOutcome> outcomes, (*intake)->submit(batch));
    for (size_t i = 0; i < outcomes.size(); ++i) {
      switch (outcomes[i].verdict) {
        case Verdict::kAccepted:
          ++accepted;
          if (!outcomes[i].waiting_for.empty()) {
            ++waiting;
            std::cerr << batch[i].origin << ": waiting for the registration of "
                      << outcomes[i].waiting_for << "\n";
          }
          break;
        case Verdict::kDuplicate:
          ++duplicates;
          break;
        case Verdict::kRejected:
          ++rejected;
          std::cerr << batch[i].origin << ": rejected: " << outcomes[i].reason.message << "\n";
          break;
      }
    }
    return {};
  });
  if (!s) return report(s.error());
  if (auto saved = (*intake)->save_snapshot(); !saved) spdlog::warn("{}", saved.error().message);
  if (waiting > 0) {
    std::cout
        << waiting
        << " of the accepted facts wait for the registration of what they name (they count once it "
           "comes; `jiayuan dead-letter list` shows them)\n";
  }
  std::cout << "published: " << accepted << " accepted, " << duplicates << " already in the log, "
            << rejected << " rejected" << (rejected ? " (see `jiayuan dead-letter list`)" : "")
            << "\n";
  return rejected == 0 ? 0 : 1;
}

// ---- retract -----------------------------------------------------------------------------
// A department retracts one of its own facts (DOMAIN.md "Retractions and corrections"): the
// fact counts as never having happened. Over Kafka it goes to the department's inbox, after
// the fact it names.
int cmd_retract(const Globals& g, const std::string& source, const std::string& id,
                const std::string& reason, const std::string& date_text) {
  auto o = open_all(g, false);
  if (!o) return report(o.error());
  if (!o->config.district.has_department(DepartmentId(source))) {
    return report(Error{"bad_argument", "--source: expected a department of district.toml, got \"" +
                                            source + "\""});
  }
  const auto date = date_text.empty() ? today() : Date::parse(date_text);
  if (!date)
    return report(
        Error{"bad_argument", "--date: expected a date YYYY-MM-DD, got \"" + date_text + "\""});
  const nlohmann::json ev{{"specversion", "1.0"},
                          {"id", "retract-" + id},
                          {"source", source},
                          {"type", "jiayuan.fact.retracted"},
                          {"occurred", date->to_string()},
                          {"data", {{"id", id}, {"reason", reason}}}};
  if (o->kafka) {
    const std::vector<Record> one = {
        Record{"", ev.dump(), {{"content-type", "application/cloudevents+json"}}}};
    auto sent = o->log->append(inbox_topic(source), one);
    if (!sent) return report(sent.error());
    std::cout << "retraction of " << source << "/" << id << " sent to "
              << o->config.engine.kafka.topic_prefix << inbox_topic(source)
              << " (the engine's intake judges it)\n";
    return 0;
  }
  auto intake = Intake::open(*o->log, o->config, intake_snapshot(*o));
  if (!intake) return report(intake.error());
  const std::vector<IntakeInput> in = {{ev.dump(), "retract", DepartmentId(source)}};
  auto out = (*intake)->submit(in);
  if (!out) return report(out.error());
  if (auto saved = (*intake)->save_snapshot(); !saved) spdlog::warn("{}", saved.error().message);
  const IntakeOutcome& r = out->front();
  if (r.verdict == Verdict::kRejected) {
    std::cerr << "jiayuan: retraction refused: " << r.reason.message << "\n";
    return 1;
  }
  std::cout << (r.verdict == Verdict::kDuplicate ? "already retracted: " : "retracted: ") << source
            << "/" << id
            << " (counts as never having happened; `jiayuan run` takes the revisions)\n";
  return 0;
}

// ---- import ------------------------------------------------------------------------------
// --type: a fact type by its name, with or without "jiayuan.".
Result<const FactTypeInfo*> fact_type_arg(const std::string& name) {
  const FactTypeInfo* type = find_fact_type(name);
  if (type == nullptr) type = find_fact_type("jiayuan." + name);
  if (type != nullptr) return type;
  std::string known;
  for (const auto& t : fact_types())
    known.append(known.empty() ? "" : ", ").append(t.name.substr(8));
  return fail("bad_argument", "--type: expected one of " + known + ", got \"" + name + "\"");
}

// The file's table: a workbook's first sheet, or the CSV in its encoding.
struct ImportTable {
  CsvTable table;
  bool workbook = false;
};
Result<ImportTable> read_import_file(const std::string& file, CsvEncoding encoding) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail("io", file + ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  ImportTable out;
  out.workbook = is_workbook(text.str(), file);
  if (out.workbook && encoding != CsvEncoding::kAuto) {
    return fail("bad_argument", "--encoding: names a CSV's encoding; " + file +
                                    " is a workbook (its text is Unicode)");
  }
  auto table = out.workbook ? read_xlsx(text.str()) : read_csv(text.str(), encoding);
  if (!table) return fail(table.error().code, file + ": " + table.error().message);
  out.table = std::move(*table);
  return out;
}

// Every row's outcome: counted, rejections and waits on standard error, the --report lines.
struct ImportTally {
  size_t accepted = 0, duplicates = 0, rejected = 0;
  std::map<int64_t, std::string> report_lines;  // by row, written in row order at the end
  bool keep_lines = false;

  void note(const CsvRow& r, Verdict v, const Error& reason, const std::string& waiting_for = "") {
    const char* verdict = v == Verdict::kAccepted    ? "accepted"
                          : v == Verdict::kDuplicate ? "duplicate"
                                                     : "rejected";
    (v == Verdict::kAccepted ? accepted : v == Verdict::kDuplicate ? duplicates : rejected) += 1;
    if (v == Verdict::kRejected)
      std::cerr << r.input.origin << ": rejected: " << reason.message << "\n";
    const std::string why =
        waiting_for.empty() ? reason.message : "waiting for the registration of " + waiting_for;
    if (!waiting_for.empty()) std::cerr << r.input.origin << ": " << why << "\n";
    if (keep_lines)
      report_lines[r.line] = std::to_string(r.line) + "," + verdict + "," + csv_cell(why);
  }
  static std::string csv_cell(const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
};

// The rows through intake in batches of 1000 (rows refused by the reader to the dead letters),
// with a progress bar on a terminal.
Status import_rows(Intake& intake, const std::vector<CsvRow>& rows, ImportTally& tally) {
  const bool tty = isatty(2) != 0;
  const size_t total = rows.size();
  for (size_t start = 0; start < total; start += 1000) {
    std::vector<IntakeInput> batch;
    std::vector<const CsvRow*> batch_rows;
    for (size_t i = start; i < std::min(total, start + 1000); ++i) {
      const CsvRow& r = rows[i];
      if (r.rejection) {
        tally.note(r, Verdict::kRejected, *r.rejection);
        JY_CHECK(intake.dead_letter(r.input, "csv", *r.rejection));
        continue;
      }
      batch.push_back(r.input);
      batch_rows.push_back(&r);
    }
    JY_TRY(std::vector<IntakeOutcome> outcomes, intake.submit(batch));
    for (size_t k = 0; k < outcomes.size(); ++k) {
      tally.note(*batch_rows[k], outcomes[k].verdict, outcomes[k].reason, outcomes[k].waiting_for);
    }
    const size_t done = std::min(total, start + 1000);
    if (tty && total > 1000) {
      const int width = 30, filled = static_cast<int>(width * done / total);
      std::cerr << "\rimport [" << std::string(filled, '#') << std::string(width - filled, ' ')
                << "] " << done << "/" << total << " rows" << std::flush;
    }
  }
  if (tty && total > 1000) std::cerr << "\n";
  return {};
}

int cmd_import(const Globals& g, const std::string& file, const std::string& type_name_arg,
               const std::string& source, const std::string& report_path,
               const std::string& encoding_name) {
  const auto encoding = parse_csv_encoding(encoding_name);
  if (!encoding) {
    return report(
        Error{"bad_argument",
              "--encoding: expected auto, utf-8 or gb18030 (gbk), got \"" + encoding_name + "\""});
  }
  auto type = fact_type_arg(type_name_arg);
  if (!type) return report(type.error());
  auto o = open_all(g, false);
  if (!o) return report(o.error());
  if (o->kafka) {
    return report(Error{"bad_argument",
                        "import over Kafka: convert with `jiayuan import` on the embedded log, or "
                        "publish the facts to the department's inbox"});
  }
  if (!o->config.district.has_department(DepartmentId(source))) {
    return report(Error{"bad_argument", "--source: expected a department of district.toml, got \"" +
                                            source + "\""});
  }
  auto read = read_import_file(file, *encoding);
  if (!read) return report(read.error());
  const CsvTable& table = read->table;
  auto rows = csv_rows(table, **type, DepartmentId(source), file);
  if (!rows) return report(Error{rows.error().code, file + ": " + rows.error().message});
  auto intake = Intake::open(*o->log, o->config, intake_snapshot(*o));
  if (!intake) return report(intake.error());

  std::ofstream report_file;
  if (!report_path.empty()) {
    report_file.open(report_path, std::ios::binary | std::ios::trunc);
    if (!report_file) return report(Error{"io", report_path + ": cannot open for writing"});
    report_file << "row,verdict,reason\n";
  }
  ImportTally tally;
  tally.keep_lines = static_cast<bool>(report_file);
  if (Status s = import_rows(**intake, *rows, tally); !s) return report(s.error());
  for (const auto& [row, line] : tally.report_lines) report_file << line << "\n";
  if (auto saved = (*intake)->save_snapshot(); !saved) spdlog::warn("{}", saved.error().message);
  const std::string read_as = read->workbook
                                  ? "xlsx, sheet \"" + table.sheet + "\""
                                  : table.encoding + (table.encoding_detected ? ", detected" : "");
  const size_t total = rows->size();
  std::cout << "imported " << file << " (" << read_as << "): " << total
            << (total == 1 ? " row, " : " rows, ") << tally.accepted << " accepted, "
            << tally.duplicates << " already in the log, " << tally.rejected << " rejected"
            << (tally.rejected ? " (see `jiayuan dead-letter list`)" : "") << "\n";
  return tally.rejected == 0 ? 0 : 1;
}

}  // namespace

void add_ingest_commands(CLI::App& app, const Globals& g, int& exit_code) {
  struct Args {
    std::vector<std::string> files;
    std::string source;
    std::string import_file, import_type, import_source, import_report, import_encoding = "auto";
    std::string retract_source, retract_id, retract_reason, retract_date;
  };
  auto a = std::make_shared<Args>();
  auto* publish =
      app.add_subcommand("publish", "append facts (NDJSON, one CloudEvent per line) to the log");
  publish->add_option("files", a->files, "NDJSON files; - reads standard input")->required();
  publish->add_option("--source", a->source,
                      "the publishing department; each fact's source must match it");
  publish->callback([&g, &exit_code, a] { exit_code = cmd_publish(g, a->files, a->source); });

  auto* import = app.add_subcommand(
      "import",
      "import a CSV or Excel (.xlsx) batch of one fact type (header in English or Chinese)");
  import
      ->add_option(
          "file", a->import_file,
          "the CSV file (UTF-8 with or without BOM, or GB18030/GBK as Excel saves it), or an "
          ".xlsx workbook (its first sheet)")
      ->required();
  import->add_option("--encoding", a->import_encoding,
                     "auto (the default: UTF-8 unless most lines are not), utf-8, or gb18030 (also "
                     "gbk, gb2312, cp936)");
  import
      ->add_option("--type", a->import_type, "the fact type, e.g. inspection or jiayuan.inspection")
      ->required();
  import
      ->add_option("--source", a->import_source,
                   "the importing department, e.g. bureau or street.yueyang")
      ->required();
  import->add_option("--report", a->import_report,
                     "write every row's outcome (row,verdict,reason) to this CSV");
  import->callback([&g, &exit_code, a] {
    exit_code = cmd_import(g, a->import_file, a->import_type, a->import_source, a->import_report, a->import_encoding);
});

auto* retract = app.add_subcommand(
    "retract", "retract one of a department's own facts: it counts as never having happened");
retract->add_option("--source", a->retract_source, "the department that published the fact")
    ->required();
retract->add_option("--id", a->retract_id, "the fact's id")->required();
retract->add_option("--reason", a->retract_reason, "why, for the record")->required();
retract->add_option("--date", a->retract_date,
                    "the retraction's date (default: today in Shanghai)");
retract->callback([&g, &exit_code, a] {
  exit_code = cmd_retract(g, a->retract_source, a->retract_id, a->retract_reason, a->retract_date);
});
}  // namespace jiayuan::cli

}  // namespace jiayuan::cli
