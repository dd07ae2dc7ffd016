#include "workflows/community.h"

#include <gtest/gtest.h>

#include "config/config.h"
#include "events/binary_codec.h"
#include "tests/support/facts.h"

namespace jiayuan {
namespace {

using testing::inspection;
using testing::registered;
using testing::review_closed;

class CommunityWorkflow : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = load_config(JIAYUAN_TEST_CONFIG_DIR);
    ASSERT_TRUE(c) << c.error().message;
    config_ = std::move(*c);
  }
  Step fold(const Event& e) { return apply(state_, e, config_.rules); }
  Config config_;
  CommunityState state_;
};

TEST_F(CommunityWorkflow, ReviewClosedRatesTheYearWithADecisionDerivedFromItsCause) {
  fold(registered("C1", "yueyang", 3.0));
  fold(inspection("C1", 91, "2023-03-01", "i1"));
  fold(inspection("C1", 93, "2023-09-01", "i2"));
  Step s = fold(review_closed("C1", 2023, "2024-01-10"));
  ASSERT_FALSE(s.rejection);
  ASSERT_EQ(s.decisions.size(), 1u);
  const Decision& d = s.decisions[0];
  EXPECT_EQ(d.id, derive_decision_id("community.rated", CommunityId("C1"), 2023, "bureau", "review-C1"));
  const auto& rated = std::get<CommunityRated>(d.body);
  EXPECT_EQ(rated.grade, Grade::kExemplary);  // 92.00 ≥ 90 in T1
  EXPECT_EQ(rated.explanation.final_score, Centi{9200});
  EXPECT_EQ(d.log_date.to_string(), "2024-01-10");
}

TEST_F(CommunityWorkflow, FactsCountForTheYearWhoseWindowHoldsTheirDate) {
  fold(registered("C1", "yueyang", 3.0));
  fold(inspection("C1", 80, "2022-12-01", "i1"));  // first day of 2023's window
  fold(inspection("C1", 80, "2023-12-31", "i2"));  // last day of 2023's window
  fold(inspection("C1", 10, "2024-01-01", "i3"));  // 2024
  EXPECT_EQ(state_.years.at(2023).record.inspections, 2);
  EXPECT_EQ(state_.years.at(2024).record.inspections, 1);
}

TEST_F(CommunityWorkflow, ParticularsOnTheRatingDateDecideTheTier) {
  fold(registered("C1", "yueyang", 2.0, Enclosure::kClosed, "2022-06-01"));
  fold(registered("C1", "yueyang", 3.0, Enclosure::kClosed, "2023-12-31"));  // on the rating date: counts
  fold(registered("C1", "yueyang", 1.0, Enclosure::kScattered, "2024-01-01"));  // after: does not
  fold(inspection("C1", 85, "2023-03-01", "i1"));
  fold(inspection("C1", 85, "2023-04-01", "i2"));
  Step s = fold(review_closed("C1", 2023, "2024-01-10"));
  ASSERT_EQ(s.decisions.size(), 1u);
  EXPECT_EQ(std::get<CommunityRated>(s.decisions[0].body).explanation.tier, "T1");
}

TEST_F(CommunityWorkflow, FeeAdjustmentMovesTheTier) {
  fold(registered("C1", "yueyang", 2.0));  // T2
  Event fee{testing::env("fee1", "bureau", "2023-07-01", "C1"), FeeAdjusted{CommunityId("C1"), Centi{250}}};
  fold(fee);
  fold(inspection("C1", 85, "2023-03-01", "i1"));
  fold(inspection("C1", 85, "2023-04-01", "i2"));
  Step s = fold(review_closed("C1", 2023, "2024-01-10"));
  ASSERT_EQ(s.decisions.size(), 1u);
  EXPECT_EQ(std::get<CommunityRated>(s.decisions[0].body).explanation.tier, "T1");
  EXPECT_EQ(std::get<CommunityRated>(s.decisions[0].body).explanation.fee, Centi{250});
}

