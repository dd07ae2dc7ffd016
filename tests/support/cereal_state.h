// Stage 1's stored form of a community's state, as engine/stages.cc writes and reads it
// (cereal's portable binary): for tests that write a state by hand or look inside one.
#pragma once

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <sstream>
#include <string>

#include "workflows/community.h"

namespace jiayuan::testing {

template <class T>
std::string encode_cereal(const T& value) {
  std::ostringstream os(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(value);
  }
  return std::move(os).str();
}

inline std::string encode_state(const CommunityState& s) { return encode_cereal(s); }

// Throws (cereal's exception, or StoredDays') on bytes that are no state.
inline CommunityState decode_state(const std::string& bytes) {
  std::istringstream is(bytes, std::ios::binary);
  cereal::PortableBinaryInputArchive ar(is);
  CommunityState s;
  ar(s);
  return s;
}

}  // namespace jiayuan::testing
