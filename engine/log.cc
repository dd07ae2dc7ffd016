#include "engine/log.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <sstream>

#include "events/decisions.h"

namespace jiayuan {

std::string_view Record::header(std::string_view k) const {
  for (const Header& h : headers) {
    if (h.key == k) return h.value;
  }
  return {};
}

template <class A>
void serialize(A& ar, Header& h) { ar(h.key, h.value); }

std::string encode_record(const Record& r) {
  std::ostringstream os(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    Record copy = r;
    ar(copy.key, copy.value, copy.headers);
  }
  return std::move(os).str();
}

Result<Record> decode_record(std::string_view bytes) {
  std::istringstream is(std::string(bytes), std::ios::binary);
  Record r;
  try {
    cereal::PortableBinaryInputArchive ar(is);
    ar(r.key, r.value, r.headers);
  } catch (const cereal::Exception& e) {
    return fail("bad_binary", std::string("corrupt stored record: ") + e.what());
  }
  return r;
}

int32_t partition_for(std::string_view key, int32_t partitions) {
  if (partitions <= 1) return 0;
  return static_cast<int32_t>(stable_hash64(key) % static_cast<uint64_t>(partitions));
}

}  // namespace jiayuan

namespace jiayuan {

int32_t partition_of(const Record& record, int32_t partitions) {
  if (record.partition >= 0 && record.partition < partitions) return record.partition;
  return partition_for(record.key, partitions);
}

}  // namespace jiayuan
