#include "engine/stages.h"

#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "engine/district_stage.h"
#include "engine/intake.h"
#include "engine/waiting.h"
#include "events/binary_codec.h"
#include "events/json_codec.h"
#include "events/view_stream.h"
#include "workflows/community.h"

namespace jiayuan {
namespace {

constexpr std::string_view kOutboxNext = "outbox/next";
constexpr std::string_view kRelayNext = "relay/next";  // the first outbox item not yet published

// Stage 1's own state in RocksDB, as cereal's portable binary (output takes the object as it is:
// cereal casts away const for saving, so no copy).
template <class T>
std::string encode_cereal(const T& value) {
  std::ostringstream os(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(value);
  }
  return std::move(os).str();
}

template <class T>
Result<T> decode_cereal(std::string_view bytes, std::string_view what) {
  thread_local ViewStream is;  // one per T: no T's load decodes another T
  is.view(bytes);
  T value;
  try {
    cereal::PortableBinaryInputArchive ar(is);
    ar(value);
  } catch (const std::exception& e) {  // cereal's, or a type's own (StoredDays)
    return fail("bad_binary", "corrupt " + std::string(what) + ": " + e.what());
  }
  return value;
}

Record decision_record(const Decision& d) {
  return Record{
      d.community.value,
      encode_decision_binary(d),
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

// One atomic step over a partition: the states, partition time, waiting facts and outbox it
// touches, written once.
class CommunityStage::Batch {
 public:
  Batch(Store& store, const Config& config, std::unordered_map<std::string, Kept>& kept,
        int32_t partition, std::string chain_head, PartitionTime time)
      : store_(store),
        config_(config),
        kept_(kept),
        partition_(partition),
        chain_head_(std::move(chain_head)),
        time_(std::move(time)) {}

  // One fact; a bug that throws while folding it dead-letters that fact with internal_error and
  // the engine goes on (no exception reaches the engine loop).
  Status fold(const LogEntry& e) {
    try {
      return fold_one(e);
    } catch (const std::exception& ex) {
      const Error why{
          "internal_error",
          std::string("stage 1 could not fold this fact (a bug; please report it): ") + ex.what()};
      dead_letter(dead_letter_record(e.record.key, e.record.value, "stage1", why,
                                     origin(e.position.offset), e.record.header("ce_source")));
      return {};
    }
  }

  // After the last fold: the step's writes but its outbox (whose numbers continue from the step
  // committed before it, known only in `write`).
  Status prepare(const std::string& offset_key, int64_t next_offset) {
    rocksdb::WriteBatch& b = batch_;
    for (const std::string& key : waiting_left_) b.Delete(store_.cf(cf::kWaitingFacts), key);
    for (const std::string& key : earlier_listing_) b.Delete(store_.cf(cf::kWaiting), key);
    for (auto& [id, s] : states_) {
      // The waiting facts go to their own keys and the state is written without them (see
      // `hydrate`): those that began to wait in this batch, and those read back that are now
      // reported; the others' keys hold them as they are.
      for (WaitingFact& w : s.waiting) {
        std::string key = waiting_key(id, w.source, w.id);
        Listed at;
        if (auto it = listed_.find(key); it != listed_.end()) {
          at = it->second;
        } else if (reported_.contains(key)) {
          JY_TRY(std::optional<std::string> was, store_.get(cf::kWaitingFacts, key));
          JY_TRY(std::optional<WaitingEntry> e, decode_waiting_entry(was.value_or("")));
          if (e) at = {std::move(e->accepted_at), std::move(e->position)};
        } else {
          continue;
        }
        b.Put(store_.cf(cf::kWaitingFacts), key,
              encode_waiting_entry(
                  {w.reported, w.on, at.accepted_at, at.position, std::move(w.stored)}));
      }
      s.waiting.clear();
      b.Put(store_.cf(cf::kStage1), id, encode_cereal(s));
    }
    if (time_changed_)
      b.Put(store_.cf(cf::kPartition), std::to_string(partition_), encode_cereal(time_));
    b.Put(store_.cf(cf::kChain), std::to_string(partition_), chain_head_);
    store_.put_offset(b, offset_key, next_offset);
    return {};
  }

  // The prepared step and its outbox, numbered from `seq`, as one atomic write.
  Status write(int64_t seq) {
    for (const std::string& item : outbox_)
      batch_.Put(store_.cf(cf::kOutbox), encode_be64(static_cast<uint64_t>(seq++)), item);
    store_.put_offset(batch_, kOutboxNext, seq);
    return store_.write(batch_);
  }

  const StageCounters& delta() const { return delta_; }
  // After commit: the states as written (their waiting facts under their own keys).
  std::map<std::string, CommunityState> take_states() { return std::move(states_); }

 private:
  std::string origin(int64_t offset) const {
    return std::string(topics::kEvents) + "/" + std::to_string(partition_) + "/" +
           std::to_string(offset);
  }
  FoldContext context() const { return FoldContext{config_.rules, config_.authority, time_}; }

  Status fold_one(const LogEntry& e) {
    cause_offset_ = e.position.offset;
    Result<Event> ev = decode_event_binary(e.record.value);
    if (!ev) {
      dead_letter(dead_letter_record(e.record.key, e.record.value, "stage1", ev.error(),
                                     origin(e.position.offset), e.record.header("ce_source")));
      return {};
    }
    ++delta_.facts;
    accepted_at_ = std::string(e.record.header(headers::kAcceptedAt));
    const Date on = ev->envelope.occurred;
    if (std::holds_alternative<Tick>(ev->fact)) {
      // Log time moves on the whole partition: every case is computed again.
      auto it = std::lower_bound(time_.ticks.begin(), time_.ticks.end(), on.days());
      if (it != time_.ticks.end() && *it == on.days()) return {};
      time_.ticks.insert(it, on.days());
      time_changed_ = true;
      const std::vector<std::string> communities = time_.with_cases;
      for (const std::string& c : communities) {
        JY_TRY(CommunityState * state, load(c));
        settle(c, *state,
               recompute(*state, CommunityId(c), context(), std::nullopt, ev->envelope.source,
                         ev->envelope.id, on));
      }
      return {};
    }
    if (const auto* p = std::get_if<RatingsPublished>(&ev->fact);
        p != nullptr && p->community.empty()) {
      // A district-wide publication: every community of the year whose review closed by then.
      insert_keyed_publication(
          DistrictPublication{on, ev->envelope.source, ev->envelope.id, p->year});
      const std::vector<std::string> communities = time_.reviewed[p->year];
      for (const std::string& c : communities) {
        JY_TRY(CommunityState * state, load(c));
        settle(c, *state,
               recompute(*state, CommunityId(c), context(), p->year, ev->envelope.source,
                         ev->envelope.id, on));
      }
      return {};
    }
    std::optional<Event> target;
    if (std::holds_alternative<FactRetracted>(ev->fact)) {
      auto t = decode_event_binary(e.record.header(headers::kRetracts));
      if (!t) {
        dead_letter(dead_letter_record(e.record.key, encode_event_json(*ev), "stage1", t.error(),
                                       origin(e.position.offset), ev->envelope.source));
        return {};
      }
      target = std::move(*t);
    }
    const CommunityId* community = community_of(target ? target->fact : ev->fact);
    if (community == nullptr) return {};  // company facts: nothing of a community
    const std::string id = community->value;
    JY_TRY(CommunityState * state, load(id));
    if (target || type_info(ev->fact).kind == FactKind::kRegistry) JY_CHECK(hydrate(id, *state));
    // apply() leaves the state consistent whatever it rejects; nothing to fall back on.
    const Step step = apply(*state, *ev, context(), target ? &*target : nullptr,
                            target ? std::string_view() : std::string_view(e.record.value));
    settle(id, *state, step);
    return {};
  }

  void insert_keyed_publication(DistrictPublication d) {
    auto& v = time_.publications;
    auto key = [](const DistrictPublication& x) { return std::tie(x.on, x.source, x.id); };
    auto it = std::lower_bound(v.begin(), v.end(), d,
                               [&](const auto& a, const auto& b) { return key(a) < key(b); });
    if (it != v.end() && key(*it) == key(d)) return;
    v.insert(it, std::move(d));
    time_changed_ = true;
  }

  // After a community's fold: its decisions and rejections out, the partition's indexes and
  // the waiting facts it keeps brought up to date.
  void settle(const std::string& id, const CommunityState& state, const Step& step) {
    emit(step);
    for (const Rejection& r : step.rejected) {
      dead_letter(dead_letter_record(id, encode_event_json(r.event), "stage1", r.reason,
                                     origin(cause_offset_), r.event.envelope.source));
    }
    auto index = [&](std::vector<std::string>& v, bool in) {
      auto it = std::lower_bound(v.begin(), v.end(), id);
      const bool there = it != v.end() && *it == id;
      if (in && !there) v.insert(it, id);
      if (!in && there) v.erase(it);
      time_changed_ = time_changed_ || in != there;
    };
    for (const auto& [year, y] : state.years) {
      if (has_review(state, year) || time_.reviewed.contains(year))
        index(time_.reviewed[year], has_review(state, year));
    }
    index(time_.with_cases, has_case(state));
    // Where and when each fact that begins to wait came (its listing shows them).
    for (const WaitingChange& w : step.waiting) {
      std::string key = waiting_key(id, w.source, w.id);
      if (w.what == WaitingChange::What::kLeft) {
        waiting_left_.insert(std::move(key));
      } else if (w.what == WaitingChange::What::kWaits) {
        listed_[std::move(key)] = {accepted_at_, origin(cause_offset_)};
      } else {
        reported_.insert(std::move(key));
      }
    }
  }

  // A community's waiting facts live under their own keys (cf::kWaitingFacts, engine/waiting.h),
  // not in its state: the state is written by every batch that touches the community, and a
  // department's backlog can be thousands of facts per community that would otherwise be
  // decoded and encoded again each time. So a loaded state's `waiting` holds only the facts that
  // began to wait in this batch, until hydrate reads the others back (before a registration,
  // which may place them, or a retraction, which may take one away); commit writes back whatever
  // it holds. The pure fold sees the whole set wherever it reads it.
  Status hydrate(const std::string& id, CommunityState& state) {
    if (!hydrated_.insert(id).second) return {};
    std::vector<WaitingFact> all = std::move(state.waiting);  // this batch's, not stored yet
    Status bad;
    JY_CHECK(store_.scan(cf::kWaitingFacts, id + '\0', [&](std::string_view k, std::string_view v) {
      const std::optional<WaitingKey> key = split_waiting_key(k);
      auto e = decode_waiting_entry(v);
      if (!key || !e || !*e) {
        bad = fail("bad_binary", "corrupt waiting fact of community " + id);
        return false;
      }
      WaitingEntry& entry = **e;
      all.push_back({entry.on, std::string(key->source), std::string(key->id),
                     std::move(entry.stored), entry.reported});
      return true;
    }));
    JY_CHECK(bad);
    std::sort(all.begin(), all.end(), [](const WaitingFact& x, const WaitingFact& y) {
      return std::tie(x.on, x.source, x.id) < std::tie(y.on, y.source, y.id);
    });
    state.waiting = std::move(all);
    return {};
  }

  // A state written before the waiting facts left it: they are in it, each stored form under its
  // key as it came and its listing in cf::kWaiting. Read back whole, so that commit writes them
  // in the present layout and removes the earlier listing.
  Status hydrate_earlier_layout(const std::string& id, CommunityState& state) {
    hydrated_.insert(id);
    for (WaitingFact& w : state.waiting) {
      std::string key = waiting_key(id, w.source, w.id);
      // Missing (cannot happen), the fact stays waiting and listed rather than lost.
      JY_TRY(std::optional<std::string> stored, store_.get(cf::kWaitingFacts, key));
      if (stored) w.stored = std::move(*stored);
      JY_TRY(std::optional<std::string> listing, store_.get(cf::kWaiting, key));
      const nlohmann::json l = nlohmann::json::parse(listing.value_or("{}"), nullptr, false);
      if (l.is_object()) listed_[key] = {l.value("accepted_at", ""), l.value("position", "")};
      earlier_listing_.insert(std::move(key));
    }
    return {};
  }

  Result<CommunityState*> load(const std::string& id) {
    auto it = states_.find(id);
    if (it != states_.end()) return &it->second;
    if (auto k = kept_.find(id); k != kept_.end()) {
      it = states_.emplace(id, std::move(k->second.state)).first;
      kept_.erase(k);
    } else {
      JY_TRY(std::optional<std::string> bytes, store_.get(cf::kStage1, id));
      CommunityState s;
      if (bytes) {
        JY_TRY(s, decode_cereal<CommunityState>(*bytes, "community state"));
        if (!s.waiting.empty()) JY_CHECK(hydrate_earlier_layout(id, s));
      }
      it = states_.emplace(id, std::move(s)).first;
    }
    return &it->second;
  }

  void emit(const Step& step) {
    for (Decision d : step.decisions) {
      d.cause_partition = partition_;
      d.cause_offset = cause_offset_;
      d.prev_hash = chain_head_;
      d.hash.clear();
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
    outbox_.push_back(encode_outbox_item(topic, r));
  }

  Store& store_;
  const Config& config_;
  std::unordered_map<std::string, Kept>& kept_;
  int32_t partition_;
  std::vector<std::string> outbox_;  // items in order, numbered at `write`
  std::string chain_head_;           // hash of the partition's last decision
  PartitionTime time_;
  bool time_changed_ = false;
  int64_t cause_offset_ = -1;  // offset of the fact being folded
  std::string accepted_at_;    // when intake accepted it
  rocksdb::WriteBatch batch_;
  std::map<std::string, CommunityState> states_;
  std::set<std::string> hydrated_;  // states whose `waiting` holds all their waiting facts
  struct Listed {
    std::string accepted_at, position;
  };
  // Of the waiting facts begun in this batch (or read in the earlier layout): where and when
  // they came; and those found dated before a registration in it.
  std::map<std::string, Listed> listed_;
  std::set<std::string> reported_;
  std::set<std::string> waiting_left_;     // keys of waiting facts placed or retracted
  std::set<std::string> earlier_listing_;  // cf::kWaiting keys of states of the earlier layout
  StageCounters delta_;
};

struct CommunityStage::Folded {
  std::unique_ptr<Batch> batch;  // none: the partition had nothing to fold
  size_t facts = 0;
  bool full = false;  // as many as asked for: the partition may have more
};

Result<CommunityStage::Folded> CommunityStage::fold_partition(int32_t partition, size_t max_facts,
                                                              std::vector<LogEntry>& entries,
                                                              std::mutex* read_lock) {
  const std::string offset_key = Store::offset_name("stage1", topics::kEvents, partition);
  JY_TRY(int64_t from, store_.offset(offset_key));
  {
    std::unique_lock<std::mutex> lock;
    if (read_lock != nullptr) lock = std::unique_lock(*read_lock);
    JY_CHECK(log_.read_into(topics::kEvents, partition, from, max_facts, entries, nullptr));
  }
  Folded out;
  if (entries.empty()) return out;
  JY_TRY(std::optional<std::string> head, store_.get(cf::kChain, std::to_string(partition)));
  JY_TRY(std::optional<std::string> time_bytes,
         store_.get(cf::kPartition, std::to_string(partition)));
  PartitionTime time;
  if (time_bytes) {
    JY_TRY(time, decode_cereal<PartitionTime>(*time_bytes, "partition time"));
  }
  out.batch = std::make_unique<Batch>(store_, config_, kept_[static_cast<size_t>(partition)],
                                      partition, head.value_or(""), std::move(time));
  for (const LogEntry& e : entries) JY_CHECK(out.batch->fold(e));
  JY_CHECK(out.batch->prepare(offset_key, entries.back().position.offset + 1));
  out.facts = entries.size();
  out.full = entries.size() == max_facts;
  if (handoff_ != nullptr) {
    ReadHandoff::Batch read{from, entries.back().position.offset + 1, entries.size(), {}};
    for (const LogEntry& e : entries) {  // those the projection stage reads (as it reads them)
      const std::string_view type = e.record.header("ce_type");
      if (type.empty() || Projector::reads(type)) read.entries.push_back(e);
    }
    handoff_->give(partition, std::move(read));
  }
  return out;
}

Result<size_t> CommunityStage::commit_partition(int32_t partition, Folded& folded) {
  if (!folded.batch) return size_t{0};
  JY_TRY(int64_t seq, store_.offset(kOutboxNext));
  JY_CHECK(folded.batch->write(seq));
  counters_.add(folded.batch->delta());
  keep(partition, folded.batch->take_states());
  behind_ = behind_ || folded.full;
  return folded.facts;
}

Result<size_t> CommunityStage::step(size_t max_facts) {
  const int32_t parts = log_.partition_count(topics::kEvents);
  behind_ = false;
  if (parts <= 0) return size_t{0};
  if (kept_.size() < static_cast<size_t>(parts)) kept_.resize(static_cast<size_t>(parts));
  const size_t threads =
      std::min(static_cast<size_t>(std::max<int64_t>(config_.engine.fold_threads, 1)),
               static_cast<size_t>(parts));
  if (entries_.size() < threads) entries_.resize(threads);
  if (threads > 1) return step_on_threads(parts, max_facts, threads);
  size_t total = 0;
  for (int32_t p = 0; p < parts; ++p) {
    JY_TRY(Folded folded, fold_partition(p, max_facts, entries_[0], nullptr));
    JY_TRY(size_t n, commit_partition(p, folded));
    total += n;
  }
  return total;
}

// Each thread takes the next partition not taken, folds it, and commits it once every partition
// before it is committed (so the outbox, the chain of decisions and the store's bytes are those
// of folding the partitions one after another). After a failure nothing more is committed and
// the first error is returned; the steps committed before it stay, as with one thread.
Result<size_t> CommunityStage::step_on_threads(int32_t parts, size_t max_facts, size_t threads) {
  std::atomic<int32_t> next{0};
  std::mutex mu;  // guards what follows, and stage 1's counters and the commits themselves
  std::condition_variable turn;
  int32_t committing = 0;  // the partition whose commit is next
  std::optional<Error> failed;
  size_t total = 0;
  std::mutex read_mu;  // a log whose reads may not run at once is read in turn
  std::mutex* read_lock = log_.concurrent_reads() ? nullptr : &read_mu;
  auto guarded = [](auto&& body) -> decltype(body()) {
    // No exception may leave a thread (it would end the process): it is this step's error.
    try {
      return body();
    } catch (const std::exception& e) {
      return fail("internal_error",
                  std::string("stage 1's step failed (a bug; please report it): ") + e.what());
    } catch (...) {
      return fail("internal_error", "stage 1's step failed (a bug; please report it)");
    }
  };
  auto work = [&](std::vector<LogEntry>& entries) {
    for (int32_t p = next++; p < parts; p = next++) {
      Result<Folded> folded = guarded([&]() -> Result<Folded> {
        {
          std::lock_guard lock(mu);
          if (failed) return Folded{};  // not folded: nothing after a failure is committed
        }
        return fold_partition(p, max_facts, entries, read_lock);
      });
      std::unique_lock lock(mu);
      turn.wait(lock, [&] { return committing == p; });
      if (!failed && !folded) failed = folded.error();
      if (!failed) {
        Result<size_t> n = guarded([&] { return commit_partition(p, *folded); });
        if (n) {
          total += *n;
        } else {
          failed = n.error();
        }
      }
      ++committing;
      turn.notify_all();
    }
  };
  std::vector<std::thread> helpers;
  helpers.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) {
    try {
      helpers.emplace_back(work, std::ref(entries_[t]));
    } catch (const std::system_error& e) {  // no thread to be had: fewer fold, the same bytes
      spdlog::warn("stage 1: folding on {} of {} threads: {}", t, threads, e.what());
      break;
    }
  }
  work(entries_[0]);
  for (std::thread& t : helpers) t.join();
  if (failed) return fail(*failed);
  return total;
}

void CommunityStage::keep(int32_t partition, std::map<std::string, CommunityState>&& states) {
  // Each partition keeps its share of the budget (rounded up).
  const auto parts = static_cast<int64_t>(std::max<size_t>(kept_.size(), 1));
  const auto budget = static_cast<size_t>((config_.engine.state_cache + parts - 1) / parts);
  if (budget == 0) return;
  auto& kept = kept_[static_cast<size_t>(partition)];
  ++steps_;
  for (auto& [id, s] : states) kept.insert_or_assign(id, Kept{std::move(s), steps_});
  if (kept.size() <= budget) return;
  std::vector<std::pair<uint64_t, const std::string*>> by_age;
  by_age.reserve(kept.size());
  for (const auto& [id, k] : kept) by_age.emplace_back(k.step, &id);
  const size_t drop = kept.size() - budget;
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(drop - 1),
                   by_age.end());
  std::vector<std::string> gone;
  gone.reserve(drop);
  for (size_t i = 0; i < drop; ++i) gone.push_back(*by_age[i].second);
  for (const std::string& id : gone) kept.erase(id);
}

Result<size_t> Relay::step(size_t max_records) {
  struct Item {
    std::string key;
    std::string topic;
    Record record;
  };
  std::vector<Item> items;
  Status parse_error;
  if (!from_) {
    JY_TRY(int64_t next, store_.offset(kRelayNext));
    from_ = encode_be64(static_cast<uint64_t>(next));
  }
  JY_CHECK(store_.scan_from(cf::kOutbox, *from_, [&](std::string_view k, std::string_view v) {
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
  if (!items.empty()) {
    const uint64_t next = decode_be64(items.back().key) + 1;
    store_.put_offset(batch, kRelayNext, static_cast<int64_t>(next));
    JY_CHECK(store_.write(batch));
    from_ = encode_be64(next);
  }
  return items.size();
}

Result<size_t> ProjectionStage::step(size_t max_records, bool settle) {
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
  if (!behind && settle) JY_CHECK(materialize_dirty(store_, config_));
  return total;
}

Result<size_t> ProjectionStage::step_topic(std::string_view topic, int32_t partition,
                                           size_t max_records) {
  const std::string offset_key = Store::offset_name("projector", topic, partition);
  JY_TRY(int64_t from, store_.offset(offset_key));
  int64_t next = from;
  JY_TRY(size_t covered, records(topic, partition, from, max_records, next));
  if (covered == 0) return size_t{0};
  const std::vector<LogEntry>& entries = entries_;
  rocksdb::WriteBatchWithIndex batch;
  struct Discard {  // an error below gives the batch up: the projector forgets it too
    Projector& projector;
    ~Discard() { projector.discard(); }
  } discard{projector_};
  for (const LogEntry& e : entries) {
    if (topic == topics::kEvents) {
      const std::string_view type = e.record.header("ce_type");
      if (!type.empty() && !Projector::reads(type)) continue;  // e.g. a hotline complaint
      auto ev = decode_event_binary(e.record.value);
      if (!ev) continue;  // undecodable: stage 1 dead-letters it
      if (std::holds_alternative<FactRetracted>(ev->fact)) {
        auto target = decode_event_binary(e.record.header(headers::kRetracts));
        if (target) JY_CHECK(projector_.apply_retraction(batch, *target));
      } else {
        const std::string position = std::string(topics::kEvents) + "/" +
                                     std::to_string(partition) + "/" +
                                     std::to_string(e.position.offset);
        JY_CHECK(
            projector_.apply_event(batch, *ev, {position, e.record.header(headers::kAcceptedAt)}));
      }
    } else {
      JY_TRY(Decision d, decode_decision_binary(e.record.value));
      JY_TRY(bool fresh, projector_.apply_decision(batch, d));
      (void)fresh;
    }
  }
  JY_CHECK(projector_.finish(batch));
  rocksdb::WriteBatch* wb = batch.GetWriteBatch();
  store_.put_offset(*wb, offset_key, next);
  JY_CHECK(store_.write(batch));
  return covered;
}

Result<size_t> ProjectionStage::records(std::string_view topic, int32_t partition, int64_t from,
                                        size_t max_records, int64_t& next) {
  size_t max = max_records;
  if (topic == topics::kEvents && handoff_ != nullptr) {
    ReadHandoff::Take handed = handoff_->take(partition, from);
    if (handed.wait) return size_t{0};
    if (handed.batch) {
      entries_ = std::move(handed.batch->entries);
      next = handed.batch->next;
      return std::min(handed.batch->read, max_records);  // never 0: stage 1 hands no empty read
    }
    if (handed.read_before > from)
      max = std::min(max, static_cast<size_t>(handed.read_before - from));
  }
  // Events the projector does not read (e.g. hotline complaints) come back as undecoded stubs.
  JY_CHECK(log_.read_into(topic, partition, from, max, entries_,
                          topic == topics::kEvents ? &Projector::reads : nullptr));
  if (!entries_.empty()) next = entries_.back().position.offset + 1;
  return entries_.size();
}

}  // namespace jiayuan
