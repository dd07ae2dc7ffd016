#include "engine/stages.h"

#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_batch.h>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "engine/district_stage.h"
#include "engine/intake.h"
#include "events/binary_codec.h"
#include "events/json_codec.h"
#include "events/view_stream.h"
#include "workflows/community.h"

namespace jiayuan {
namespace {

constexpr std::string_view kOutboxNext = "outbox/next";

std::string offset_name(std::string_view consumer, std::string_view topic, int32_t partition) {
  return std::string(consumer) + "/" + std::string(topic) + "/" + std::to_string(partition);
}

std::string encode_state(const CommunityState& s) {
  std::ostringstream os(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    CommunityState copy = s;
    ar(copy);
  }
  return std::move(os).str();
}

Result<CommunityState> decode_state(std::string_view bytes) {
  ViewStream is(bytes);
  CommunityState s;
  try {
    cereal::PortableBinaryInputArchive ar(is);
    ar(s);
  } catch (const cereal::Exception& e) {
    return fail("bad_binary", std::string("corrupt community state: ") + e.what());
  }
  return s;
}

Record decision_record(const Decision& d) {
  return Record{d.community.value, encode_decision_binary(d),
                {{"jiayuan.decision.id", d.id}, {"jiayuan.decision.kind", std::string(kind_of(d.body))}}};
}

}  // namespace

std::string encode_outbox_item(std::string_view topic, const Record& record) {
  std::string v(topic);
  v.push_back('\0');
  v.append(encode_record(record));
  return v;
}

void StageCounters::add(const StageCounters& d) {
  facts += d.facts;
  decisions += d.decisions;
  rejected += d.rejected;
  for (const auto& [k, n] : d.decisions_by_kind) decisions_by_kind[k] += n;
  for (const auto& [k, n] : d.rejected_by_code) rejected_by_code[k] += n;
}

Result<size_t> CommunityStage::step(size_t max_facts) {
  size_t total = 0;
  const int32_t parts = log_.partition_count(topics::kEvents);
  for (int32_t p = 0; p < parts; ++p) {
    JY_TRY(size_t n, step_partition(p, max_facts));
    total += n;
  }
  return total;
}

// One atomic step over a partition: the states, timers and outbox it touches, written once.
class CommunityStage::Batch {
 public:
  Batch(Store& store, const Config& config, int32_t partition, int64_t seq, int32_t tick_time,
        std::string chain_head)
      : store_(store), config_(config), partition_(partition), seq_(seq), tick_time_(tick_time),
        chain_head_(std::move(chain_head)) {}

  Status load_timers() {
    return store_.scan(cf::kTimers, timer_prefix(), [&](std::string_view k, std::string_view) {
      const std::string_view rest = k.substr(4);
      timers_.insert({static_cast<int32_t>(decode_be64(rest.substr(0, 8))), std::string(rest.substr(8))});
      return true;
    });
  }

  // One fact; a bug that throws while folding it dead-letters that fact with internal_error and
  // the engine goes on (no exception reaches the engine loop).
  Status fold(const LogEntry& e) {
    try {
      return fold_one(e);
    } catch (const std::exception& ex) {
      const Error why{"internal_error", std::string("stage 1 could not fold this fact (a bug; please report it): ") + ex.what()};
      dead_letter(dead_letter_record(e.record.key, e.record.value, "stage1", why,
                                     std::string(topics::kEvents) + "/" + std::to_string(partition_) + "/" +
                                         std::to_string(e.position.offset)));
      return {};
    }
  }

  Status fold_one(const LogEntry& e) {
    cause_offset_ = e.position.offset;
    auto origin = [&] {
      return std::string(topics::kEvents) + "/" + std::to_string(partition_) + "/" + std::to_string(e.position.offset);
    };
    Result<Event> ev = decode_event_binary(e.record.value);
    if (!ev) {
      dead_letter(dead_letter_record(e.record.key, e.record.value, "stage1", ev.error(), origin()));
      return {};
    }
    ++delta_.facts;
    const Date on = ev->envelope.occurred;
    if (std::holds_alternative<Tick>(ev->fact)) return fire_until(on);
    const CommunityId* community = community_of(ev->fact);
    if (community == nullptr) return {};  // company facts: nothing of a community
    JY_TRY(CommunityState * state, load(community->value));
    const auto scheduled = state->next_deadline();
    // The community's own evaluation and process facts move its time: deadlines before them fire.
    const FactKind kind = type_info(ev->fact).kind;
    if ((kind == FactKind::kEvaluation || kind == FactKind::kProcess) && scheduled && *scheduled <= on) {
      emit(advance(*state, *community, on, config_.rules));
    }
    // apply() leaves the state as it was when it rejects; a process fact (the case lifecycle) is
    // the one kind that goes far enough to be worth a copy to fall back on. Evaluation facts, the
    // bulk, are judged before anything changes (workflows/community.cc), so they are not copied.
    std::optional<CommunityState> before;
    if (kind == FactKind::kProcess) before = *state;
    Step step = apply(*state, *ev, config_.rules);
    if (step.rejection) {
      if (before) *state = std::move(*before);
      dead_letter(dead_letter_record(community->value, encode_event_json(*ev), "stage1", *step.rejection, origin()));
    } else {
      emit(step);
      // A deadline the partition's ticks have already passed fires at once.
      const auto next = state->next_deadline();
      if (next && next->days() <= tick_time_) emit(advance(*state, *community, Date::from_days(tick_time_), config_.rules));
    }
    reschedule(community->value, scheduled, state->next_deadline());
    return {};
  }

