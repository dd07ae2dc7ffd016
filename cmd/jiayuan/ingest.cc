// jiayuan publish, import, retract: facts into the log, through intake (embedded log) or each
// department's inbox (Kafka).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <thread>

#include "cmd/jiayuan/commands.h"
#include "cmd/jiayuan/common.h"
#include "connectors/csv_import.h"
#include "connectors/kafka_gateway.h"
#include "connectors/kafka_log.h"
#include "connectors/ndjson.h"
#include "connectors/xlsx_import.h"
#include "engine/fact_sink.h"
#include "engine/handoff.h"
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

// Where the command's facts go: intake in this process (embedded log), or on Kafka the
// department's inbox through a gateway of the command's own (logging in with the department's
// Kafka credentials), which waits up to `wait` for intake's receipt of each.
struct Ingest {
  std::unique_ptr<Intake> intake;  // embedded log
  std::unique_ptr<FactSink> sink;
  bool kafka = false;
  // Intake's snapshot, kept for its next start (embedded log).
  void finish() {
    if (!intake) return;
    if (auto saved = intake->save_snapshot(); !saved) spdlog::warn("{}", saved.error().message);
  }
};

Result<Ingest> open_ingest(Opened& o, const std::string& source, double wait_seconds) {
  Ingest in;
  if (o.kafka) {
    if (source.empty() || !o.config.district.has_department(DepartmentId(source))) {
      return fail("bad_argument",
                  "--source: on Kafka, facts go to the inbox of a department of district.toml "
                  "(log in with its credentials); expected one, got \"" +
                      source + "\"");
    }
    in.kafka = true;
    JY_TRY(in.sink, KafkaGateway::open({.settings = o.config.engine.kafka,
                                        .departments = {source},
                                        .wait = std::chrono::milliseconds(static_cast<int64_t>(
                                            std::max(0.0, wait_seconds) * 1000)),
                                        .client_id = "jiayuan-cli"}));
    return in;
  }
  JY_TRY(in.intake, Intake::open(*o.log, o.config, intake_snapshot(o)));
  in.sink = std::make_unique<LocalSink>(*in.intake);
  return in;
}

// Every item's outcome, counted; rejections, waits and (unless all are) pending items on
// standard error; with --json, the items that were not simply accepted.
struct Tally {
  size_t accepted = 0, duplicates = 0, rejected = 0, waiting = 0, pending = 0;
  nlohmann::json items = nlohmann::json::array();
  bool keep_items = false;     // --json
  bool quiet_pending = false;  // sent without waiting: every item is pending

  void note(const std::string& origin, const IntakeOutcome& o) {
    if (o.verdict == Verdict::kAccepted && o.waiting_for.empty()) {
      ++accepted;  // the usual outcome: counted, nothing built
      return;
    }
    if (o.verdict == Verdict::kDuplicate) {
      ++duplicates;
      return;
    }
    nlohmann::json item{{"origin", origin}};
    switch (o.verdict) {
      case Verdict::kAccepted:
        ++accepted;
        ++waiting;
        item["status"] = "accepted";
        item["waiting"] = "waiting for the registration of " + o.waiting_for;
        std::cerr << origin << ": waiting for the registration of " << o.waiting_for << "\n";
        break;
      case Verdict::kDuplicate:
        return;  // counted above
      case Verdict::kRejected:
        ++rejected;
        item["status"] = "rejected";
        item["code"] = o.reason.code;
        item["reason"] = o.reason.message;
        std::cerr << origin << ": rejected: " << o.reason.message << "\n";
        break;
      case Verdict::kPending:
        ++pending;
        item["status"] = "pending";
        item["inbox_offset"] = o.position.offset;
        if (!quiet_pending) std::cerr << origin << ": pending: " << o.reason.message << "\n";
        break;
    }
    if (keep_items) items.push_back(std::move(item));
  }
  nlohmann::json counts() const {
    return {{"accepted", accepted},
            {"duplicates", duplicates},
            {"rejected", rejected},
            {"waiting", waiting},
            {"pending", pending}};
  }
};

