// Grading rules of DOMAIN.md, each checked against values worked out by hand in comments.
#include "workflows/grading.h"

#include <gtest/gtest.h>

#include "config/config.h"
#include "tests/support/config.h"

namespace jiayuan {
namespace {

class Grading : public ::testing::Test {
 protected:
  void SetUp() override { rules_ = *testing::shipped_config().rules.for_year(2023); }
  static void add_inspection(YearRecord& y, std::array<double, 6> scores) {
    y.inspections += 1;
    for (size_t i = 0; i < 6; ++i) y.score_sums[i] += Centi::from_double(scores[i])->hundredths;
  }
  static void add_inspection(YearRecord& y, double all) {
    add_inspection(y, {all, all, all, all, all, all});
  }
  static void add_survey(YearRecord& y, double s) {
    y.surveys += 1;
    y.satisfaction_sum += Centi::from_double(s)->hundredths;
  }
  static Particulars closed_at(double fee) {
    Particulars p;
    p.street = StreetId("yueyang");
    p.fee = *Centi::from_double(fee);
    p.enclosure = Enclosure::kClosed;
    return p;
  }
  RuleSet rules_;
};

TEST_F(Grading, ServiceScoreIsTheWeightedMeanOfDimensionMeansAndSatisfaction) {
  YearRecord y;
  add_inspection(y, 80);
  add_inspection(y, 90);  // every dimension's mean: 85
  add_survey(y, 70);
  // (90 × 85 + 10 × 70) / 100 = 83.50
  EXPECT_EQ(service_score(y, rules_), Centi{8350});
}

TEST_F(Grading, WithoutSurveySatisfactionsWeightIsSpreadOverTheSixDimensions) {
  YearRecord y;
  add_inspection(y, {90, 80, 80, 80, 80, 80});
  add_inspection(y, {90, 80, 80, 80, 80, 80});
  // (20 × 90 + 70 × 80) / 90 = 7400 / 90 = 82.222… -> 82.22
  EXPECT_EQ(service_score(y, rules_), Centi{8222});
}

TEST_F(Grading, ServiceScoreIsExactAndRoundedHalfUpOnce) {
  YearRecord y;
  add_inspection(y, 80.01);
  add_inspection(y, 80.00);
  // every mean is exactly 80.005: half up gives 80.01 (binary floating point gives 80.00)
  EXPECT_EQ(service_score(y, rules_), Centi{8001});
}

TEST_F(Grading, MeansOverDifferentCountsOfInspectionsAndSurveysStayExact) {
  YearRecord y;
  add_inspection(y, 70);
  add_inspection(y, 71);
  add_inspection(y, 71);  // dimension means 70.666…
  add_survey(y, 90);
  add_survey(y, 91);  // satisfaction mean 90.5
  // (90 × 212/3 + 10 × 90.5) / 100 = (6360 + 905) / 100 = 72.65 exactly
  EXPECT_EQ(service_score(y, rules_), Centi{7265});
}

TEST_F(Grading, NoInspectionNoScore) {
  YearRecord y;
  add_survey(y, 90);
  EXPECT_FALSE(service_score(y, rules_));
  Rating r = grade_year(y, closed_at(3.0), rules_);
  EXPECT_EQ(r.grade, Grade::kUnrated);
  EXPECT_FALSE(r.explanation.has_score);
}

TEST_F(Grading, FewerThanMinimumInspectionsLeavesTheCommunityUnrated) {
  YearRecord y;
  add_inspection(y, 99);
  Rating r = grade_year(y, closed_at(3.0), rules_);
  EXPECT_EQ(r.grade, Grade::kUnrated);
  ASSERT_EQ(r.explanation.vetoes.size(), 1u);
  EXPECT_EQ(r.explanation.vetoes[0], "fewer than 2 inspections (1): unrated");
}

TEST_F(Grading, ScoreExactlyOnAThresholdReachesTheGrade) {
  YearRecord y;
  add_inspection(y, 90);
  add_inspection(y, 90);
  EXPECT_EQ(grade_year(y, closed_at(2.5), rules_).grade, Grade::kExemplary);  // T1: 示范 ≥ 90
  YearRecord below;
  add_inspection(below, 89.99);
  add_inspection(below, 89.99);
  EXPECT_EQ(grade_year(below, closed_at(2.5), rules_).grade, Grade::kStandard);
}

TEST_F(Grading, ThresholdsDependOnTheFeeTier) {
  YearRecord y;
  add_inspection(y, 79);
  add_inspection(y, 79);                                                     // 79.00
  EXPECT_EQ(grade_year(y, closed_at(3.0), rules_).grade, Grade::kPassing);   // T1: 规范 ≥ 80
  EXPECT_EQ(grade_year(y, closed_at(2.0), rules_).grade, Grade::kStandard);  // T2: 规范 ≥ 78
  YearRecord low;
  add_inspection(low, 59.99);
  add_inspection(low, 59.99);
  Particulars scattered = closed_at(1.0);
  scattered.enclosure = Enclosure::kScattered;
  EXPECT_EQ(grade_year(low, scattered, rules_).grade, Grade::kFailing);  // T3: 达标 ≥ 60
}

TEST_F(Grading, FeeTierFromFeeAndEnclosure) {
  EXPECT_EQ(fee_tier(Centi{250}, Enclosure::kClosed, rules_).tier,
            "T1");  // exactly 2.5 is "2.5 元及以上"
  EXPECT_EQ(fee_tier(Centi{249}, Enclosure::kClosed, rules_).tier, "T2");
  EXPECT_EQ(fee_tier(Centi{249}, Enclosure::kScattered, rules_).tier, "T3");
  const TierResult unnamed = fee_tier(Centi{250}, Enclosure::kScattered, rules_);
  EXPECT_EQ(unnamed.tier, "T1");
  EXPECT_TRUE(unnamed.unnamed);
}

TEST_F(Grading, ExplanationCarriesScoresThresholdsAndRuleSet) {
  YearRecord y;
  add_inspection(y, 80);
  add_inspection(y, 80);
  add_survey(y, 60);
  Rating r = grade_year(y, closed_at(2.0), rules_);
  const Explanation& x = r.explanation;
  EXPECT_EQ(x.tier, "T2");
  EXPECT_EQ(x.scores.size(), 7u);
  EXPECT_EQ(x.weight_divisor, 100);
  EXPECT_EQ(x.service, Centi{7800});  // (90 × 80 + 10 × 60) / 100
  EXPECT_EQ(x.final_score, Centi{7800});
  EXPECT_EQ(x.thresholds.standard, Centi::whole(78));
  EXPECT_EQ(r.grade, Grade::kStandard);
  EXPECT_EQ(x.rule_set_id, "songjiang-2022-134");
  EXPECT_EQ(x.rule_set_hash, rules_.hash);
}

}  // namespace
}  // namespace jiayuan
