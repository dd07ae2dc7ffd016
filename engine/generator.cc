#include "engine/generator.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

#include "events/json_codec.h"

namespace jiayuan {
namespace {

// splitmix64: small, fast, identical everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool chance(int percent) { return between(1, 100) <= percent; }

 private:
  uint64_t s_;
};

constexpr std::array<const char*, 12> kNameHeads = {"锦", "华", "翠", "嘉", "明", "泰",
                                                    "云", "龙", "绿", "松", "新", "佳"};
constexpr std::array<const char*, 10> kNameMids = {"江", "苑", "城", "湖", "庭", "景",
                                                   "林", "河", "辰", "安"};
constexpr std::array<const char*, 7> kNameTails = {"苑", "园", "小区", "花园", "新村", "公寓", "家园"};
constexpr std::array<int64_t, 9> kFees = {120, 150, 180, 200, 230, 250, 280, 320, 450};
// Category shares (%): commodity, mixed, relocation, affordable, scattered public.
constexpr std::array<int, 5> kCategoryShare = {45, 10, 25, 10, 10};

struct Pending {
  Date date;
  std::string community;
  int seq;
  Event event;
};

Centi score_near(Rng& rng, int64_t quality) {
  const int64_t v = std::clamp<int64_t>(quality * 10 + rng.between(-60, 60), 0, 1000);
  return Centi{v * 10};  // one decimal
}

Envelope envelope(std::string id, std::string source, Date date) {
  Envelope e;
  e.id = std::move(id);
  e.source = std::move(source);
  e.occurred = date;
  e.time = date.to_string() + "T09:00:00+08:00";
  return e;
}

}  // namespace

Status generate_district(const GeneratorOptions& o, const Config& config,
                         const std::function<void(const std::string&)>& emit) {
  const RuleSet* rs = config.rules.for_year(o.year);
  if (rs == nullptr) {
    return fail("bad_argument", "--year " + std::to_string(o.year) + ": no rule set in config defines that year");
  }
  if (o.streets < 1 || static_cast<size_t>(o.streets) > config.district.streets.size()) {
    return fail("bad_argument", "--streets " + std::to_string(o.streets) + ": expected 1.." +
                                    std::to_string(config.district.streets.size()));
  }
  if (o.communities < 1) return fail("bad_argument", "--communities: expected at least 1");
  const YearWindow w = *rs->window(o.year);
  std::vector<std::string> streets;
  for (const auto& [id, name] : config.district.streets) streets.push_back(id);
  Rng rng(o.seed);
  // Streets in a seeded order, so a small district is not always the alphabet's first.
  for (size_t i = streets.size(); i > 1; --i) std::swap(streets[i - 1], streets[rng.next() % i]);
  streets.resize(static_cast<size_t>(o.streets));

  const Date registered_on = w.from.plus_days(-180);
  const int32_t span = days_between(w.from, w.to) - 30;
  std::vector<Pending> out;
  for (int32_t c = 1; c <= o.communities; ++c) {
    char id_buf[16];
    std::snprintf(id_buf, sizeof id_buf, "SJ%05d", c);
    const std::string id = id_buf;
    const std::string street = streets[static_cast<size_t>(c - 1) % streets.size()];
    const std::string street_office = "street." + street;
    CommunityRegistered reg;
    reg.community = CommunityId(id);
    reg.name = std::string(kNameHeads[rng.next() % kNameHeads.size()]) + kNameMids[rng.next() % kNameMids.size()] +
               kNameTails[rng.next() % kNameTails.size()];
    reg.street = StreetId(street);
    reg.households = static_cast<int32_t>(rng.between(80, 2400));
    reg.enclosure = rng.chance(85) ? Enclosure::kClosed : Enclosure::kScattered;
    reg.fee = Centi{kFees[rng.next() % kFees.size()]};
    if (reg.enclosure == Enclosure::kScattered && rng.chance(80)) reg.fee = Centi{kFees[rng.next() % 4]};
    int64_t pick = rng.between(1, 100);
    size_t cat = 0;
    while (pick > kCategoryShare[cat]) pick -= kCategoryShare[cat++];
    reg.category = static_cast<Category>(cat);
    int seq = 0;
    out.push_back({registered_on, id, seq++, {envelope("reg-" + id, street_office, registered_on), reg}});

    const int64_t quality = rng.between(58, 97);
    const int inspections = rng.chance(8) ? 1 : static_cast<int>(rng.between(2, 4));
    for (int i = 0; i < inspections; ++i) {
      Inspection insp;
      insp.community = reg.community;
      for (Centi& s : insp.scores) s = score_near(rng, quality);
      const Date d = w.from.plus_days(static_cast<int32_t>(rng.between(15, span)));
      const std::string source = i % 2 == 0 ? street_office : "bureau";
      out.push_back({d, id, seq++, {envelope("insp-" + id + "-" + std::to_string(i + 1), source, d), insp}});
    }
    const int surveys = rng.chance(15) ? 0 : static_cast<int>(rng.between(1, 2));
    for (int i = 0; i < surveys; ++i) {
      SatisfactionSurvey sv{reg.community, score_near(rng, quality)};
      const Date d = w.from.plus_days(static_cast<int32_t>(rng.between(60, span)));
      out.push_back({d, id, seq++, {envelope("survey-" + id + "-" + std::to_string(i + 1), street_office, d), sv}});
    }
    const Date closed_on = w.to.plus_days(10);
    out.push_back({closed_on, id, seq++,
                   {envelope("review-" + id + "-" + std::to_string(o.year), "bureau", closed_on),
                    ReviewClosed{reg.community, o.year}}});
  }
  std::stable_sort(out.begin(), out.end(), [](const Pending& a, const Pending& b) {
    if (a.date != b.date) return a.date < b.date;
    if (a.community != b.community) return a.community < b.community;
    return a.seq < b.seq;
  });
  for (Pending& p : out) {
    p.event.envelope.subject = p.community;
    emit(encode_event_json(p.event));
  }
  return {};
}

}  // namespace jiayuan
