#include "workflows/district.h"

#include <algorithm>

namespace jiayuan {
namespace {

__extension__ typedef __int128 i128;

Fraction reduce(i128 num, i128 den) {
  if (den == 0) return Fraction{0, 1};
  i128 a = num < 0 ? -num : num, b = den;
  while (b != 0) {
    const i128 t = a % b;
    a = b;
    b = t;
  }
  if (a == 0) a = 1;
  return Fraction{static_cast<int64_t>(num / a), static_cast<int64_t>(den / a)};
}

Fraction add(Fraction a, Fraction b) {
  return reduce(static_cast<i128>(a.num) * b.den + static_cast<i128>(b.num) * a.den,
                static_cast<i128>(a.den) * b.den);
}
Fraction scale(Fraction a, int64_t k) { return reduce(static_cast<i128>(a.num) * k, a.den); }
Fraction one() { return Fraction{1, 1}; }
Fraction clamp01(Fraction f) {
  if (f.num <= 0) return Fraction{0, 1};
  if (f.num >= f.den) return one();
  return f;
}

}  // namespace

bool operator<(const Fraction& a, const Fraction& b) {
  return static_cast<i128>(a.num) * b.den < static_cast<i128>(b.num) * a.den;
}
bool operator==(const Fraction& a, const Fraction& b) {
  return static_cast<i128>(a.num) * b.den == static_cast<i128>(b.num) * a.den;
}

Centi Fraction::rounded_percent() const {
  if (den == 0) return Centi{0};
  const i128 n = static_cast<i128>(num) * 10000;
  return Centi{static_cast<int64_t>((2 * n + den) / (2 * static_cast<i128>(den)))};
}

namespace {

struct CompanyAccumulator {
  CompanyStanding s;
  int32_t spot_checks = 0;
  int32_t spot_checks_passed = 0;
  int64_t score_sum = 0;  // hundredths, over rated projects with a score
  int32_t scored = 0;
};

void add_project(CompanyAccumulator& a, const RatedCommunity& r) {
  CompanyStanding& s = a.s;
  s.projects += 1;
  s.grade_mix[static_cast<size_t>(r.grade)] += 1;
  if (r.grade == Grade::kUnrated) return;  // unrated projects are ignored below
  s.rated_projects += 1;
  a.spot_checks += r.summary.spot_checks;
  a.spot_checks_passed += r.summary.spot_checks_passed;
  s.hotline_complaints += r.summary.hotline_complaints;
  s.hotline_on_time += r.summary.hotline_on_time;
  s.petitions_substantiated += r.summary.petitions_substantiated;
  s.media_positive += r.summary.media_positive;
  s.media_negative += r.summary.media_negative;
  if (r.has_score) {
    a.score_sum += r.final_score.hundredths;
    a.scored += 1;
  }
}

void finish(CompanyAccumulator& a, const CompanyFacts* facts, const AwardRules& rules) {
  CompanyStanding& s = a.s;
  if (facts != nullptr) {
    s.media_positive += facts->media_positive;
    s.media_negative += facts->media_negative;
    s.social_records = facts->social_records;
    s.credit_points = facts->credit_points;  // credit points name the company itself
  }
  const int32_t ex = s.grade_mix[static_cast<size_t>(Grade::kExemplary)];
  const int32_t st = s.grade_mix[static_cast<size_t>(Grade::kStandard)];
  const int32_t rated = s.rated_projects;
  // results = (2·示范 + 1·规范) ÷ (2 · rated projects)
  s.factors[0] = Fraction::of(2 * ex + st, 2 * static_cast<int64_t>(rated));
  // inspections = share of spot checks passed (1 with none); hotline likewise
  s.factors[1] = a.spot_checks == 0 ? one() : Fraction::of(a.spot_checks_passed, a.spot_checks);
  s.factors[2] =
      s.hotline_complaints == 0 ? one() : Fraction::of(s.hotline_on_time, s.hotline_complaints);
  // petitions = 1 − min(1, substantiated ÷ rated projects)
  s.factors[3] = rated == 0
                     ? one()
                     : clamp01(Fraction::of(
                           rated - std::min<int64_t>(rated, s.petitions_substantiated), rated));
  // media = clamp(base + step · (positive − negative), 0, 1), base and step in hundredths
  s.factors[4] =
      clamp01(Fraction::of(rules.media_base.hundredths +
                               rules.media_step.hundredths * (s.media_positive - s.media_negative),
                           100));
  // social responsibility = min(1, records ÷ n)
  s.factors[5] = clamp01(Fraction::of(s.social_records, rules.social_records_for_full));
  Fraction composite{0, 1};
  for (size_t i = 0; i < 6; ++i) composite = add(composite, scale(s.factors[i], rules.weights[i]));
  s.composite = composite;
  s.mean_final_score = a.scored == 0
                           ? Fraction{0, 1}
                           : Fraction::of(a.score_sum, 100 * static_cast<int64_t>(a.scored));
  s.eligible = ex >= 1 && s.grade_mix[static_cast<size_t>(Grade::kFailing)] == 0;
}

std::vector<CompanyStanding> standings(const DistrictInput& in, const AwardRules& rules) {
  std::map<std::string, CompanyAccumulator> acc;
  for (const RatedCommunity& r : in.ratings) {
    if (r.summary.company.empty()) continue;
    CompanyAccumulator& a = acc[r.summary.company.value];
    a.s.company = r.summary.company;
    add_project(a, r);
  }
  for (const auto& [id, facts] : in.companies) {
    if (!acc.contains(id)) acc[id].s.company = CompanyId(id);
  }
  std::vector<CompanyStanding> out;
  for (auto& [id, a] : acc) {
    auto it = in.companies.find(id);
    finish(a, it == in.companies.end() ? nullptr : &it->second, rules);
    out.push_back(a.s);
  }
  // Eligible first by composite (desc), then mean final score (desc), then id; the rest by id.
  std::sort(out.begin(), out.end(), [](const CompanyStanding& a, const CompanyStanding& b) {
    if (a.eligible != b.eligible) return a.eligible;
    if (!a.eligible) return a.company < b.company;
    if (!(a.composite == b.composite)) return b.composite < a.composite;
    if (!(a.mean_final_score == b.mean_final_score)) return b.mean_final_score < a.mean_final_score;
    return a.company < b.company;
  });
  int32_t rank = 0;
  for (CompanyStanding& s : out) s.rank = s.eligible ? ++rank : 0;
  return out;
}

std::vector<ExcellentManager> excellent_managers(const DistrictInput& in, int64_t quota) {
  struct Acc {
    int32_t exemplary = 0;
    int32_t failing = 0;
    int64_t score_sum = 0;
    int32_t rated = 0;
  };
  std::map<std::string, Acc> acc;
  for (const RatedCommunity& r : in.ratings) {
    if (r.summary.manager.empty()) continue;
    Acc& a = acc[r.summary.manager.value];
    if (r.grade == Grade::kExemplary) a.exemplary += 1;
    if (r.grade == Grade::kFailing) a.failing += 1;
    if (r.grade != Grade::kUnrated && r.has_score) {
      a.score_sum += r.final_score.hundredths;
      a.rated += 1;
    }
  }
  std::vector<ExcellentManager> out;
  for (const auto& [id, a] : acc) {
    if (a.exemplary >= 1 && a.failing == 0 && a.rated > 0) {
      out.push_back(
          {ManagerId(id), Fraction::of(a.score_sum, 100 * static_cast<int64_t>(a.rated)), a.rated});
    }
  }
  std::sort(out.begin(), out.end(), [](const ExcellentManager& a, const ExcellentManager& b) {
    if (!(a.mean_final_score == b.mean_final_score)) return b.mean_final_score < a.mean_final_score;
    return a.manager < b.manager;
  });
  if (static_cast<int64_t>(out.size()) > quota) out.resize(static_cast<size_t>(quota));
  return out;
}

// share ≥ target% ⇔ count × 10000 ≥ target(hundredths) × rated, exactly.
bool meets(int64_t count, int64_t rated, Centi target) {
  return rated > 0 && count * 10000 >= target.hundredths * rated;
}

TargetLine target_line(std::string street, const std::vector<const RatedCommunity*>& rs,
                       const YearTargets* t, bool standard_includes_exemplary) {
  TargetLine l;
  l.street = std::move(street);
  for (const RatedCommunity* r : rs) l.grade_mix[static_cast<size_t>(r->grade)] += 1;
  const int32_t ex = l.grade_mix[3], st = l.grade_mix[2], pa = l.grade_mix[1], fa = l.grade_mix[0];
  l.rated = ex + st + pa + fa;
  const int32_t standard = standard_includes_exemplary ? ex + st : st;
  l.passing_or_better = Fraction::of(ex + st + pa, l.rated);
  l.exemplary = Fraction::of(ex, l.rated);
  l.standard = Fraction::of(standard, l.rated);
  if (t != nullptr) {
    l.met_passing_or_better = meets(ex + st + pa, l.rated, t->passing_or_better);
    l.met_exemplary = meets(ex, l.rated, t->exemplary);
    l.met_standard = meets(standard, l.rated, t->standard);
  }
  return l;
}

}  // namespace

DistrictYear compute_district(const DistrictInput& in, const RuleSet& rules) {
  DistrictYear out;
  out.year = in.year;
  out.standings = standings(in, rules.awards);
  for (const CompanyStanding& s : out.standings) {
    if (s.eligible && static_cast<int32_t>(out.top_ten.size()) < rules.awards.top_ten)
      out.top_ten.push_back(s.company);
  }
  // At most floor(10% × all communities registered on the rating date, unrated included).
  out.award_quota = in.registered_communities * rules.awards.excellent_share.hundredths / 10000;
  for (const RatedCommunity& r : in.ratings) {
    if (r.grade == Grade::kExemplary) out.excellent_communities.push_back(r);
  }
  std::sort(out.excellent_communities.begin(), out.excellent_communities.end(),
            [](const RatedCommunity& a, const RatedCommunity& b) {
              if (a.final_score != b.final_score) return b.final_score < a.final_score;
              return a.community < b.community;
            });
  if (static_cast<int64_t>(out.excellent_communities.size()) > out.award_quota) {
    out.excellent_communities.resize(static_cast<size_t>(out.award_quota));
  }
  out.excellent_managers = excellent_managers(in, out.award_quota);

  const YearTargets* t = rules.targets_for(in.year);
  out.has_targets = t != nullptr;
  if (t != nullptr) out.targets = *t;
  std::vector<const RatedCommunity*> all;
  std::map<std::string, std::vector<const RatedCommunity*>> by_street;
  for (const RatedCommunity& r : in.ratings) {
    all.push_back(&r);
    by_street[r.street].push_back(&r);
  }
  const bool incl = rules.standard_target_includes_exemplary;
  out.district = target_line("", all, t, incl);
  for (const auto& [street, rs] : by_street)
    out.streets.push_back(target_line(street, rs, t, incl));
  return out;
}

}  // namespace jiayuan