// A batch of lines read: those too long to be facts, each with why (refused before the rest), and
// the rest, prepared by intake when it is in this process.
struct ReadBatch {
  std::vector<std::pair<IntakeInput, Error>> too_long;
  PreparedInputs facts;
};

ReadBatch read_batch(std::vector<NdjsonLine>& lines, const std::string& source, const Ingest& in) {
  ReadBatch b;
  std::vector<IntakeInput> inputs;
  for (NdjsonLine& line : lines) {
    const std::optional<Error> too_long =
        line.too_long ? std::optional(line_too_long(line)) : std::nullopt;
    IntakeInput input{std::move(line.text), std::move(line.origin), std::nullopt};
    if (!source.empty()) input.proven_source = DepartmentId(source);
    if (too_long) {
      b.too_long.emplace_back(std::move(input), *too_long);
    } else {
      inputs.push_back(std::move(input));
    }
  }
  if (in.intake) {
    b.facts = in.intake->prepare(std::move(inputs));
  } else {
    b.facts.inputs = std::move(inputs);
  }
  return b;
}

Status publish_batch(ReadBatch& b, Ingest& in, Tally& tally) {
  for (const auto& [input, why] : b.too_long) {
    JY_CHECK(in.sink->refuse(input, "intake", why));
    tally.note(input.origin, IntakeOutcome{Verdict::kRejected, {}, why, ""});
  }
  JY_TRY(std::vector<IntakeOutcome> outcomes,
         in.intake ? in.intake->submit(b.facts) : in.sink->submit(b.facts.inputs));
  for (size_t i = 0; i < outcomes.size(); ++i) tally.note(b.facts.inputs[i].origin, outcomes[i]);
  return {};
}

// The files' facts published in order. A thread reads (and, embedded, decodes) the next batches
// while this one submits the last; without a thread to be had, one does both in turn.
Status publish_files(const std::vector<std::string>& files, const std::string& source, Ingest& in,
                     Tally& tally) {
  Handoff<ReadBatch> ahead(2);
  Status read = {};
  std::jthread reader;
  try {
    reader = std::jthread([&] {
      try {
        read = read_ndjson(files, [&](std::vector<NdjsonLine>& lines) -> Status {
          if (ahead.put(read_batch(lines, source, in))) return {};
          return fail("stopped", "publishing stopped");  // the submitting side failed
        });
      } catch (const std::exception& e) {
        read = fail("internal_error", std::string("reading the files: ") + e.what());
      }
      ahead.done();
    });
  } catch (const std::system_error& e) {
    spdlog::warn("publish: reading and submitting in turn: {}", e.what());
    return read_ndjson(files, [&](std::vector<NdjsonLine>& lines) {
      ReadBatch b = read_batch(lines, source, in);
      return publish_batch(b, in, tally);
    });
  }
  // A batch's memory, allocated by the reading threads, is freed by a thread of its own: freeing
  // it here took a fifth of this thread's time, which the whole command waits on.
  Handoff<ReadBatch> spent(4);
  std::jthread freer;
  try {
    freer = std::jthread([&] {
      while (spent.take()) {
      }
    });
  } catch (const std::system_error&) {
    spent.stop();  // then each batch is freed here, as it goes
  }
  Status submitted = {};
  try {  // whatever happens here, the other threads are told, or they would wait forever
    while (std::optional<ReadBatch> b = ahead.take()) {
      submitted = publish_batch(*b, in, tally);
      if (!submitted) break;
      spent.put(std::move(*b));
    }
  } catch (const std::exception& e) {
    submitted = fail("internal_error", std::string("publishing: ") + e.what());
  }
  if (!submitted) ahead.stop();
  spent.done();
  reader.join();
  return submitted ? read : submitted;
}

