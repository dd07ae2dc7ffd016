// Intake: the only writer of jiayuan.events. Decodes, validates and authorises each fact,
// drops exact re-sends, and appends the rest to the events log; whatever it rejects goes to
// jiayuan.dead-letter with the original bytes and the reason.
//
//   auto intake = Intake::open(log, config);            // rebuilds its index from the log
//   std::vector<IntakeInput> in = {{line, "demo.ndjson line 1", std::nullopt}};
//   auto outcomes = intake->submit(in);                  // one outcome per input, same order
//
// The source of a fact is the department the transport proves (`proven_source`); only the
// trusted operator path (`jiayuan publish` on the machine itself) leaves it unset and takes
// the envelope's word.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "engine/clock.h"
#include "engine/log.h"
#include "engine/seen_facts.h"
#include "events/facts.h"
#include "projections/store.h"

namespace jiayuan {

// Threads: an Intake is used by one thread at a time (HttpIngest serialises its handlers with a
// mutex; the Kafka intake is single-threaded), except `prepare`, which may run beside the rest
// (`jiayuan publish` prepares on a reading thread). It borrows the Log and the Config it is
// opened with; both must outlive it.
struct IntakeInput {
  std::string bytes;   // exactly as received
  std::string origin;  // where it came from, for messages: "demo.ndjson line 12"
  std::optional<DepartmentId> proven_source;
};

// kPending: sent to a department's inbox on Kafka, not judged by intake within the wait
// (engine/fact_sink.h); never an outcome of Intake itself.
enum class Verdict { kAccepted, kDuplicate, kRejected, kPending };

struct IntakeOutcome {
  Verdict verdict = Verdict::kRejected;
  Position position;  // in jiayuan.events (accepted), jiayuan.dead-letter (rejected), the inbox
                      // (pending)
  Error reason;       // when rejected; what it waits for when pending
  // Accepted, but naming a community (or company) the log does not know yet: "community
  // SJ00002". It waits, recorded, and counts once a registration dated on or before it comes
  // (DOMAIN.md "Facts that arrive before what they name").
  std::string waiting_for;
};

// What intake remembers of the accepted log: a projection of jiayuan.events.
struct IntakeIndex {
  SeenFacts seen;  // every accepted fact: (source, id) -> content, position
  std::unordered_map<std::string, std::string> street_by_community;
  std::unordered_map<std::string, int> companies;  // registered, or named by a contract
  // Retracted facts, by identity (source '\0' id): the retraction that stands, as
  // "<occurred> <id>" (of two, the earlier by (occurred, source, id) stands).
  std::unordered_map<std::string, std::string> retracted;
};

// An input judged valid: the event, and what it waits for ("" when it counts at once).
struct Judged {
  Event event;
  std::string waiting_for;
};

// Pure validation of one input against config and the index: decode_input, then judge_event.
Result<Judged> validate_input(const IntakeInput& input, const Config& config,
                              const IntakeIndex& index);
// The part that needs no index (intake runs it on several threads): decoded, its source checked.
Result<Event> decode_input(const IntakeInput& input, const Config& config);
// The rest, against the index: street, authority, dates; what the fact waits for.
Result<Judged> judge_event(Event ev, const Config& config, const IntakeIndex& index);
// The identity of a fact's content: type, date and canonical data.
std::string content_hash(const Event& event);

// What an input gives without intake's index (Intake::prepare): decoded with its source checked,
// its content hash, and the record it is appended as if accepted (a retraction's is built when it
// is judged; the accepted-at stamp is added then too).
struct DecodedInput {
  Result<Event> event = fail("internal_error", "not decoded");
  std::string hash;
  std::optional<Record> record;
};

// A call's inputs with what they give without the index, one DecodedInput each, in order.
struct PreparedInputs {
  std::vector<IntakeInput> inputs;
  std::vector<DecodedInput> decoded;
  bool used = false;  // submitted: `decoded` holds what is left of it, for its owner to free
};

// Header names on records of jiayuan.events (CloudEvents Kafka binding) and dead letters.
namespace headers {
inline constexpr std::string_view kContentHash = "jiayuan_content_hash";
// The instant intake accepted the fact (RFC 3339, UTC, milliseconds): transaction time.
inline constexpr std::string_view kAcceptedAt = "jiayuan_accepted_at";
// On a retraction: the stored (binary) form of the fact it retracts.
inline constexpr std::string_view kRetracts = "jiayuan_retracts";
inline constexpr std::string_view kErrorStage = "jiayuan.errors.stage";
inline constexpr std::string_view kErrorCode = "jiayuan.errors.code";
inline constexpr std::string_view kErrorReason = "jiayuan.errors.reason";
inline constexpr std::string_view kErrorOrigin = "jiayuan.errors.origin";
inline constexpr std::string_view kErrorDepartment = "jiayuan.errors.department";
}  // namespace headers

// The record of an accepted event in jiayuan.events; `accepted_at` (RFC 3339) when known;
// `hash`, the event's content_hash when the caller has it already (computed here when empty).
Record event_record(const Event& event, std::string_view accepted_at = "", std::string hash = {});
// "2024-01-15T10:00:00.123Z"
std::string rfc3339_ms(int64_t unix_ms);

// `jiayuan tick`: log time moves to `date` on every partition of jiayuan.events (a Tick each,
// accepted at `accepted_at_ms`), so deadlines up to it fire on the next run. The one fact intake
// writes without judging one: it comes from the operator, not a department. Returns how many.
Result<size_t> append_ticks(Log& log, Date date, int64_t accepted_at_ms);
// The instant of an RFC 3339 text with a Z or ±hh:mm offset ("2024-01-15T18:00:00+08:00"),
// in milliseconds since the Unix epoch; nullopt for anything else.
std::optional<int64_t> parse_instant_ms(std::string_view text);

// A rejected input for jiayuan.dead-letter: its bytes as received, with why, where from and, when
// known, the department that sent it (so a department reads its own).
Record dead_letter_record(std::string key, std::string bytes, std::string_view stage,
                          const Error& reason, std::string origin,
                          std::string_view department = {});

class Intake {
 public:
  // `snapshot` (optional) is a file where intake keeps what it remembers together with the log
  // position that covers. open() loads it when it matches the log (every partition still holds,
  // at the recorded position, the fact recorded there) and then learns only what came after;
  // otherwise it learns the whole log and writes the file. Without a snapshot, a start reads
  // every fact in the log (53.8 s at 9.9M facts, docs/performance.md).
  static Result<std::unique_ptr<Intake>> open(Log& log, const Config& config,
                                              std::string snapshot = "");

