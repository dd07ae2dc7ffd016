#include "engine/stages.h"

#include <rocksdb/write_batch.h>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <map>
#include <sstream>

#include "engine/intake.h"
#include "events/binary_codec.h"
#include "events/json_codec.h"
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
  std::istringstream is(std::string(bytes), std::ios::binary);
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

Result<size_t> CommunityStage::step(size_t max_facts) {
  size_t total = 0;
  const int32_t parts = log_.partition_count(topics::kEvents);
  for (int32_t p = 0; p < parts; ++p) {
    JY_TRY(size_t n, step_partition(p, max_facts));
    total += n;
  }
  return total;
}

Result<size_t> CommunityStage::step_partition(int32_t partition, size_t max_facts) {
  const std::string offset_key = offset_name("stage1", topics::kEvents, partition);
  JY_TRY(int64_t from, store_.offset(offset_key));
  JY_TRY(std::vector<LogEntry> entries, log_.read(topics::kEvents, partition, from, max_facts));
  if (entries.empty()) return size_t{0};
  JY_TRY(int64_t seq, store_.offset(kOutboxNext));

  std::map<std::string, CommunityState> states;  // loaded once per batch, written once
  rocksdb::WriteBatch batch;
  auto outbox = [&](std::string_view topic, const Record& r) {
    batch.Put(store_.cf(cf::kOutbox), encode_be64(static_cast<uint64_t>(seq++)), encode_outbox_item(topic, r));
  };
  StageCounters delta;
  for (const LogEntry& e : entries) {
    const std::string origin = std::string(topics::kEvents) + "/" + std::to_string(partition) + "/" +
                               std::to_string(e.position.offset);
    Result<Event> ev = decode_event_binary(e.record.value);
    if (!ev) {
      outbox(topics::kDeadLetter, dead_letter_record(e.record.key, e.record.value, "stage1", ev.error(), origin));
      ++delta.rejected;
      continue;
    }
    const std::string& id = ev->envelope.subject;
    auto it = states.find(id);
    if (it == states.end()) {
      JY_TRY(std::optional<std::string> bytes, store_.get(cf::kStage1, id));
      CommunityState s;
      if (bytes) {
        JY_TRY(s, decode_state(*bytes));
      }
      it = states.emplace(id, std::move(s)).first;
    }
    CommunityState before = it->second;
    Step step = apply(it->second, *ev, config_.rules);
    ++delta.facts;
    if (step.rejection) {
      it->second = std::move(before);
      outbox(topics::kDeadLetter,
             dead_letter_record(id, encode_event_json(*ev), "stage1", *step.rejection, origin));
      ++delta.rejected;
    }
    for (const Decision& d : step.decisions) {
      outbox(topics::kDecisions, decision_record(d));
      ++delta.decisions;
    }
  }
  for (const auto& [id, s] : states) batch.Put(store_.cf(cf::kStage1), id, encode_state(s));
  store_.put_offset(batch, kOutboxNext, seq);
  store_.put_offset(batch, offset_key, entries.back().position.offset + 1);
  JY_CHECK(store_.write(batch));
  counters_.facts += delta.facts;
  counters_.decisions += delta.decisions;
  counters_.rejected += delta.rejected;
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
  for (std::string_view topic : {topics::kEvents, topics::kDecisions}) {
    const int32_t parts = log_.partition_count(topic);
    for (int32_t p = 0; p < parts; ++p) {
      JY_TRY(size_t n, step_topic(topic, p, max_records));
      total += n;
    }
  }
  return total;
}

Result<size_t> ProjectionStage::step_topic(std::string_view topic, int32_t partition, size_t max_records) {
  const std::string offset_key = offset_name("projector", topic, partition);
  JY_TRY(int64_t from, store_.offset(offset_key));
  JY_TRY(std::vector<LogEntry> entries, log_.read(topic, partition, from, max_records));
  if (entries.empty()) return size_t{0};
  rocksdb::WriteBatch batch;
  for (const LogEntry& e : entries) {
    if (topic == topics::kEvents) {
      if (e.record.header("ce_type") != "jiayuan.community.registered") continue;
      auto ev = decode_event_binary(e.record.value);
      if (ev) projector_.apply_event(batch, *ev);  // undecodable: stage 1 dead-letters it
    } else {
      JY_TRY(Decision d, decode_decision_binary(e.record.value));
      JY_TRY(bool fresh, projector_.apply_decision(batch, d));
      (void)fresh;
    }
  }
  store_.put_offset(batch, offset_key, entries.back().position.offset + 1);
  Status written = store_.write(batch);
  projector_.batch_done();
  JY_CHECK(written);
  return entries.size();
}

}  // namespace jiayuan
