#include "engine/intake.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <span>
#include <system_error>
#include <thread>
#include <tuple>

#include "engine/waiting.h"
#include "events/binary_codec.h"
#include "events/json_codec.h"
#include "events/sha256.h"
#include "projections/projector.h"
#include "projections/records.h"

namespace jiayuan {
namespace {

// Appended, not `"\"" + s`: GCC 12 at -O3 warns falsely on that form (PR 105651).
std::string in_quotes(std::string_view s) {
  std::string out;
  return out.append("\"").append(s).append("\"");
}

Status check_source(Event& ev, const IntakeInput& in, const District& district) {
  if (in.proven_source) {
    if (ev.envelope.source != in.proven_source->value) {
      return fail(field_error(
          "source_mismatch", "source",
          in_quotes(in.proven_source->value) + " (the department this channel authenticates)",
          in_quotes(ev.envelope.source)));
    }
  }
  if (!district.has_department(DepartmentId(ev.envelope.source))) {
    return fail(field_error("unknown_source", "source", "a department of config/district.toml",
                            in_quotes(ev.envelope.source)));
  }
  return {};
}

Status check_dates(const Event& ev, const Config& config) {
  const Date d = ev.envelope.occurred;
  const FactKind kind = type_info(ev.fact).kind;
  if (kind == FactKind::kEvaluation) {
    if (config.rules.in_force(d) == nullptr || !config.rules.year_of(d)) {
      return fail(
          field_error("no_rule_set", "occurred", "a date with a rule set in force", d.to_string()));
    }
  }
  if (const auto year = named_year(ev.fact)) {
    const RuleSet* rs = config.rules.for_year(*year);
    if (rs == nullptr) {
      return fail(field_error("no_rule_set", "data.year", "an evaluation year a rule set defines",
                              std::to_string(*year)));
    }
    const YearWindow* w = rs->window(*year);
    // Process facts may come up to N months after the year's end.
    const int months = rs->lifecycle.process_fact_months;
    const int total = static_cast<int>(w->to.month()) - 1 + months;
    const int y = w->to.year() + total / 12;
    const unsigned m = static_cast<unsigned>(total % 12) + 1;
    const unsigned last =
        Date::from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1).plus_days(-1).day();
    const Date latest = Date::from_civil(y, m, std::min(w->to.day(), last));
    if (d < w->from || latest < d) {
      return fail(field_error("bad_date", "occurred",
                              "a date from " + w->from.to_string() + " to " + latest.to_string() +
                                  " for year " + std::to_string(*year),
                              d.to_string()));
    }
  }
  if (const auto* i = std::get_if<InterviewHeld>(&ev.fact); i && i->deadline && *i->deadline < d) {
    return fail(field_error("bad_date", "data.deadline",
                            "a date on or after the interview (" + d.to_string() + ")",
                            i->deadline->to_string()));
  }
  return {};
}

// The company a fact names, when it names one that must be known.
const CompanyId* named_company(const Fact& fact) {
  if (const auto* f = std::get_if<MediaReport>(&fact))
    return f->company.empty() ? nullptr : &f->company;
  if (const auto* f = std::get_if<SocialResponsibility>(&fact)) return &f->company;
  if (const auto* f = std::get_if<CreditPoints>(&fact)) return &f->company;
  return nullptr;
}

// How to take back what remember() did in one submit whose append failed.
struct IndexUndo {
  std::vector<std::pair<std::string, std::optional<std::string>>>
      streets;                         // community, street before
  std::vector<std::string> companies;  // added
  std::vector<std::pair<std::string, std::optional<std::string>>> retracted;
  void apply(IntakeIndex& index) {
    for (auto it = retracted.rbegin(); it != retracted.rend(); ++it) {
      if (it->second) {
        index.retracted[it->first] = *it->second;
      } else {
        index.retracted.erase(it->first);
      }
    }
    for (auto it = streets.rbegin(); it != streets.rend(); ++it) {
      if (it->second) {
        index.street_by_community[it->first] = *it->second;
      } else {
        index.street_by_community.erase(it->first);
      }
    }
    for (const std::string& c : companies) index.companies.erase(c);
  }
};

// What the index keeps of an accepted fact: a community's street, a company's existence.
void remember(IntakeIndex& index, const Fact& fact, IndexUndo* undo = nullptr) {
  auto street = [&](const CommunityId& c, const StreetId& s) {
    if (undo != nullptr) {
      auto it = index.street_by_community.find(c.value);
      undo->streets.emplace_back(c.value, it == index.street_by_community.end()
                                              ? std::nullopt
                                              : std::optional(it->second));
    }
    index.street_by_community[c.value] = s.value;
  };
  if (const auto* f = std::get_if<CommunityRegistered>(&fact)) street(f->community, f->street);
  if (const auto* f = std::get_if<CommunityChanged>(&fact); f && f->changes(kChangedStreet))
    street(f->community, f->street);
  auto company = [&](const CompanyId& c) {
    if (index.companies.emplace(c.value, 1).second && undo != nullptr)
      undo->companies.push_back(c.value);
  };
  if (const auto* f = std::get_if<ContractAssigned>(&fact)) company(f->company);
  if (const auto* f = std::get_if<CompanyRegistered>(&fact)) company(f->company);
}

std::string identity(std::string_view source, std::string_view id) {
  std::string k(source);
  k.push_back('\0');
  return k.append(id);
}

// "<occurred> <id>": orders two retractions of one fact (same source) by (occurred, source, id).
std::string retraction_key(const Event& ev) {
  return ev.envelope.occurred.to_string() + " " + ev.envelope.id;
}

}  // namespace

