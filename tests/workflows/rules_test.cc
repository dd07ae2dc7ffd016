// One test per rule of DOMAIN.md that grading_test.cc does not already name: deductions,
// vetoes, the proposal flag.
#include <gtest/gtest.h>

#include "config/config.h"
#include "workflows/grading.h"

namespace jiayuan {
namespace {

class Rules : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = load_config(JIAYUAN_TEST_CONFIG_DIR);
    ASSERT_TRUE(c) << c.error().message;
    rules_ = *c->rules.for_year(2023);
    // Two inspections of 90 everywhere: service 90.00 (T1 示范 threshold 90).
    year_.inspections = 2;
    year_.score_sums.fill(18000);
    p_.street = StreetId("yueyang");
    p_.fee = Centi{300};
  }
  static std::vector<std::string> refs(int n) {
    return std::vector<std::string>(static_cast<size_t>(n), "x/y");
  }
  Rating rate() { return grade_year(year_, p_, rules_); }
  Centi amount(const std::string& kind) {
    for (const DeductionLine& d : deductions(year_, rules_)) {
      if (d.kind == kind) return d.amount;
    }
    return Centi{-1};
  }
  RuleSet rules_;
  YearRecord year_;
  Particulars p_;
};

TEST_F(Rules, SubstantiatedHotlineComplaintCostsHalfAPointCappedAtTen) {
  year_.hotline_substantiated = refs(3);
  EXPECT_EQ(amount("hotline_substantiated"), Centi{150});
  year_.hotline_substantiated = refs(21);
  EXPECT_EQ(amount("hotline_substantiated"), Centi{1000});
}

TEST_F(Rules, LateHandlingCostsPointTwoIndependentlyOfSubstantiationCappedAtFive) {
  year_.hotline_substantiated = refs(1);
  year_.hotline_late = refs(1);  // the same complaint, late and substantiated: both apply
  EXPECT_EQ(rate().explanation.deductions_total, Centi{70});
  year_.hotline_late = refs(30);
  EXPECT_EQ(amount("hotline_late"), Centi{500});
}

TEST_F(Rules, SubstantiatedPetitionCostsTwoCappedAtTen) {
  year_.petitions_substantiated = refs(2);
  EXPECT_EQ(amount("petition_substantiated"), Centi{400});
  year_.petitions_substantiated = refs(6);
  EXPECT_EQ(amount("petition_substantiated"), Centi{1000});
}

TEST_F(Rules, CreditPointsCostOnePerPointCappedAtFifteen) {
  year_.credit_points = 4;
  year_.credit_facts = refs(1);
  EXPECT_EQ(amount("credit_points"), Centi{400});
  year_.credit_points = 16;
  EXPECT_EQ(amount("credit_points"), Centi{1500});
}

TEST_F(Rules, DepartmentFindingsCostOneThreeFiveBySeverityUnderOneCap) {
  year_.findings[0] = refs(1);
  year_.findings[1] = refs(1);
  year_.findings[2] = refs(1);
  EXPECT_EQ(amount("department_findings"), Centi{900});
  year_.findings[2] = refs(3);  // 1 + 3 + 15 = 19 → 15
  EXPECT_EQ(amount("department_findings"), Centi{1500});
}

TEST_F(Rules, FailedSpotCheckCostsTwoCappedAtTen) {
  year_.spot_checks = 7;
  year_.spot_checks_failed = refs(6);
  EXPECT_EQ(amount("spot_check_failed"), Centi{1000});
}

TEST_F(Rules, FinalScoreIsServiceLessDeductionsFlooredAtZero) {
  year_.score_sums.fill(1000);  // means 5.00
  year_.petitions_substantiated = refs(5);
  Rating r = rate();
  EXPECT_EQ(r.explanation.service, Centi{500});
  EXPECT_EQ(r.explanation.final_score, Centi{0});
  EXPECT_EQ(r.grade, Grade::kFailing);
}

TEST_F(Rules, MinorAndSeriousSafetyIncidentsCostNothing) {
  // Only major incidents are recorded for the veto; nothing else deducts.
  EXPECT_EQ(rate().explanation.deductions_total, Centi{0});
  EXPECT_EQ(rate().grade, Grade::kExemplary);
}

TEST_F(Rules, MajorSafetyIncidentVetoesTheYearEvenWithTooFewInspections) {
  year_.major_incidents = {"fire/1"};
  EXPECT_EQ(rate().grade, Grade::kFailing);
  year_.inspections = 0;
  year_.score_sums.fill(0);
  Rating r = rate();
  EXPECT_EQ(r.grade, Grade::kFailing);
  ASSERT_EQ(r.explanation.vetoes.size(), 1u);
  EXPECT_EQ(r.explanation.vetoes[0], "major safety incident (fire/1): 不达标");
}

TEST_F(Rules, DepartmentObjectionCapsExemplaryAtStandard) {
  year_.opinions["greening"] = {*Date::parse("2024-01-05"), Stance::kObject};
  Rating r = rate();
  EXPECT_EQ(r.grade, Grade::kStandard);
  EXPECT_EQ(r.explanation.vetoes.back(), "department objection (greening): 示范 capped at 规范");
}

TEST_F(Rules, ObjectionDoesNotTouchGradesBelowExemplary) {
  year_.score_sums.fill(17000);  // 85
  year_.opinions["greening"] = {*Date::parse("2024-01-05"), Stance::kObject};
  EXPECT_EQ(rate().grade, Grade::kStandard);
  EXPECT_TRUE(rate().explanation.vetoes.empty());
}

TEST_F(Rules, AnotherDepartmentsSupportDoesNotLiftAnObjection) {
  year_.opinions["greening"] = {*Date::parse("2024-01-05"), Stance::kObject};
  year_.opinions["water"] = {*Date::parse("2024-01-06"), Stance::kSupport};
  EXPECT_EQ(rate().grade, Grade::kStandard);
}

TEST_F(Rules, ProposalMoreThanOneStepAwayIsFlaggedUnratedNever) {
  EXPECT_FALSE(proposal_flagged(Grade::kStandard, Grade::kExemplary));
  EXPECT_FALSE(proposal_flagged(Grade::kPassing, Grade::kStandard));
  EXPECT_TRUE(proposal_flagged(Grade::kPassing, Grade::kExemplary));
  EXPECT_TRUE(proposal_flagged(Grade::kExemplary, Grade::kFailing));
  EXPECT_FALSE(proposal_flagged(Grade::kExemplary, Grade::kUnrated));
}

}  // namespace
}  // namespace jiayuan