TEST_F(CommunityWorkflow, CompanyServingOnTheRatingDateAnswersForTheGrade) {
  fold(registered("C1", "yueyang", 3.0));
  auto contract = [&](const char* id, const char* date, const char* company) {
    fold(Event{testing::env(id, "bureau", date, "C1"),
               ContractAssigned{CommunityId("C1"), CompanyId(company), ManagerId(std::string("PM-") + company)}});
  };
  contract("k1", "2022-06-01", "OLD");
  contract("k2", "2023-12-31", "NEW");    // starts on the rating date: counts
  contract("k3", "2024-01-01", "LATER");  // after it: does not
  fold(inspection("C1", 85, "2023-03-01", "i1"));
  fold(inspection("C1", 85, "2023-04-01", "i2"));
  Step s = fold(review_closed("C1", 2023, "2024-01-10"));
  ASSERT_EQ(s.decisions.size(), 1u);
  EXPECT_EQ(std::get<CommunityRated>(s.decisions[0].body).summary.company.value, "NEW");
  EXPECT_EQ(std::get<CommunityRated>(s.decisions[0].body).summary.manager.value, "PM-NEW");
}

TEST_F(CommunityWorkflow, PublishedFailingGradeOpensACaseAndLogTimeEscalatesIt) {
  fold(registered("C1", "yueyang", 3.0));
  fold(inspection("C1", 50, "2023-03-01", "i1"));
  fold(inspection("C1", 50, "2023-04-01", "i2"));
  fold(review_closed("C1", 2023, "2024-01-10"));
  Step pub = fold(Event{testing::env("pub", "bureau", "2024-01-20", "C1"), RatingsPublished{CommunityId("C1"), 2023}});
  ASSERT_EQ(pub.decisions.size(), 2u);  // community.published, case.opened
  EXPECT_EQ(kind_of(pub.decisions[1].body), "case.opened");
  EXPECT_EQ(state_.next_deadline()->to_string(), "2024-02-20");
  EXPECT_TRUE(advance(state_, CommunityId("C1"), *Date::parse("2024-02-19"), config_.rules).decisions.empty());
  Step fired = advance(state_, CommunityId("C1"), *Date::parse("2024-02-20"), config_.rules);
  ASSERT_EQ(fired.decisions.size(), 1u);
  EXPECT_EQ(kind_of(fired.decisions[0].body), "case.escalated");
  EXPECT_FALSE(state_.next_deadline());
}

TEST_F(CommunityWorkflow, InspectionOfAnUnregisteredCommunityIsRejectedWithReason) {
  Step s = fold(inspection("C9", 85, "2023-03-01", "i1"));
  ASSERT_TRUE(s.rejection);
  EXPECT_EQ(s.rejection->code, "unknown_community");
  EXPECT_EQ(s.rejection->message, "data.community: expected a community registered on or before 2023-03-01, got \"C9\"");
  EXPECT_TRUE(state_.years.empty());
}

TEST_F(CommunityWorkflow, InspectionWhereNoRuleSetIsInForceIsRejected) {
  fold(registered("C1", "yueyang", 3.0));
  Step s = fold(inspection("C1", 85, "2025-03-01", "i1"));
  ASSERT_TRUE(s.rejection);
  EXPECT_EQ(s.rejection->code, "no_rule_set");
  EXPECT_EQ(s.rejection->message, "occurred: expected a date inside an evaluation year of a rule set, got 2025-03-01");
}

TEST_F(CommunityWorkflow, SameFactsGiveTheSameDecisionsByteForByte) {
  auto run = [&] {
    CommunityState s;
    std::vector<Event> facts = {registered("C1", "yueyang", 2.2), inspection("C1", 77.3, "2023-02-01", "a"),
                                inspection("C1", 81.9, "2023-05-01", "b"), review_closed("C1", 2023, "2024-01-10")};
    std::vector<Decision> out;
    for (const Event& e : facts) {
      Step st = apply(s, e, config_.rules);
      out.insert(out.end(), st.decisions.begin(), st.decisions.end());
    }
    return out;
  };
  const auto a = run();
  const auto b = run();
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(encode_decision_binary(a[0]), encode_decision_binary(b[0]));
}

}  // namespace
}  // namespace jiayuan