std::string content_hash(const Event& ev) {
  thread_local Sha256 h;  // one OpenSSL context per thread, started over by each digest
  h.update_field(type_name(ev.fact));
  h.update_field(ev.envelope.occurred.to_string());
  h.update_field(encode_fact_data_json(ev.fact));
  return h.hex_digest();
}

Result<Judged> validate_input(const IntakeInput& in, const Config& config,
                              const IntakeIndex& index) {
  JY_TRY(Event ev, decode_input(in, config));
  return judge_event(std::move(ev), config, index);
}

Result<Event> decode_input(const IntakeInput& in, const Config& config) {
  JY_TRY(Event ev, decode_event_json(in.bytes));
  JY_CHECK(check_source(ev, in, config.district));
  return ev;
}

Result<Judged> judge_event(Event ev, const Config& config, const IntakeIndex& index) {
  Judged out;
  const StreetId* street = nullptr;
  StreetId known_street;
  const CommunityRegistered* reg = std::get_if<CommunityRegistered>(&ev.fact);
  if (reg == nullptr) {  // a change that moves the community is judged by its new street
    if (const auto* changed = std::get_if<CommunityChanged>(&ev.fact);
        changed && changed->changes(kChangedStreet))
      reg = changed;
  }
  if (reg != nullptr) {
    if (!config.district.has_street(reg->street)) {
      return fail(field_error("unknown_street", "data.street",
                              "a street or town of config/district.toml",
                              in_quotes(reg->street.value)));
    }
    known_street = reg->street;
    street = &known_street;
  } else if (const CommunityId* community = community_of(ev.fact)) {
    auto it = index.street_by_community.find(community->value);
    if (it == index.street_by_community.end()) {
      // Not rejected: it waits for the registration, which another department may still send.
      out.waiting_for = "community " + community->value;
    } else {
      known_street = StreetId(it->second);
      street = &known_street;
    }
  }
  if (const CompanyId* company = named_company(ev.fact);
      company && !index.companies.contains(company->value)) {
    if (out.waiting_for.empty()) out.waiting_for = "company " + company->value;
  }
  Status allowed =
      config.authority.check(type_name(ev.fact), DepartmentId(ev.envelope.source), street);
  // A street office's fact about a community not registered yet: whether it is the office's own
  // street is judged when the registration comes (stage 1 places the waiting fact).
  const bool street_unknown =
      street == nullptr && !out.waiting_for.empty() && ev.envelope.source.starts_with("street.");
  if (!allowed && !street_unknown) return fail(allowed.error());
  if (const auto* f = std::get_if<DepartmentFinding>(&ev.fact)) {
    JY_CHECK(config.authority.check_finding(kFindingKindNames[static_cast<size_t>(f->kind)],
                                            DepartmentId(ev.envelope.source)));
  }
  JY_CHECK(check_dates(ev, config));
  out.event = std::move(ev);
  return out;
}