  Status commit(const std::string& offset_key, int64_t next_offset) {
    rocksdb::WriteBatch& b = batch_;
    for (const auto& [id, s] : states_) b.Put(store_.cf(cf::kStage1), id, encode_state(s));
    for (const auto& t : removed_) b.Delete(store_.cf(cf::kTimers), timer_key(t));
    for (const auto& t : added_) b.Put(store_.cf(cf::kTimers), timer_key(t), "");
    store_.put_offset(b, kOutboxNext, seq_);
    store_.put_offset(b, tick_time_key(partition_), tick_time_ + kDayBias);
    b.Put(store_.cf(cf::kChain), std::to_string(partition_), chain_head_);
    store_.put_offset(b, offset_key, next_offset);
    return store_.write(b);
  }

  const StageCounters& delta() const { return delta_; }
  static std::string tick_time_key(int32_t p) { return "stage1/logtime/" + std::to_string(p); }
  // Log time is stored biased so dates before 1970 stay positive.
  static constexpr int64_t kDayBias = int64_t{1} << 31;

 private:
  using Timer = std::pair<int32_t, std::string>;  // (date days, community)

  std::string timer_prefix() const { return encode_be64(static_cast<uint64_t>(partition_)).substr(4); }
  std::string timer_key(const Timer& t) const {
    return timer_prefix() + encode_be64(static_cast<uint64_t>(t.first)) + t.second;
  }

  Result<CommunityState*> load(const std::string& id) {
    auto it = states_.find(id);
    if (it == states_.end()) {
      JY_TRY(std::optional<std::string> bytes, store_.get(cf::kStage1, id));
      CommunityState s;
      if (bytes) {
        JY_TRY(s, decode_state(*bytes));
      }
      it = states_.emplace(id, std::move(s)).first;
    }
    return &it->second;
  }

  // A tick: every deadline of the partition up to `to` fires, in date order.
  Status fire_until(Date to) {
    while (!timers_.empty() && timers_.begin()->first <= to.days()) {
      const Timer t = *timers_.begin();
      JY_TRY(CommunityState * state, load(t.second));
      const auto before = state->next_deadline();
      emit(advance(*state, CommunityId(t.second), to, config_.rules));
      reschedule(t.second, before, state->next_deadline());
      if (timers_.contains(t)) reschedule(t.second, Date::from_days(t.first), std::nullopt);
    }
    tick_time_ = std::max(tick_time_, to.days());
    return {};
  }

  void reschedule(const std::string& community, std::optional<Date> before, std::optional<Date> after) {
    if (before == after) return;
    if (before) {
      const Timer t{before->days(), community};
      timers_.erase(t);
      if (!added_.erase(t)) removed_.insert(t);
    }
    if (after) {
      const Timer t{after->days(), community};
      timers_.insert(t);
      if (!removed_.erase(t)) added_.insert(t);
    }
  }

  void emit(const Step& step) {
    for (Decision d : step.decisions) {
      d.cause_partition = partition_;
      d.cause_offset = cause_offset_;
      d.prev_hash = chain_head_;
      d.hash = decision_hash(d);
      chain_head_ = d.hash;
      outbox(topics::kDecisions, decision_record(d));
      ++delta_.decisions;
      ++delta_.decisions_by_kind[kind_of(d.body)];
    }
  }
  void dead_letter(const Record& r) {
    outbox(topics::kDeadLetter, r);
    ++delta_.rejected;
    ++delta_.rejected_by_code[std::string(r.header(headers::kErrorCode))];
  }
  void outbox(std::string_view topic, const Record& r) {
    batch_.Put(store_.cf(cf::kOutbox), encode_be64(static_cast<uint64_t>(seq_++)), encode_outbox_item(topic, r));
  }