  // Writes the snapshot file (a temporary file synced, then renamed over it); a no-op without one.
  // Learns its own appends first, so the file covers everything accepted so far.
  Status save_snapshot();

  // Submits inputs in order. Accepted facts are appended to jiayuan.events in one batch, each
  // stamped with the instant intake accepted it (the clock below), and rejected ones to
  // jiayuan.dead-letter; a rejection never stops the rest. Errors only when the log cannot be
  // written, or a retraction's target cannot be read back from it (then nothing of this call is
  // accepted).
  Result<std::vector<IntakeOutcome>> submit(std::span<const IntakeInput> inputs);

  // submit in two halves, so that a caller can overlap them: prepare needs only the config (it
  // decodes, hashes and builds records on engine.toml `intake_threads` threads) and may run on
  // another thread while this intake submits an earlier call; submit(prepared) judges, dedupes
  // and appends as submit(prepared.inputs) would. `prepared` stays the caller's: its inputs as they
  // were, and in `decoded` what is left of the events and records once used, so that the caller
  // frees them where it likes (submitted again, it is decoded afresh). `jiayuan publish` reads and
  // prepares the next batch while the last is appended, and frees the one before on a third thread.
  PreparedInputs prepare(std::vector<IntakeInput> inputs) const;
  Result<std::vector<IntakeOutcome>> submit(PreparedInputs& prepared);

  // The clock at this edge (default: the system's); it must outlive this intake. Accepted-at
  // stamps never go backwards, whatever the clock does.
  void set_clock(const Clock& clock) { clock_ = &clock; }

  // Learns what others appended to jiayuan.events since it last looked (another intake
  // instance's facts): registrations, contracts, and what is already in the log.
  Status catch_up();

  // Input that never became an event (e.g. a CSV row with the wrong number of cells): to the
  // dead-letter log with its original bytes and the reason, stage `stage`.
  Status dead_letter(const IntakeInput& input, std::string_view stage, const Error& reason);

  // Forgets what it remembers and reads it again from the log (after an aborted transaction).
  Status reload() { return rebuild_index(); }

 private:
  Intake(Log& log, const Config& config, std::string snapshot)
      : log_(log), config_(config), snapshot_(std::move(snapshot)) {}
  Status rebuild_index();
  // What an input gives without the index, for every input of a call, on engine.toml
  // `intake_threads` threads; any exception is the input's internal_error rejection.
  std::vector<DecodedInput> decode_all(std::span<const IntakeInput> inputs) const;
  // The second half of submit: `decoded[i]` is what inputs[i] gives without the index.
  Result<std::vector<IntakeOutcome>> submit_decoded(std::span<const IntakeInput> inputs,
                                                    std::vector<DecodedInput>& decoded);
  // judge_event, with any exception turned into an internal_error rejection.
  Result<Judged> judge(Result<Event> decoded) const;
  // What one submit holds until it is in the log (intake.cc).
  struct Pending;
  // A retraction's target: from this call's accepted facts, else from the log.
  Result<Event> retraction_target(const Event& retraction, const Pending& p) const;
  // A retraction judged: its target (in `target`), or why it is refused (in `ev`); an error:
  // the log did not give the target back, and the whole call fails.
  Status judge_retraction(Result<Event>& ev, std::optional<Event>& target, const Pending& p) const;
  // Input `i` accepted: kept in `p` (with its retraction's target) and remembered by the index;
  // its record `built` already, or built here.
  void accept(size_t i, const Event& ev, const std::string& hash, const SeenFacts::Key& key,
              std::optional<Event> target, std::optional<Record> built, Pending& p);
  // `p` appended: accepted facts, then dead letters; their positions in `outcomes`.
  Status commit(Pending& p, std::vector<IntakeOutcome>& outcomes);
  std::string accepted_at();
  // True when the snapshot was there and matched the log (then the index holds it).
  Result<bool> load_snapshot();
  // The fact at a position (source '\0' id '\0' content hash), or "" when there is none there.
  Result<std::string> identity_at(int32_t partition, int64_t offset) const;

  Log& log_;
  const Config& config_;
  IntakeIndex index_;
  std::map<int32_t, int64_t>
      seen_;  // per partition of jiayuan.events: the next offset to learn from
  std::string snapshot_;
  const Clock* clock_ = &system_clock();
  int64_t last_stamp_ms_ = 0;
};

}  // namespace jiayuan