std::string rfc3339_ms(int64_t ms) {
  const int64_t seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  const int64_t rest = ms - seconds * 1000;
  const int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  const int64_t in_day = seconds - days * 86400;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%sT%02lld:%02lld:%02lld.%03lldZ",
                Date::from_days(static_cast<int32_t>(days)).to_string().c_str(),
                static_cast<long long>(in_day / 3600), static_cast<long long>(in_day / 60 % 60),
                static_cast<long long>(in_day % 60), static_cast<long long>(rest));
  return buf;
}

Record event_record(const Event& ev, std::string_view accepted_at, std::string hash) {
  const Envelope& e = ev.envelope;
  Record r;
  r.key = e.subject;
  r.value = encode_event_binary(ev);
  if (hash.empty()) hash = content_hash(ev);
  // Each header built once in place (an initializer list would build each string twice: its
  // elements can only be copied out of it).
  r.headers.reserve(12);  // the nine below, ce_time, accepted-at and a retraction's target
  auto add = [&](std::string_view key, std::string value) {
    r.headers.push_back({std::string(key), std::move(value)});
  };
  add("ce_specversion", e.specversion);
  add("ce_id", e.id);
  add("ce_source", e.source);
  add("ce_type", std::string(type_name(ev.fact)));
  add("ce_subject", e.subject);
  add("ce_occurred", e.occurred.to_string());
  add("ce_schemaversion", std::to_string(e.schema_version));
  add("content-type", "application/vnd.jiayuan.event+cereal");
  add(headers::kContentHash, std::move(hash));
  if (!e.time.empty()) add("ce_time", e.time);
  if (!accepted_at.empty()) add(headers::kAcceptedAt, std::string(accepted_at));
  return r;
}

Record dead_letter_record(std::string key, std::string bytes, std::string_view stage,
                          const Error& reason, std::string origin, std::string_view department) {
  Record r;
  r.key = std::move(key);
  r.value = std::move(bytes);
  r.headers = {{std::string(headers::kErrorStage), std::string(stage)},
               {std::string(headers::kErrorCode), reason.code},
               {std::string(headers::kErrorReason), reason.message},
               {std::string(headers::kErrorOrigin), std::move(origin)}};
  if (!department.empty())
    r.headers.push_back({std::string(headers::kErrorDepartment), std::string(department)});
  return r;
}

namespace {
std::string bug_reason(std::string_view what) {
  return std::string("intake could not judge this fact (a bug; please report it)") +
         (what.empty() ? "" : ": ") + std::string(what);
}
}  // namespace

std::vector<DecodedInput> Intake::decode_all(std::span<const IntakeInput> inputs) const {
  std::vector<DecodedInput> out(inputs.size());
  // A bug that throws while decoding one input costs that input (dead-lettered with the
  // reason), never the engine: no exception leaves a thread.
  auto decode = [&](size_t i) {
    DecodedInput& d = out[i];
    try {
      d.event = decode_input(inputs[i], config_);
      if (d.event) {
        d.hash = content_hash(*d.event);
        if (!std::holds_alternative<FactRetracted>(d.event->fact))
          d.record = event_record(*d.event, "", d.hash);
      }
    } catch (const std::exception& e) {
      d.event = fail("internal_error", bug_reason(e.what()));
    } catch (...) {
      d.event = fail("internal_error", bug_reason(""));
    }
  };
  constexpr size_t kShare = 64;  // inputs a thread takes at a time
  const size_t threads =
      std::min(static_cast<size_t>(std::max<int64_t>(config_.engine.intake_threads, 1)),
               inputs.size() / (4 * kShare) + 1);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t from = next.fetch_add(kShare); from < out.size(); from = next.fetch_add(kShare)) {
      for (size_t i = from; i < std::min(from + kShare, out.size()); ++i) decode(i);
    }
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) {
    try {  // without a thread to be had, fewer decode: the same verdicts
      helpers.emplace_back(work);
    } catch (const std::system_error& e) {
      spdlog::warn("intake: decoding on {} of {} threads: {}", t, threads, e.what());
      break;
    }
  }
  work();
  for (std::thread& h : helpers) h.join();
  return out;
}