  Store& store_;
  const Config& config_;
  int32_t partition_;
  int64_t seq_;
  int32_t tick_time_;
  std::string chain_head_;   // hash of the partition's last decision
  int64_t cause_offset_ = -1;  // offset of the fact being folded
  rocksdb::WriteBatch batch_;
  std::map<std::string, CommunityState> states_;
  std::set<Timer> timers_, added_, removed_;
  StageCounters delta_;
};

Result<size_t> CommunityStage::step_partition(int32_t partition, size_t max_facts) {
  const std::string offset_key = offset_name("stage1", topics::kEvents, partition);
  JY_TRY(int64_t from, store_.offset(offset_key));
  JY_TRY(std::vector<LogEntry> entries, log_.read(topics::kEvents, partition, from, max_facts));
  if (entries.empty()) return size_t{0};
  JY_TRY(int64_t seq, store_.offset(kOutboxNext));
  JY_TRY(int64_t biased_time, store_.offset(Batch::tick_time_key(partition)));
  const int32_t tick_time = biased_time == 0 ? INT32_MIN : static_cast<int32_t>(biased_time - Batch::kDayBias);
  JY_TRY(std::optional<std::string> head, store_.get(cf::kChain, std::to_string(partition)));
  Batch batch(store_, config_, partition, seq, tick_time, head.value_or(""));
  JY_CHECK(batch.load_timers());
  for (const LogEntry& e : entries) JY_CHECK(batch.fold(e));
  JY_CHECK(batch.commit(offset_key, entries.back().position.offset + 1));
  counters_.add(batch.delta());
  return entries.size();
}

Result<size_t> Relay::step(size_t max_records) {
  struct Item {
    std::string key;
    std::string topic;
    Record record;
  };
  std::vector<Item> items;
  Status parse_error;
  JY_CHECK(store_.scan(cf::kOutbox, "", [&](std::string_view k, std::string_view v) {
    const size_t nul = v.find('\0');
    auto r = decode_record(v.substr(nul + 1));
    if (nul == std::string_view::npos || !r) {
      parse_error = fail("bad_binary", "corrupt outbox item at " + std::to_string(decode_be64(k)));
      return false;
    }
    items.push_back({std::string(k), std::string(v.substr(0, nul)), std::move(*r)});
    return items.size() < max_records;
  }));
  JY_CHECK(parse_error);
  // Runs of one topic go out as one append, in outbox order.
  for (size_t i = 0; i < items.size();) {
    size_t j = i;
    std::vector<Record> run;
    while (j < items.size() && items[j].topic == items[i].topic) run.push_back(items[j++].record);
    JY_TRY(std::vector<Position> ignored, log_.append(items[i].topic, run));
    i = j;
  }
  rocksdb::WriteBatch batch;
  for (const Item& it : items) batch.Delete(store_.cf(cf::kOutbox), it.key);
  if (!items.empty()) JY_CHECK(store_.write(batch));
  return items.size();
}

Result<size_t> ProjectionStage::step(size_t max_records) {
  size_t total = 0;
  bool behind = false;
  for (std::string_view topic : {topics::kEvents, topics::kDecisions}) {
    const int32_t parts = log_.partition_count(topic);
    for (int32_t p = 0; p < parts; ++p) {
      JY_TRY(size_t n, step_topic(topic, p, max_records));
      total += n;
      behind = behind || n == max_records;
    }
  }
  // Stages 2 and 3 recompute a whole year from the projections: once the reads have reached the
  // end of every partition, not after every batch of a long replay (they leave nothing behind
  // but their last result, so when they run changes no outcome).
  if (!behind) JY_CHECK(materialize_dirty(store_, config_));
  return total;
}

Result<size_t> ProjectionStage::step_topic(std::string_view topic, int32_t partition, size_t max_records) {
  const std::string offset_key = offset_name("projector", topic, partition);
  JY_TRY(int64_t from, store_.offset(offset_key));
  // Events the projector does not read (e.g. hotline complaints) come back as undecoded stubs.
  JY_TRY(std::vector<LogEntry> entries, topic == topics::kEvents
                                            ? log_.read(topic, partition, from, max_records, &Projector::reads)
                                            : log_.read(topic, partition, from, max_records));
  if (entries.empty()) return size_t{0};
  rocksdb::WriteBatchWithIndex batch;
  for (const LogEntry& e : entries) {
    if (topic == topics::kEvents) {
      const std::string_view type = e.record.header("ce_type");
      if (!type.empty() && !Projector::reads(type)) continue;  // e.g. a hotline complaint
      auto ev = decode_event_binary(e.record.value);
      if (ev) JY_CHECK(projector_.apply_event(batch, *ev));  // undecodable: stage 1 dead-letters it
    } else {
      JY_TRY(Decision d, decode_decision_binary(e.record.value));
      JY_TRY(bool fresh, projector_.apply_decision(batch, d));
      (void)fresh;
    }
  }
  rocksdb::WriteBatch* wb = batch.GetWriteBatch();
  store_.put_offset(*wb, offset_key, entries.back().position.offset + 1);
  JY_CHECK(store_.write(batch));
  return entries.size();
}

}  // namespace jiayuan
