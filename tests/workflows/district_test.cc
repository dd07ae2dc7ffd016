// Stages 2 and 3 rules: top-ten eligibility and ranking, award quotas, targets, exactly.
#include "workflows/district.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace jiayuan {
namespace {

class DistrictTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = load_config(JIAYUAN_TEST_CONFIG_DIR);
    ASSERT_TRUE(c);
    rules_ = *c->rules.for_year(2023);
    in_.year = 2023;
  }
  void rated(const std::string& id, const std::string& company, Grade g, double score,
             const std::string& street = "yueyang", const std::string& manager = "") {
    RatedCommunity r;
    r.community = CommunityId(id);
    r.street = street;
    r.grade = g;
    r.has_score = g != Grade::kUnrated;
    r.final_score = *Centi::from_double(score);
    r.summary.company = CompanyId(company);
    r.summary.manager = ManagerId(manager.empty() ? "PM-" + id : manager);
    in_.ratings.push_back(r);
  }
  DistrictYear run() { return compute_district(in_, rules_); }
  RuleSet rules_;
  DistrictInput in_;
};

TEST_F(DistrictTest, TopTenEligibilityNeedsAnExemplaryAndNoFailingProject) {
  rated("A1", "A", Grade::kExemplary, 95);
  rated("B1", "B", Grade::kExemplary, 95);
  rated("B2", "B", Grade::kFailing, 50);
  rated("C1", "C", Grade::kStandard, 85);
  rated("D1", "D", Grade::kExemplary, 92);
  rated("D2", "D", Grade::kUnrated, 0);  // unrated projects are ignored
  const DistrictYear d = run();
  EXPECT_EQ(d.top_ten, (std::vector<CompanyId>{CompanyId("A"), CompanyId("D")}));
}

TEST_F(DistrictTest, ExactlyTenWhenMoreAreEligible) {
  for (int i = 0; i < 14; ++i)
    rated("C" + std::to_string(i), "CO" + std::to_string(100 + i), Grade::kExemplary, 90 + i * 0.1);
  EXPECT_EQ(run().top_ten.size(), 10u);
}

TEST_F(DistrictTest, TiesGoToTheHigherMeanFinalScoreThenTheCompanyId) {
  // Same composite (one 示范 project each, nothing else): mean score decides, then id.
  rated("X1", "CO-B", Grade::kExemplary, 91);
  rated("X2", "CO-A", Grade::kExemplary, 91);
  rated("X3", "CO-C", Grade::kExemplary, 93);
  const DistrictYear d = run();
  EXPECT_EQ(d.top_ten,
            (std::vector<CompanyId>{CompanyId("CO-C"), CompanyId("CO-A"), CompanyId("CO-B")}));
}

TEST_F(DistrictTest, CompositeWeighsTheSixFactors) {
  rated("A1", "A", Grade::kExemplary, 95);
  in_.ratings[0].summary.spot_checks = 4;
  in_.ratings[0].summary.spot_checks_passed = 3;  // inspections 3/4
  in_.ratings[0].summary.hotline_complaints = 10;
  in_.ratings[0].summary.hotline_on_time = 5;          // hotline 1/2
  in_.ratings[0].summary.petitions_substantiated = 3;  // 1 − min(1, 3/1) = 0
  in_.companies["A"] = CompanyFacts{0, 7, 1, 0};       // media 0.5 − 0.7 → 0; social 1/2
  const DistrictYear d = run();
  const CompanyStanding& s = d.standings[0];
  // 40·1 + 20·3/4 + 15·1/2 + 10·0 + 10·0 + 5·1/2 = 40 + 15 + 7.5 + 2.5 = 65
  EXPECT_EQ(s.composite, (Fraction{65, 1}));
}

TEST_F(DistrictTest, ExcellentCommunitiesAreAtMostTenPercentOfAllRegistered) {
  in_.registered_communities = 29;  // floor(2.9) = 2
  rated("E1", "A", Grade::kExemplary, 91);
  rated("E2", "A", Grade::kExemplary, 95);
  rated("E3", "A", Grade::kExemplary, 93);
  const DistrictYear d = run();
  EXPECT_EQ(d.award_quota, 2);
  ASSERT_EQ(d.excellent_communities.size(), 2u);
  EXPECT_EQ(d.excellent_communities[0].community.value, "E2");
  EXPECT_EQ(d.excellent_communities[1].community.value, "E3");
}

TEST_F(DistrictTest, ExcellentManagerNeedsAnExemplaryAndNoFailingCommunity) {
  in_.registered_communities = 100;
  rated("M1", "A", Grade::kExemplary, 95, "yueyang", "PM-good");
  rated("M2", "A", Grade::kStandard, 85, "yueyang", "PM-good");  // mean (95 + 85) / 2 = 90
  rated("M3", "A", Grade::kExemplary, 99, "yueyang", "PM-mixed");
  rated("M4", "A", Grade::kFailing, 60, "yueyang", "PM-mixed");
  const DistrictYear d = run();
  ASSERT_EQ(d.excellent_managers.size(), 1u);
  EXPECT_EQ(d.excellent_managers[0].manager.value, "PM-good");
  EXPECT_EQ(d.excellent_managers[0].mean_final_score, (Fraction{90, 1}));
}

TEST_F(DistrictTest, TargetShareExactlyOnTheTargetIsMet) {
  // 2023: 5% 示范. 1 of 20 rated = 5.00% exactly; the unrated one does not count.
  rated("T0", "A", Grade::kExemplary, 95);
  for (int i = 1; i < 20; ++i) rated("T" + std::to_string(i), "A", Grade::kPassing, 75);
  rated("U", "A", Grade::kUnrated, 0);
  const DistrictYear d = run();
  EXPECT_EQ(d.district.rated, 20);
  EXPECT_TRUE(d.district.met_exemplary);
  EXPECT_EQ(d.district.exemplary.rounded_percent(), Centi{500});
  EXPECT_TRUE(d.district.met_passing_or_better);
  EXPECT_FALSE(d.district.met_standard);
}

TEST_F(DistrictTest, StandardTargetCountsStandardAloneUnlessConfigured) {
  rated("S1", "A", Grade::kExemplary, 95);
  rated("S2", "A", Grade::kStandard, 85);
  EXPECT_EQ(run().district.standard.rounded_percent(), Centi{5000});
  rules_.standard_target_includes_exemplary = true;
  EXPECT_EQ(run().district.standard.rounded_percent(), Centi{10000});
}

}  // namespace
}  // namespace jiayuan