Result<Judged> Intake::judge(Result<Event> decoded) const {
  if (!decoded) return fail(decoded.error());
  // A bug that throws while judging one fact costs that fact (dead-lettered with the reason),
  // never the engine: no exception leaves intake.
  try {
    return judge_event(std::move(*decoded), config_, index_);
  } catch (const std::exception& e) {
    return fail("internal_error", bug_reason(e.what()));
  } catch (...) {
    return fail("internal_error", bug_reason(""));
  }
}

Result<std::unique_ptr<Intake>> Intake::open(Log& log, const Config& config, std::string snapshot) {
  std::unique_ptr<Intake> intake(new Intake(log, config, std::move(snapshot)));
  if (intake->snapshot_.empty()) {
    JY_CHECK(intake->rebuild_index());
    return intake;
  }
  JY_TRY(bool loaded, intake->load_snapshot());
  if (loaded) {
    JY_CHECK(intake->catch_up());
  } else {
    JY_CHECK(intake->rebuild_index());
  }
  JY_CHECK(intake->save_snapshot());
  return intake;
}

Status Intake::rebuild_index() {
  index_ = {};
  seen_.clear();
  return catch_up();
}

Status Intake::catch_up() {
  const int32_t parts = log_.partition_count(topics::kEvents);
  for (int32_t p = 0; p < parts; ++p) {
    int64_t& next = seen_[p];
    for (;;) {
      JY_TRY(std::vector<LogEntry> batch, log_.read(topics::kEvents, p, next, 4096));
      if (batch.empty()) break;
      for (const LogEntry& e : batch) {
        next = e.position.offset + 1;
        const Record& r = e.record;
        index_.seen.insert(r.header("ce_source"), r.header("ce_id"),
                           r.header(headers::kContentHash), e.position);
        const std::string_view type = r.header("ce_type");
        if (type == "jiayuan.community.registered" || type == "jiayuan.community.changed" ||
            type == "jiayuan.contract.assigned") {
          JY_TRY(Event ev, decode_event_binary(r.value));
          remember(index_, ev.fact);
        } else if (type == "jiayuan.fact.retracted") {
          JY_TRY(Event ev, decode_event_binary(r.value));
          const std::string key = identity(ev.envelope.source, std::get<FactRetracted>(ev.fact).id);
          auto standing = index_.retracted.find(key);
          if (standing == index_.retracted.end() || retraction_key(ev) < standing->second) {
            index_.retracted[key] = retraction_key(ev);
          }
        }
      }
    }
  }
  return {};
}

Result<size_t> append_ticks(Log& log, Date date, int64_t accepted_at_ms) {
  std::vector<Record> ticks;
  const std::string stamp =
      rfc3339_ms(accepted_at_ms);  // transaction time: when log time was moved
  for (int32_t p = 0; p < log.partition_count(topics::kEvents); ++p) {
    Event ev{Envelope{}, Tick{}};
    ev.envelope.id = "tick-" + date.to_string() + "-" + std::to_string(p);
    ev.envelope.source = "jiayuan";
    ev.envelope.type = "jiayuan.tick";
    ev.envelope.occurred = date;
    Record r = event_record(ev, stamp);
    r.partition = p;
    ticks.push_back(std::move(r));
  }
  if (auto appended = log.append(topics::kEvents, ticks); !appended) return fail(appended.error());
  return ticks.size();
}