int cmd_publish(const Globals& g, const std::vector<std::string>& files, const std::string& source,
                double wait_seconds, bool as_json) {
  auto o = open_all(g, false, Access::kWrite, KafkaLogUse::kNone);
  if (!o) return report(o.error());
  if (!source.empty() && !o->config.district.has_department(DepartmentId(source))) {
    return report(Error{"bad_argument", "--source: expected a department of district.toml, got \"" +
                                            source + "\""});
  }
  auto in = open_ingest(*o, source, wait_seconds);
  if (!in) return report(in.error());
  Tally tally;
  tally.keep_items = as_json;
  tally.quiet_pending = wait_seconds <= 0;
  Status s = publish_files(files, source, *in, tally);
  in->finish();
  if (!s) return report(s.error());
  if (as_json) {
    nlohmann::json out = tally.counts();
    out["items"] = tally.items;
    if (in->kafka) out["inbox"] = o->config.engine.kafka.topic_prefix + inbox_topic(source);
    std::cout << out.dump() << "\n";
    return tally.rejected == 0 ? 0 : 1;
  }
  if (tally.waiting > 0) {
    std::cout
        << tally.waiting
        << " of the accepted facts wait for the registration of what they name (they count once it "
           "comes; `jiayuan dead-letter list` shows them)\n";
  }
  if (in->kafka && tally.pending > 0) {
    std::cout << "published: " << tally.pending << " facts to "
              << o->config.engine.kafka.topic_prefix << inbox_topic(source)
              << " not yet judged (the engine's intake judges them; its receipts are on "
              << o->config.engine.kafka.topic_prefix << receipts_topic(source)
              << ", rejects in `jiayuan dead-letter list`)\n";
    if (tally.accepted + tally.duplicates + tally.rejected == 0) return kDone;  // none judged yet
  }
  std::cout << "published: " << tally.accepted << " accepted, " << tally.duplicates
            << " already in the log, " << tally.rejected << " rejected"
            << (tally.rejected ? " (see `jiayuan dead-letter list`)" : "") << "\n";
  return tally.rejected == 0 ? 0 : 1;
}

