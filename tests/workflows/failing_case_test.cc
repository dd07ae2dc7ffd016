// The failing-case lifecycle of DOMAIN.md, at its boundaries. P = 2024-01-20.
#include "workflows/failing_case.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace jiayuan {
namespace {

Date d(const char* s) { return *Date::parse(s); }

class FailingCaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = load_config(JIAYUAN_TEST_CONFIG_DIR);
    ASSERT_TRUE(c);
    rules_ = *c->rules.for_year(2023);
    c_ = open_case(d("2024-01-20"), rules_, steps_);
  }
  std::vector<std::string> names() {
    std::vector<std::string> out;
    for (const auto& s : steps_) out.push_back(std::string(to_string(s.step)));
    return out;
  }
  RuleSet rules_;
  std::vector<CaseStep> steps_;
  FailingCase c_;
};

TEST_F(FailingCaseTest, PublicationOfAFailingGradeRequiresAnInterviewWithinThirtyDays) {
  EXPECT_EQ(c_.status, CaseStatus::kInterviewDue);
  EXPECT_EQ(c_.interview_due.to_string(), "2024-02-19");
  ASSERT_EQ(steps_.size(), 1u);
  EXPECT_EQ(steps_[0].due.to_string(), "2024-02-19");
}

TEST_F(FailingCaseTest, TickExactlyAtTheInterviewDeadlineDoesNotEscalate) {
  advance_case(c_, d("2024-02-19"), rules_, steps_);
  EXPECT_EQ(c_.status, CaseStatus::kInterviewDue);
  advance_case(c_, d("2024-02-20"), rules_, steps_);
  EXPECT_EQ(c_.status, CaseStatus::kEscalated);
  EXPECT_EQ(c_.escalated_on.to_string(), "2024-02-20");
  EXPECT_EQ(c_.reason, "missed_interview");
}

TEST_F(FailingCaseTest, EscalationOnALateTickIsDatedTheDayAfterTheDeadline) {
  advance_case(c_, d("2024-06-30"), rules_, steps_);
  EXPECT_EQ(c_.escalated_on.to_string(), "2024-02-20");
  ASSERT_EQ(c_.obligations.size(), 3u);
  EXPECT_EQ(c_.obligations[0].due.to_string(), "2024-03-21");
}

TEST_F(FailingCaseTest, InterviewBeforePublicationDoesNotCount) {
  on_interview(c_, d("2024-01-19"), std::nullopt, rules_, steps_);
  EXPECT_EQ(c_.status, CaseStatus::kInterviewDue);
}

TEST_F(FailingCaseTest, InterviewSetsTheGivenDeadlineOrSixtyDays) {
  on_interview(c_, d("2024-02-01"), std::nullopt, rules_, steps_);
  EXPECT_EQ(c_.deadline.to_string(), "2024-04-01");  // 2024-02-01 + 60 (leap February)
  FailingCase other = open_case(d("2024-01-20"), rules_, steps_);
  on_interview(other, d("2024-02-01"), d("2024-02-15"), rules_, steps_);
  EXPECT_EQ(other.deadline.to_string(), "2024-02-15");
}

TEST_F(FailingCaseTest, PassedReinspectionWithinTheDeadlineClosesTheCase) {
  on_interview(c_, d("2024-02-01"), d("2024-03-01"), rules_, steps_);
  on_rectification(c_, d("2024-02-20"), steps_);
  on_reinspection(c_, d("2024-03-01"), true, rules_, steps_);  // on D exactly
  EXPECT_EQ(c_.status, CaseStatus::kRectified);
  EXPECT_EQ(names(), (std::vector<std::string>{"opened", "interview_held",
                                               "rectification_submitted", "rectified"}));
}

TEST_F(FailingCaseTest, FailedReinspectionEscalatesThatDay) {
  on_interview(c_, d("2024-02-01"), std::nullopt, rules_, steps_);
  on_reinspection(c_, d("2024-03-05"), false, rules_, steps_);
  EXPECT_EQ(c_.status, CaseStatus::kEscalated);
  EXPECT_EQ(c_.escalated_on.to_string(), "2024-03-05");
  EXPECT_EQ(c_.reason, "failed_reinspection");
}

TEST_F(FailingCaseTest, NoReinspectionByTheDeadlineEscalatesTheDayAfter) {
  on_interview(c_, d("2024-02-01"), d("2024-03-01"), rules_, steps_);
  advance_case(c_, d("2024-03-01"), rules_, steps_);
  EXPECT_EQ(c_.status, CaseStatus::kRectifying);
  advance_case(c_, d("2024-03-02"), rules_, steps_);
  EXPECT_EQ(c_.status, CaseStatus::kEscalated);
  EXPECT_EQ(c_.escalated_on.to_string(), "2024-03-02");
  EXPECT_EQ(c_.reason, "missed_deadline");
}

TEST_F(FailingCaseTest, CaseClosesWhenEachOfTheThreeDepartmentsRecordedItsMeasure) {
  advance_case(c_, d("2024-03-01"), rules_, steps_);   // escalated 2024-02-20
  on_sanction(c_, d("2024-02-19"), "market", steps_);  // before escalation: does not count
  EXPECT_FALSE(c_.obligations[0].fulfilled);
  on_sanction(c_, d("2024-02-20"), "market", steps_);
  on_sanction(c_, d("2024-03-01"), "chengguan", steps_);
  EXPECT_EQ(c_.status, CaseStatus::kEscalated);
  on_sanction(c_, d("2024-04-01"), "police", steps_);
  EXPECT_EQ(c_.status, CaseStatus::kSanctioned);
  EXPECT_EQ(steps_.back().step, CaseStepKind::kSanctioned);
  EXPECT_EQ(steps_.back().on.to_string(), "2024-04-01");
}

}  // namespace
}  // namespace jiayuan