std::optional<int64_t> parse_instant_ms(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)
  if (t.size() < 20 || t[10] != 'T' || t[13] != ':' || t[16] != ':') return std::nullopt;
  const auto day = Date::parse(t.substr(0, 10));
  if (!day) return std::nullopt;
  auto num = [&](size_t at, size_t n) -> std::optional<int64_t> {
    int64_t v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (i >= t.size() || t[i] < '0' || t[i] > '9') return std::nullopt;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  const auto hh = num(11, 2), mm = num(14, 2), ss = num(17, 2);
  if (!hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 60) return std::nullopt;
  size_t at = 19;
  int64_t ms = 0;
  if (at < t.size() && t[at] == '.') {
    size_t digits = 0;
    for (++at; at < t.size() && t[at] >= '0' && t[at] <= '9'; ++at, ++digits) {
      if (digits < 3) ms = ms * 10 + (t[at] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) ms *= 10;
  }
  int64_t offset_min = 0;
  if (at < t.size() && (t[at] == 'Z' || t[at] == 'z') && at + 1 == t.size()) {
  } else if (at + 6 == t.size() && (t[at] == '+' || t[at] == '-') && t[at + 3] == ':') {
    const auto oh = num(at + 1, 2), om = num(at + 4, 2);
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    offset_min = (t[at] == '+' ? 1 : -1) * (*oh * 60 + *om);
  } else {
    return std::nullopt;
  }
  const int64_t seconds =
      int64_t{day->days()} * 86400 + *hh * 3600 + *mm * 60 + *ss - offset_min * 60;
  return seconds * 1000 + ms;
}

std::string Intake::accepted_at() {
  last_stamp_ms_ =
      std::max(last_stamp_ms_, clock_->now_ms());  // transaction time never goes backwards
  return rfc3339_ms(last_stamp_ms_);
}

// What one submit accepts and rejects, kept here until it is in the log: what it accepts is
// remembered by the index only then (and registrations undone if the append fails), so a failed
// append (a full disk) leaves intake as it was, with nothing to learn again from the log.
struct Intake::Pending {
  std::string stamp;  // accepted-at of every fact of the call
  std::vector<Record> accepted, rejected;
  std::vector<size_t> accepted_at_index, rejected_at;  // the inputs they came from
  std::vector<size_t> first_record;  // accepted_at_index[k]'s first record in `accepted`
  struct Accepted {
    std::string hash;  // its content hash
    size_t record;     // its (first) record in `accepted`: what a retraction in the call may name
  };
  // The facts accepted in the call, by identity (as the fact table knows them).
  std::unordered_map<SeenFacts::Identity, Accepted, SeenFacts::IdentityHash> batch;
  std::vector<SeenFacts::Key> to_insert;  // what the index learns once they are in the log
  IndexUndo undo;
};

Result<Event> Intake::retraction_target(const Event& retraction, const Pending& p) const {
  const auto& r = std::get<FactRetracted>(retraction.fact);
  const std::string& source = retraction.envelope.source;
  if (auto it = p.batch.find(SeenFacts::identity(source, r.id));
      it != p.batch.end())  // its record holds it as stored
    return decode_event_binary(p.accepted[it->second.record].value);
  const auto at = index_.seen.position(source, r.id);
  if (!at) {
    return fail(field_error("unknown_fact", "data.id", "the id of a fact " + source + " published",
                            in_quotes(r.id)));
  }
  JY_TRY(std::vector<LogEntry> got, log_.read(topics::kEvents, at->partition, at->offset, 1));
  if (got.empty() || got.front().position.offset != at->offset) {
    return fail("io", "jiayuan.events/" + std::to_string(at->partition) + "/" +
                          std::to_string(at->offset) + ": the fact " + source + "/" + r.id +
                          " is not where intake recorded it");
  }
  return decode_event_binary(got.front().record.value);
}

Status Intake::judge_retraction(Result<Event>& ev, std::optional<Event>& target,
                                const Pending& p) const {
  auto t = retraction_target(*ev, p);
  const std::string& rid = std::get<FactRetracted>(ev->fact).id;
  // The log did not give the target back (a broker away, a damaged log): not the sender's
  // fault, so nothing of this call is accepted; the caller tries again.
  if (!t && t.error().code != "unknown_fact") return fail(t.error());
  if (!t) {
    ev = fail(t.error());
  } else if (type_info(t->fact).kind == FactKind::kRegistry) {
    ev = fail(field_error("not_retractable", "data.id",
                          "a fact that is not a registry fact (correct a registration with "
                          "jiayuan.community.changed, a contract with a new contract)",
                          in_quotes(rid) + " (" + std::string(type_name(t->fact)) + ")"));
  } else if (std::holds_alternative<FactRetracted>(t->fact)) {
    ev = fail(field_error(
        "not_retractable", "data.id",
        "a fact that is not a retraction (publish the fact again under a new id instead)",
        in_quotes(rid)));
  } else if (auto standing = index_.retracted.find(identity(ev->envelope.source, rid));
             standing != index_.retracted.end() && standing->second < retraction_key(*ev)) {
    ev = fail(field_error("already_retracted", "data.id", "a fact not yet retracted",
                          in_quotes(rid) + " (retracted by " + standing->second.substr(11) + ")"));
  } else {
    target = std::move(*t);
    ev->envelope.subject = target->envelope.subject;  // stage 1 meets it where the fact is
  }
  return {};
}

void Intake::accept(size_t i, const Event& ev, const std::string& hash, const SeenFacts::Key& key,
                    std::optional<Event> target, std::optional<Record> built, Pending& p) {
  p.batch.emplace(key.identity(), Pending::Accepted{hash, p.accepted.size()});
  p.to_insert.push_back(key);
  remember(index_, ev.fact, &p.undo);
  // The stamp is the record's last header but a retraction's target (as event_record puts it).
  Record record = built ? std::move(*built) : event_record(ev, "", hash);
  record.headers.push_back({std::string(headers::kAcceptedAt), p.stamp});
  if (target) {
    record.key = target->envelope.subject;
    record.headers.push_back({std::string(headers::kRetracts), encode_event_binary(*target)});
    const std::string key = identity(ev.envelope.source, std::get<FactRetracted>(ev.fact).id);
    auto standing = index_.retracted.find(key);
    p.undo.retracted.emplace_back(
        key, standing == index_.retracted.end() ? std::nullopt : std::optional(standing->second));
    index_.retracted[key] = retraction_key(ev);
  }
  p.first_record.push_back(p.accepted.size());
  const auto* pub = std::get_if<RatingsPublished>(&ev.fact);
  if (pub != nullptr && pub->community.empty()) {
    // District-wide: every partition of stage 1 meets it (its communities are all there).
    for (int32_t part = 0; part < log_.partition_count(topics::kEvents); ++part) {
      Record copy = record;
      copy.partition = part;
      p.accepted.push_back(std::move(copy));
    }
  } else {
    p.accepted.push_back(std::move(record));
  }
  p.accepted_at_index.push_back(i);
}

Status Intake::commit(Pending& p, std::vector<IntakeOutcome>& outcomes) {
  auto positions = log_.append(topics::kEvents, p.accepted);
  if (!positions) {
    p.undo.apply(index_);
    return fail(positions.error());
  }
  for (size_t k = 0; k < p.to_insert.size(); ++k) {
    // A fact of several records (a district-wide publication) is known by its last one, as
    // catch_up learns it from the log.
    const size_t last = (k + 1 < p.first_record.size() ? p.first_record[k + 1] : p.accepted.size());
    index_.seen.insert(p.to_insert[k], (*positions)[last - 1]);
  }
  // What this intake appended it has learnt already: catch_up need not read it back, unless
  // another writer may have appended in between (then the gap is read as before). On Kafka
  // the one offset after its last transaction's records is that transaction's commit marker.
  for (const Position& at : *positions) {
    int64_t& next = seen_[at.partition];
    if (log_.only_markers(topics::kEvents, at.partition, next, at.offset)) next = at.offset + 1;
  }
  for (size_t k = 0; k < p.accepted_at_index.size(); ++k) {
    outcomes[p.accepted_at_index[k]].position = (*positions)[p.first_record[k]];
  }
  JY_TRY(std::vector<Position> dead, log_.append(topics::kDeadLetter, p.rejected));
  for (size_t k = 0; k < p.rejected_at.size(); ++k) outcomes[p.rejected_at[k]].position = dead[k];
  return {};
}

// Each input judged (and a retraction's target found), then dedupe: the same (source, id) with
// the same content is a duplicate, with other content a conflicting resend; what is left is
// accepted. Then everything is appended at once.
Result<std::vector<IntakeOutcome>> Intake::submit(std::span<const IntakeInput> inputs) {
  std::vector<DecodedInput> decoded = decode_all(inputs);
  return submit_decoded(inputs, decoded);
}

PreparedInputs Intake::prepare(std::vector<IntakeInput> inputs) const {
  std::vector<DecodedInput> decoded = decode_all(inputs);
  return {std::move(inputs), std::move(decoded)};
}

Result<std::vector<IntakeOutcome>> Intake::submit(PreparedInputs& prepared) {
  if (prepared.decoded.size() != prepared.inputs.size() || prepared.used)
    prepared.decoded = decode_all(prepared.inputs);  // not from prepare(), or used already
  prepared.used = true;
  return submit_decoded(prepared.inputs, prepared.decoded);
}

namespace {
// Gives a judged event back to its slot when it goes out of scope (see submit_decoded).
struct GiveBack {
  GiveBack(Result<Event>& e, Result<Event>& s) : ev(e), slot(s) {}
  Result<Event>& ev;
  Result<Event>& slot;
  GiveBack(const GiveBack&) = delete;
  GiveBack& operator=(const GiveBack&) = delete;
  ~GiveBack() {
    if (ev) slot = std::move(ev);
  }
};
}  // namespace

// The events and records of `decoded` are given back to it once used, so that their memory is
// freed by the caller, when and where it likes (`jiayuan publish` frees it beside intake).
Result<std::vector<IntakeOutcome>> Intake::submit_decoded(std::span<const IntakeInput> inputs,
                                                          std::vector<DecodedInput>& decoded) {
  std::vector<IntakeOutcome> outcomes(inputs.size());
  Pending pending;
  pending.stamp = accepted_at();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const IntakeInput& in = inputs[i];
    Result<Judged> judged = judge(std::move(decoded[i].event));
    Result<Event> ev = judged ? Result<Event>(std::move(judged->event)) : fail(judged.error());
    const GiveBack give_back{ev, decoded[i].event};
    std::optional<Event> target;
    if (ev && std::holds_alternative<FactRetracted>(ev->fact)) {
      if (Status s = judge_retraction(ev, target, pending); !s) {
        pending.undo.apply(index_);
        return fail(s.error());
      }
    }
    if (ev) {
      const std::string& hash = decoded[i].hash;
      const SeenFacts::Key key = SeenFacts::key(ev->envelope.source, ev->envelope.id, hash);
      SeenFacts::Match seen = index_.seen.find(key);
      if (auto b = pending.batch.find(key.identity()); b != pending.batch.end()) {
        seen = b->second.hash == hash ? SeenFacts::kSame : SeenFacts::kDifferent;
      }
      if (seen == SeenFacts::kSame) {
        outcomes[i].verdict = Verdict::kDuplicate;
        continue;
      }
      if (seen == SeenFacts::kNew) {
        outcomes[i].verdict = Verdict::kAccepted;
        outcomes[i].waiting_for = judged->waiting_for;
        accept(i, *ev, hash, key, std::move(target), std::move(decoded[i].record), pending);
        continue;
      }
      ev = fail(field_error("conflicting_resend", "id",
                            "a new id, or the same content as the fact already accepted under (" +
                                ev->envelope.source + ", " + ev->envelope.id + ")",
                            "different content"));
    }
    outcomes[i].verdict = Verdict::kRejected;
    outcomes[i].reason = ev.error();
    pending.rejected.push_back(
        dead_letter_record("", in.bytes, "intake", ev.error(), in.origin,
                           in.proven_source ? std::string_view(in.proven_source->value) : ""));
    pending.rejected_at.push_back(i);
  }
  JY_CHECK(commit(pending, outcomes));
  for (size_t k = 0; k < pending.accepted_at_index.size(); ++k) {
    decoded[pending.accepted_at_index[k]].record =
        std::move(pending.accepted[pending.first_record[k]]);
  }
  return outcomes;
}

}  // namespace jiayuan

namespace jiayuan {

Status Intake::dead_letter(const IntakeInput& input, std::string_view stage, const Error& reason) {
  const std::vector<Record> records = {
      dead_letter_record("", input.bytes, stage, reason, input.origin,
                         input.proven_source ? std::string_view(input.proven_source->value) : "")};
  JY_TRY(std::vector<Position> ignored, log_.append(topics::kDeadLetter, records));
  return {};
}

}  // namespace jiayuan
