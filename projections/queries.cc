#include "projections/queries.h"

#include <map>

#include "events/centi.h"
#include "projections/projector.h"

namespace jiayuan {

using nlohmann::json;

Result<std::optional<json>> community_view(const Store& store, const CommunityId& id) {
  JY_TRY(std::optional<std::string> info, store.get(cf::kProjCommunity, id.value));
  json ratings = json::array();
  // Grades are keyed year/community; scan the years present.
  JY_CHECK(store.scan(cf::kProjGrade, "", [&](std::string_view key, std::string_view value) {
    const size_t slash = key.find('/');
    if (slash != std::string_view::npos && key.substr(slash + 1) == id.value) {
      ratings.push_back(json::parse(value));
    }
    return true;
  }));
  if (!info && ratings.empty()) return std::optional<json>();
  json out = info ? json::parse(*info) : json{{"community", id.value}};
  out["ratings"] = std::move(ratings);
  return std::optional<json>(std::move(out));
}

namespace {

struct Tally {
  std::string name;
  std::map<std::string, int64_t> by_grade;
};

// Percentage num/den rounded half up to 0.01, as text.
std::string share(int64_t num, int64_t den) {
  if (den == 0) return "0.00";
  return Centi{round_half_up(num * 10000, den)}.to_string();
}

json tally_json(const std::string& id, const Tally& t) {
  static const char* kGrades[] = {"exemplary", "standard", "passing", "failing", "unrated"};
  json out{{"street", id}, {"street_name", t.name}};
  int64_t rated = 0;
  for (const char* g : kGrades) {
    const auto it = t.by_grade.find(g);
    const int64_t n = it == t.by_grade.end() ? 0 : it->second;
    out[g] = n;
    if (std::string_view(g) != "unrated") rated += n;
  }
  out["rated"] = rated;
  const int64_t ex = out["exemplary"], st = out["standard"], pa = out["passing"];
  out["share_passing_or_better"] = share(ex + st + pa, rated);
  out["share_exemplary"] = share(ex, rated);
  out["share_standard"] = share(st, rated);
  return out;
}

}  // namespace

Result<json> street_summary(const Store& store, int32_t year) {
  std::map<std::string, Tally> streets;
  Tally district{"全区", {}};
  Result<void> parsed;
  JY_CHECK(store.scan(cf::kProjGrade, std::to_string(year) + "/", [&](std::string_view, std::string_view v) {
    const json r = json::parse(v);
    const std::string grade = r.at("grade");
    Tally& t = streets[r.at("street")];
    t.name = r.at("street_name");
    t.by_grade[grade] += 1;
    district.by_grade[grade] += 1;
    return true;
  }));
  json list = json::array();
  for (const auto& [id, t] : streets) list.push_back(tally_json(id, t));
  return json{{"year", year}, {"streets", std::move(list)}, {"district", tally_json("district", district)}};
}

}  // namespace jiayuan