// ---- retract -----------------------------------------------------------------------------
// A department retracts one of its own facts (DOMAIN.md "Retractions and corrections"): the
// fact counts as never having happened. Over Kafka it goes to the department's inbox, after
// the fact it names.
int cmd_retract(const Globals& g, const std::string& source, const std::string& id,
                const std::string& reason, const std::string& date_text, double wait_seconds) {
  auto o = open_all(g, false, Access::kWrite, KafkaLogUse::kNone);
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
  auto in = open_ingest(*o, source, wait_seconds);
  if (!in) return report(in.error());
  const std::vector<IntakeInput> one = {{ev.dump(), "retract", DepartmentId(source)}};
  auto out = in->sink->submit(one);
  in->finish();
  if (!out) return report(out.error());
  const IntakeOutcome& r = out->front();
  if (r.verdict == Verdict::kRejected) {
    std::cerr << "jiayuan: retraction refused: " << r.reason.message << "\n";
    return 1;
  }
  if (r.verdict == Verdict::kPending) {
    std::cout << "retraction of " << source << "/" << id << " sent: " << r.reason.message << "\n";
    return 0;
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

// Every row's outcome: counted (Tally), the --report lines and, with --json, every row.
struct ImportTally {
  Tally tally;
  std::map<int64_t, std::string> report_lines;  // by row, written in row order at the end
  std::map<int64_t, nlohmann::json> rows;       // --json
  bool keep_lines = false, keep_rows = false;

  void note(const CsvRow& r, const IntakeOutcome& o) {
    tally.note(r.input.origin, o);
    static constexpr std::array<const char*, 4> kVerdicts = {"accepted", "duplicate", "rejected",
                                                             "pending"};
    const char* verdict = kVerdicts[static_cast<size_t>(o.verdict)];
    const std::string why = !o.waiting_for.empty()
                                ? "waiting for the registration of " + o.waiting_for
                                : (o.verdict == Verdict::kAccepted ? "" : o.reason.message);
    if (keep_rows) {
      nlohmann::json row{{"row", r.line}, {"status", verdict}};
      if (!why.empty()) row["reason"] = why;
      rows[r.line] = std::move(row);
    }
    if (keep_lines)
      report_lines[r.line] = std::to_string(r.line) + "," + verdict + "," + csv_cell(why);
  }
  static std::string csv_cell(const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
};

// The rows through the sink in batches of 1000 (rows refused by the reader to the dead letters),
// with a progress bar on a terminal.
Status import_rows(FactSink& sink, const std::vector<CsvRow>& rows, ImportTally& tally) {
  const bool tty = isatty(2) != 0;
  const size_t total = rows.size();
  for (size_t start = 0; start < total; start += 1000) {
    std::vector<IntakeInput> batch;
    std::vector<const CsvRow*> batch_rows;
    for (size_t i = start; i < std::min(total, start + 1000); ++i) {
      const CsvRow& r = rows[i];
      if (r.rejection) {
        tally.note(r, IntakeOutcome{Verdict::kRejected, {}, *r.rejection, ""});
        JY_CHECK(sink.refuse(r.input, "csv", *r.rejection));
        continue;
      }
      batch.push_back(r.input);
      batch_rows.push_back(&r);
    }
    JY_TRY(std::vector<IntakeOutcome> outcomes, sink.submit(batch));
    for (size_t k = 0; k < outcomes.size(); ++k) tally.note(*batch_rows[k], outcomes[k]);
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

struct ImportArgs {
  std::string file, type, source, report, encoding = "auto";
  double wait = 60;
  bool json = false;
};

int cmd_import(const Globals& g, const ImportArgs& a) {
  const auto encoding = parse_csv_encoding(a.encoding);
  if (!encoding) {
    return report(
        Error{"bad_argument",
              "--encoding: expected auto, utf-8 or gb18030 (gbk), got \"" + a.encoding + "\""});
  }
  auto type = fact_type_arg(a.type);
  if (!type) return report(type.error());
  auto o = open_all(g, false, Access::kWrite, KafkaLogUse::kNone);
  if (!o) return report(o.error());
  if (!o->config.district.has_department(DepartmentId(a.source))) {
    return report(Error{"bad_argument", "--source: expected a department of district.toml, got \"" +
                                            a.source + "\""});
  }
  auto read = read_import_file(a.file, *encoding);
  if (!read) return report(read.error());
  const CsvTable& table = read->table;
  auto rows = csv_rows(table, **type, DepartmentId(a.source), a.file);
  if (!rows) return report(Error{rows.error().code, a.file + ": " + rows.error().message});
  auto in = open_ingest(*o, a.source, a.wait);
  if (!in) return report(in.error());

  std::ofstream report_file;
  if (!a.report.empty()) {
    report_file.open(a.report, std::ios::binary | std::ios::trunc);
    if (!report_file) return report(Error{"io", a.report + ": cannot open for writing"});
    report_file << "row,verdict,reason\n";
  }
  ImportTally it;
  it.keep_lines = static_cast<bool>(report_file);
  it.keep_rows = a.json;
  Status imported = import_rows(*in->sink, *rows, it);
  in->finish();
  if (!imported) return report(imported.error());
  for (const auto& [row, line] : it.report_lines) report_file << line << "\n";
  const Tally& t = it.tally;
  const size_t total = rows->size();
  if (a.json) {
    nlohmann::json out = t.counts();
    out["file"] = a.file;
    out["format"] = read->workbook ? "xlsx" : "csv";
    if (read->workbook) {
      out["sheet"] = table.sheet;
    } else {
      out["encoding"] = table.encoding;
      out["encoding_detected"] = table.encoding_detected;
    }
    out["rows"] = nlohmann::json::array();
    for (auto& [line, row] : it.rows) out["rows"].push_back(row);
    std::cout << out.dump() << "\n";
    return t.rejected == 0 ? 0 : 1;
  }
  const std::string read_as = read->workbook
                                  ? "xlsx, sheet \"" + table.sheet + "\""
                                  : table.encoding + (table.encoding_detected ? ", detected" : "");
  std::cout << "imported " << a.file << " (" << read_as << "): " << total
            << (total == 1 ? " row, " : " rows, ") << t.accepted << " accepted, " << t.duplicates
            << " already in the log, " << t.rejected << " rejected"
            << (t.rejected ? " (see `jiayuan dead-letter list`)" : "");
  if (t.pending > 0)
    std::cout << ", " << t.pending << " sent but not yet judged (the engine's intake judges them)";
  std::cout << "\n";
  return t.rejected == 0 ? 0 : 1;
}

}  // namespace

void add_ingest_commands(CLI::App& app, const Globals& g, int& exit_code) {
  struct Args {
    std::vector<std::string> files;
    std::string source;
    double publish_wait = 0;
    bool publish_json = false;
    ImportArgs import;
    std::string retract_source, retract_id, retract_reason, retract_date;
    double retract_wait = 30;
  };
  auto a = std::make_shared<Args>();
  auto* publish =
      app.add_subcommand("publish", "append facts (NDJSON, one CloudEvent per line) to the log");
  publish->add_option("files", a->files, "NDJSON files; - reads standard input")->required();
  publish->add_option("--source", a->source,
                      "the publishing department; each fact's source must match it (on Kafka: "
                      "required, its inbox is written)");
  publish
      ->add_option("--wait", a->publish_wait,
                   "on Kafka: seconds to wait for intake's judgement of each fact (0: send "
                   "and return)")
      ->capture_default_str();
  publish->add_flag("--json", a->publish_json, "the outcome as JSON");
  publish->callback([&g, &exit_code, a] {
    exit_code = cmd_publish(g, a->files, a->source, a->publish_wait, a->publish_json);
  });

  auto* import = app.add_subcommand(
      "import",
      "import a CSV or Excel (.xlsx) batch of one fact type (header in English or Chinese)");
  import
      ->add_option(
          "file", a->import.file,
          "the CSV file (UTF-8 with or without BOM, or GB18030/GBK as Excel saves it), or an "
          ".xlsx workbook (its first sheet)")
      ->required();
  import->add_option("--encoding", a->import.encoding,
                     "auto (the default: UTF-8 unless most lines are not), utf-8, or gb18030 (also "
                     "gbk, gb2312, cp936)");
  import
      ->add_option("--type", a->import.type, "the fact type, e.g. inspection or jiayuan.inspection")
      ->required();
  import
      ->add_option("--source", a->import.source,
                   "the importing department, e.g. bureau or street.yueyang")
      ->required();
  import->add_option("--report", a->import.report,
                     "write every row's outcome (row,verdict,reason) to this CSV");
  import
      ->add_option("--wait", a->import.wait,
                   "on Kafka: seconds to wait for intake's judgement of each row before "
                   "answering \"pending\"")
      ->capture_default_str();
  import->add_flag("--json", a->import.json, "every row's outcome as JSON");
  import->callback([&g, &exit_code, a] { exit_code = cmd_import(g, a->import);
});

auto* retract = app.add_subcommand(
    "retract", "retract one of a department's own facts: it counts as never having happened");
retract->add_option("--source", a->retract_source, "the department that published the fact")
    ->required();
retract->add_option("--id", a->retract_id, "the fact's id")->required();
retract->add_option("--reason", a->retract_reason, "why, for the record")->required();
retract->add_option("--date", a->retract_date,
                    "the retraction's date (default: today in Shanghai)");
retract->add_option("--wait", a->retract_wait, "on Kafka: seconds to wait for intake's judgement")
    ->capture_default_str();
retract->callback([&g, &exit_code, a] {
  exit_code = cmd_retract(g, a->retract_source, a->retract_id, a->retract_reason, a->retract_date,
                          a->retract_wait);
});
}  // namespace jiayuan::cli

}  // namespace jiayuan::cli
