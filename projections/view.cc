#include "projections/view.h"

namespace jiayuan {

namespace {

constexpr int64_t kDayBias = int64_t{1} << 31;

std::string encode_date(Date on) {
  const auto v = static_cast<uint32_t>(on.days() + kDayBias);
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  return out;
}

bool versioned(std::string_view family) {
  return family != cf::kProjDistrict && family != cf::kProjStanding;
}

}  // namespace

std::string as_of_prefix(std::string_view family, std::string_view key) {
  std::string out(family);
  out.push_back('\0');
  out.append(key);
  out.push_back('\0');
  return out;
}

std::string as_of_key(std::string_view family, std::string_view key, Date on) {
  return as_of_prefix(family, key) + encode_date(on);
}

Date as_of_date(std::string_view k) {
  uint32_t v = 0;
  for (size_t i = k.size() - 4; i < k.size(); ++i) v = (v << 8) | static_cast<unsigned char>(k[i]);
  return Date::from_days(static_cast<int32_t>(static_cast<int64_t>(v) - kDayBias));
}

Result<std::optional<std::string>> ProjectionView::get(std::string_view family,
                                                       std::string_view key) const {
  if (!as_of_) return store_.get(family, key);
  if (!versioned(family))
    return fail("internal", std::string(family) + " has no versions: compute it as of the date");
  std::optional<std::string> found;
  JY_CHECK(store_.scan(cf::kProjAsOf, as_of_prefix(family, key),
                       [&](std::string_view k, std::string_view v) {
                         if (as_of_date(k) > *as_of_) return false;
                         found = std::string(v);
                         return true;
                       }));
  return found;
}

Result<std::optional<std::string>> ProjectionView::first_key_from(std::string_view family,
                                                                  std::string_view from) const {
  if (!as_of_) return store_.first_key_from(family, from);
  std::string outer(family);
  outer.push_back('\0');
  const size_t skip = outer.size();
  outer.append(from);
  JY_TRY(std::optional<std::string> k, store_.first_key_from(cf::kProjAsOf, outer));
  if (!k || !k->starts_with(std::string_view(outer).substr(0, skip)) || k->size() < skip + 5) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(k->substr(skip, k->size() - skip - 5));
}

Status ProjectionView::scan(
    std::string_view family, std::string_view prefix,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  if (!as_of_) return store_.scan(family, prefix, fn);
  if (!versioned(family))
    return fail("internal", std::string(family) + " has no versions: compute it as of the date");
  std::string outer(family);
  outer.push_back('\0');
  const size_t skip = outer.size();
  outer.append(prefix);
  // Versions of one key are adjacent and in date order; emit each key's last one on or before
  // the date when the next key starts.
  std::string key;
  std::optional<std::string> value;
  bool go = true;
  JY_CHECK(store_.scan(cf::kProjAsOf, outer, [&](std::string_view k, std::string_view v) {
    const std::string_view this_key = k.substr(skip, k.size() - skip - 5);
    if (this_key != key) {
      if (value) go = fn(key, *value);
      if (!go) return false;
      key = std::string(this_key);
      value.reset();
    }
    if (as_of_date(k) <= *as_of_) value = std::string(v);
    return true;
  }));
  if (go && value) fn(key, *value);
  return {};
}

}  // namespace jiayuan
