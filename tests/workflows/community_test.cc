#include "workflows/community.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "config/config.h"
#include "events/binary_codec.h"
#include "tests/support/config.h"
#include "tests/support/facts.h"

namespace jiayuan {
namespace {

using testing::env;
using testing::inspection;
using testing::registered;
using testing::review_closed;

class CommunityWorkflow : public ::testing::Test {
 protected:
  void SetUp() override { config_ = testing::shipped_config(); }
  FoldContext context() const { return FoldContext{config_.rules, config_.authority, time_}; }
  Step fold(const Event& e, const Event* retracted = nullptr) {
    return apply(state_, e, context(), retracted);
  }
  Step tick(const std::string& date) {
    time_.ticks.push_back(Date::parse(date)->days());
    std::sort(time_.ticks.begin(), time_.ticks.end());
    return recompute(state_, CommunityId("C1"), context(), std::nullopt, "jiayuan", "tick-" + date,
                     *Date::parse(date));
  }
  static Event published(const std::string& date) {
    return Event{env("pub-" + date, "bureau", date, "C1"),
                 RatingsPublished{CommunityId("C1"), 2023}};
  }
  static Event interview(const std::string& date) {
    return Event{env("int-" + date, "bureau", date, "C1"),
                 InterviewHeld{CommunityId("C1"), 2023, "整改", std::nullopt}};
  }
  static Event proposal(const std::string& id, const std::string& date, Grade g) {
    return Event{env(id, "street.yueyang", date, "C1"), StreetProposal{CommunityId("C1"), 2023, g}};
  }
  static Event complaint(const std::string& id, const std::string& date) {
    return Event{env(id, "hotline", date, "C1"), HotlineComplaint{CommunityId("C1"), true, true}};
  }
  const CommunityRated& rating() { return rated_in(last_of("community.rated")); }
  static const CommunityRated& rated_in(const Decision& d) {
    return std::get<CommunityRated>(d.body);
  }
  // The last decision of a kind taken since the test began.
  const Decision& last_of(const std::string& kind) {
    for (auto it = taken_.rbegin(); it != taken_.rend(); ++it) {
      if (kind_of(it->body) == kind) return *it;
    }
    static Decision none;
    ADD_FAILURE() << "no " << kind << " decision";
    return none;
  }
  Step keep(Step s) {
    taken_.insert(taken_.end(), s.decisions.begin(), s.decisions.end());
    return s;
  }
  Config config_;
  CommunityState state_;
  PartitionTime time_;
  std::vector<Decision> taken_;
};

TEST_F(CommunityWorkflow, ReviewClosedRatesTheYearWithADecisionDerivedFromItsCause) {
  fold(registered("C1", "yueyang", 3.0));
  fold(inspection("C1", 91, "2023-03-01", "i1"));
  fold(inspection("C1", 93, "2023-09-01", "i2"));
  Step s = fold(review_closed("C1", 2023, "2024-01-10"));
  ASSERT_TRUE(s.rejected.empty());
  ASSERT_EQ(s.decisions.size(), 1u);
  const Decision& d = s.decisions[0];
  EXPECT_EQ(d.id,
            derive_decision_id("community.rated", CommunityId("C1"), 2023, "bureau", "review-C1"));
  EXPECT_TRUE(d.revises.empty());
  const auto& rated = std::get<CommunityRated>(d.body);
  EXPECT_EQ(rated.grade, Grade::kExemplary);  // 92.00 ≥ 90 in T1
  EXPECT_EQ(rated.explanation.final_score, Centi{9200});
  EXPECT_EQ(rated.rated_on.to_string(), "2024-01-10");
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
  fold(registered("C1", "yueyang", 3.0, Enclosure::kClosed,
                  "2023-12-31"));  // on the rating date: counts
  fold(registered("C1", "yueyang", 1.0, Enclosure::kScattered, "2024-01-01"));  // after: does not
  fold(inspection("C1", 85, "2023-03-01", "i1"));
  fold(inspection("C1", 85, "2023-04-01", "i2"));
  Step s = fold(review_closed("C1", 2023, "2024-01-10"));
  ASSERT_EQ(s.decisions.size(), 1u);
  EXPECT_EQ(std::get<CommunityRated>(s.decisions[0].body).explanation.tier, "T1");
}

TEST_F(CommunityWorkflow, FeeAdjustmentMovesTheTier) {
  fold(registered("C1", "yueyang", 2.0));  // T2
  fold(
      Event{env("fee1", "bureau", "2023-07-01", "C1"), FeeAdjusted{CommunityId("C1"), Centi{250}}});
  fold(inspection("C1", 85, "2023-03-01", "i1"));
  fold(inspection("C1", 85, "2023-04-01", "i2"));
  Step s = fold(review_closed("C1", 2023, "2024-01-10"));
  ASSERT_EQ(s.decisions.size(), 1u);
  EXPECT_EQ(std::get<CommunityRated>(s.decisions[0].body).explanation.tier, "T1");
  EXPECT_EQ(std::get<CommunityRated>(s.decisions[0].body).explanation.fee, Centi{250});
}

// DOMAIN.md "Partial changes": a change patches the fields it carries over the particulars of
// its date, whatever the order the changes arrive in.
TEST_F(CommunityWorkflow, APartialChangePatchesOnlyItsFieldsInAnyArrivalOrder) {
  auto change = [](const std::string& id, const std::string& date, auto patch) {
    CommunityChanged c;
    c.community = CommunityId("C1");
    patch(c);
    return Event{env(id, "street.yueyang", date, "C1"), c};
  };
  const Event fee = change("ch-fee", "2023-03-01", [](CommunityChanged& c) {
    c.fee = Centi{250};
    c.changed = kChangedFee;
  });
  const Event enclosure = change("ch-enc", "2023-06-01", [](CommunityChanged& c) {
    c.enclosure = Enclosure::kScattered;
    c.changed = kChangedEnclosure;
  });
  const Event name = change("ch-name", "2023-02-01", [](CommunityChanged& c) {
    c.name = "新名";
    c.changed = kChangedName;
  });
  std::vector<Event> facts = {registered("C1", "yueyang", 2.0), fee, enclosure, name};
  std::sort(facts.begin(), facts.end(),
            [](const Event& a, const Event& b) { return a.envelope.id < b.envelope.id; });
  std::optional<Particulars> first;
  do {
    CommunityState s;
    for (const Event& e : facts) apply(s, e, context());
    const auto p = s.particulars_on(*Date::parse("2023-12-31"));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->fee, Centi{250});
    EXPECT_EQ(p->enclosure, Enclosure::kScattered);
    EXPECT_EQ(p->name, "新名");
    EXPECT_EQ(p->street, StreetId("yueyang"));  // not carried: unchanged
    EXPECT_EQ(p->households,
              std::get<CommunityRegistered>(registered("C1", "yueyang", 2.0).fact).households);
    const auto before = s.particulars_on(*Date::parse("2023-04-01"));
    ASSERT_TRUE(before);
    EXPECT_EQ(before->enclosure, Enclosure::kClosed);  // the enclosure changes in June
    EXPECT_EQ(before->fee, Centi{250});
  } while (std::next_permutation(facts.begin(), facts.end(), [](const Event& a, const Event& b) {
    return a.envelope.id < b.envelope.id;
  }));
}

TEST_F(CommunityWorkflow, CompanyServingOnTheRatingDateAnswersForTheGrade) {
  fold(registered("C1", "yueyang", 3.0));
  auto contract = [&](const char* id, const char* date, const char* company) {
    fold(Event{env(id, "bureau", date, "C1"),
               ContractAssigned{CommunityId("C1"), CompanyId(company),
                                ManagerId(std::string("PM-") + company), ""}});
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
  Step pub = fold(published("2024-01-20"));
  ASSERT_EQ(pub.decisions.size(), 2u);  // community.published, case.opened
  EXPECT_EQ(kind_of(pub.decisions[0].body), "community.published");
  EXPECT_EQ(kind_of(pub.decisions[1].body), "case.opened");
  EXPECT_TRUE(has_case(state_));
  EXPECT_TRUE(tick("2024-02-19").decisions.empty());  // P+30: the interview is still due
  Step fired = tick("2024-02-20");                    // log time passes P+30
  ASSERT_EQ(fired.decisions.size(), 1u);
  EXPECT_EQ(kind_of(fired.decisions[0].body), "case.escalated");
  EXPECT_EQ(std::get<CaseStep>(fired.decisions[0].body).on.to_string(), "2024-02-20");
  EXPECT_EQ(fired.decisions[0].log_date.to_string(), "2024-02-20");  // known from the tick
}

TEST_F(CommunityWorkflow, FactsThatArriveBeforeWhatTheyNameWaitAndCountOnceRegistered) {
  EXPECT_TRUE(fold(inspection("C1", 80, "2023-03-01", "i1")).rejected.empty());
  EXPECT_TRUE(fold(inspection("C1", 90, "2023-04-01", "i2")).rejected.empty());
  ASSERT_EQ(state_.waiting.size(), 2u);
  EXPECT_TRUE(state_.years.empty());
  Step reg = fold(registered("C1", "yueyang", 3.0, Enclosure::kClosed, "2022-06-01"));
  EXPECT_TRUE(reg.rejected.empty());
  EXPECT_TRUE(state_.waiting.empty());
  EXPECT_EQ(state_.years.at(2023).record.inspections, 2);
}

// A waiting fact is kept in the stored form the caller gives (stage 1 passes the log record's
// bytes, already encoded), not encoded again; placed, it is that form that counts. (Here the given
// form scores 95 where the event says 80, to tell the two apart.)
TEST_F(CommunityWorkflow, AWaitingFactIsKeptInTheStoredFormGivenNotEncodedAgain) {
  const std::string stored = encode_event_binary(inspection("C1", 95, "2023-03-01", "given"));
  apply(state_, inspection("C1", 80, "2023-03-01", "given"), context(), nullptr, stored);
  const Event encoded = inspection("C1", 90, "2023-04-01", "encoded");
  fold(encoded);
  ASSERT_EQ(state_.waiting.size(), 2u);
  EXPECT_EQ(state_.waiting[0].stored, stored);
  EXPECT_EQ(state_.waiting[1].stored, encode_event_binary(encoded));
  fold(registered("C1", "yueyang", 3.0, Enclosure::kClosed, "2022-06-01"));
  const YearRecord& r = state_.years.at(2023).record;
  EXPECT_EQ(r.inspections, 2);
  EXPECT_EQ(r.score_sums[0], 9500 + 9000);
}

TEST_F(CommunityWorkflow, AFactDatedBeforeTheRegistrationThatArrivesIsRejectedThen) {
  fold(inspection("C1", 80, "2022-12-05", "early"));
  Step reg = fold(registered("C1", "yueyang", 3.0, Enclosure::kClosed, "2023-01-10"));
  ASSERT_EQ(reg.rejected.size(), 1u);
  EXPECT_EQ(reg.rejected[0].event.envelope.id, "early");
  EXPECT_EQ(reg.rejected[0].reason.code, "not_registered_then");
  EXPECT_EQ(reg.rejected[0].reason.message,
            "occurred: expected a date on or after the community's registration (2023-01-10), got "
            "2022-12-05");
  // Whether a fact counts is a function of the set: an earlier registration places it after all.
  fold(registered("C1", "yueyang", 3.0, Enclosure::kClosed, "2022-06-01"));
  EXPECT_EQ(state_.years.at(2023).record.inspections, 1);
}

TEST_F(CommunityWorkflow, EachStepReportsHowTheWaitingFactsChangedSoTheirListingFollows) {
  using What = WaitingChange::What;
  auto only = [](const Step& s) {
    EXPECT_EQ(s.waiting.size(), 1u);
    return s.waiting.empty() ? WaitingChange{} : s.waiting[0];
  };
  const WaitingChange waits = only(fold(inspection("C1", 80, "2022-12-05", "early")));
  EXPECT_EQ(waits.what, What::kWaits);
  EXPECT_EQ(waits.id, "early");
  EXPECT_FALSE(waits.reported);
  const Event second = inspection("C1", 90, "2023-03-01", "second");
  EXPECT_EQ(only(fold(second)).what, What::kWaits);
  // A registration between them: one is placed (leaves), the other found dated before it.
  Step reg = fold(registered("C1", "yueyang", 3.0, Enclosure::kClosed, "2023-01-10"));
  ASSERT_EQ(reg.waiting.size(), 2u);
  EXPECT_EQ(reg.waiting[0].what, What::kReported);
  EXPECT_EQ(reg.waiting[0].id, "early");
  EXPECT_EQ(reg.waiting[1].what, What::kLeft);
  EXPECT_EQ(reg.waiting[1].id, "second");
  // Arriving dated before the registration there is: it waits, reported at once.
  const WaitingChange late = only(fold(inspection("C1", 70, "2022-11-01", "later-early")));
  EXPECT_EQ(late.what, What::kWaits);
  EXPECT_TRUE(late.reported);
  // Retracted while waiting: it leaves. A fact that counts leaves nothing to report.
  const Event retraction{env("r1", "bureau", "2023-02-01", ""),
                         FactRetracted{"later-early", "录入错误"}};
  const Event retracted = inspection("C1", 70, "2022-11-01", "later-early");
  EXPECT_EQ(only(fold(retraction, &retracted)).what, What::kLeft);
  EXPECT_TRUE(fold(inspection("C1", 85, "2023-04-01", "counts")).waiting.empty());
  EXPECT_EQ(state_.waiting.size(), 1u);
}

TEST_F(CommunityWorkflow, InspectionWhereNoRuleSetIsInForceIsRejected) {
  fold(registered("C1", "yueyang", 3.0));
  Step s = fold(inspection("C1", 85, "2025-03-01", "i1"));
  ASSERT_EQ(s.rejected.size(), 1u);
  EXPECT_EQ(s.rejected[0].reason.code, "no_rule_set");
  EXPECT_EQ(s.rejected[0].reason.message,
            "occurred: expected a date inside an evaluation year of a rule set, got 2025-03-01");
}

TEST_F(CommunityWorkflow, AnEvaluationFactAfterTheReviewIsARevisionNamingTheDecisionItRevises) {
  fold(registered("C1", "yueyang", 3.0));
  fold(inspection("C1", 91, "2023-03-01", "i1"));
  fold(inspection("C1", 91, "2023-09-01", "i2"));
  keep(fold(review_closed("C1", 2023, "2024-01-10")));
  const std::string first = last_of("community.rated").id;
  EXPECT_EQ(rating().grade, Grade::kExemplary);
  // An incident of 2023-08-31 reported after the review: the year is 不达标 after all.
  Step late = keep(fold(Event{env("inc", "fire", "2023-08-31", "C1"),
                              SafetyIncident{CommunityId("C1"), Severity::kMajor}}));
  ASSERT_EQ(late.decisions.size(), 1u);
  const Decision& revision = late.decisions[0];
  EXPECT_EQ(revision.revises, first);
  EXPECT_EQ(revision.cause_id, "inc");
  EXPECT_EQ(rated_in(revision).grade, Grade::kFailing);
  EXPECT_EQ(revision.log_date.to_string(),
            "2024-01-10");  // dated by the review it revises, not before
}

TEST_F(CommunityWorkflow, ProposalsAndOpinionsDatedAfterTheReviewChangeNothingAndAreListed) {
  fold(registered("C1", "yueyang", 3.0));
  fold(inspection("C1", 91, "2023-03-01", "i1"));
  fold(inspection("C1", 91, "2023-09-01", "i2"));
  keep(fold(review_closed("C1", 2023, "2024-01-10")));
  Step late = keep(fold(proposal("late", "2024-01-11", Grade::kFailing)));
  ASSERT_EQ(late.decisions.size(), 1u);  // the explanation lists it: a revision, same grade
  EXPECT_EQ(rating().grade, Grade::kExemplary);
  EXPECT_FALSE(rating().has_proposal);
  EXPECT_FALSE(rating().proposal_flagged);
  ASSERT_EQ(rating().explanation.after_review.size(), 1u);
  EXPECT_EQ(rating().explanation.after_review[0], "street.yueyang/late (proposal of 2024-01-11)");
}

TEST_F(CommunityWorkflow, AProposalOnTheReviewDateCountsWhateverTheOrder) {
  for (bool proposal_first : {true, false}) {
    state_ = {};
    taken_.clear();
    fold(registered("C1", "yueyang", 3.0));
    fold(inspection("C1", 91, "2023-03-01", "i1"));
    fold(inspection("C1", 91, "2023-09-01", "i2"));
    if (proposal_first) keep(fold(proposal("p", "2024-01-10", Grade::kFailing)));
    keep(fold(review_closed("C1", 2023, "2024-01-10")));
    if (!proposal_first) keep(fold(proposal("p", "2024-01-10", Grade::kFailing)));
    EXPECT_TRUE(rating().has_proposal) << proposal_first;
    EXPECT_TRUE(rating().proposal_flagged) << proposal_first;  // 不达标 proposed, 示范 decided
  }
}

TEST_F(CommunityWorkflow, OnOneDateTheLatestProposalIsTheLastBySourceThenId) {
  fold(registered("C1", "yueyang", 3.0));
  fold(inspection("C1", 91, "2023-03-01", "i1"));
  fold(inspection("C1", 91, "2023-09-01", "i2"));
  fold(proposal("p-b", "2024-01-05", Grade::kStandard));
  fold(proposal("p-a", "2024-01-05", Grade::kFailing));  // arrives last, sorts first by id
  keep(fold(review_closed("C1", 2023, "2024-01-10")));
  EXPECT_EQ(rating().proposal, Grade::kStandard);
}

TEST_F(CommunityWorkflow, AnInterviewArrivingAfterTheEscalationItPreventsRevisesTheCase) {
  fold(registered("C1", "yueyang", 3.0));
  fold(inspection("C1", 50, "2023-03-01", "i1"));
  fold(inspection("C1", 50, "2023-04-01", "i2"));
  fold(review_closed("C1", 2023, "2024-01-10"));
  keep(fold(published("2024-01-20")));
  // The community's own later fact moves its log time past P+30: escalated.
  Step escalated = keep(fold(inspection("C1", 60, "2024-03-05", "i2024")));
  ASSERT_EQ(escalated.decisions.size(), 1u);
  EXPECT_EQ(kind_of(escalated.decisions[0].body), "case.escalated");
  // The interview of 2024-02-10 arrives late: there was never an escalation.
  Step revised = keep(fold(interview("2024-02-10")));
  ASSERT_EQ(revised.decisions.size(), 1u);
  const Decision& d = revised.decisions[0];
  EXPECT_EQ(kind_of(d.body), "case.revised");
  EXPECT_EQ(d.revises, escalated.decisions[0].id);
  const auto& entries = std::get<CaseRevised>(d.body).entries;
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].step.step, CaseStepKind::kOpened);
  EXPECT_EQ(entries[1].step.step, CaseStepKind::kInterviewHeld);
}

TEST_F(CommunityWorkflow, ARetractedFactCountsAsNeverHavingHappened) {
  fold(registered("C1", "yueyang", 3.0));
  fold(inspection("C1", 91, "2023-03-01", "i1"));
  fold(inspection("C1", 91, "2023-09-01", "i2"));
  const Event incident{env("inc", "fire", "2023-08-31", "C1"),
                       SafetyIncident{CommunityId("C1"), Severity::kMajor}};
  fold(incident);
  keep(fold(review_closed("C1", 2023, "2024-01-10")));
  EXPECT_EQ(rating().grade, Grade::kFailing);
  const Event retraction{env("r1", "fire", "2024-02-01", ""), FactRetracted{"inc", "误报"}};
  Step s = keep(fold(retraction, &incident));
  ASSERT_EQ(s.decisions.size(), 1u);
  EXPECT_EQ(s.decisions[0].cause_id, "r1");
  EXPECT_EQ(rating().grade, Grade::kExemplary);
  EXPECT_TRUE(rating().explanation.vetoes.empty());
}

TEST_F(CommunityWorkflow, RetractingTheReviewWithdrawsTheRating) {
  fold(registered("C1", "yueyang", 3.0));
  fold(inspection("C1", 91, "2023-03-01", "i1"));
  fold(inspection("C1", 91, "2023-09-01", "i2"));
  const Event review = review_closed("C1", 2023, "2024-01-10");
  keep(fold(review));
  Step s = keep(
      fold(Event{env("r1", "bureau", "2024-01-12", ""), FactRetracted{"review-C1", "提前关闭"}},
           &review));
  ASSERT_EQ(s.decisions.size(), 1u);
  EXPECT_TRUE(rated_in(s.decisions[0]).withdrawn);
  EXPECT_EQ(s.decisions[0].revises, taken_.front().id);
}

// The outcome of every shuffle of one community's facts: its rating and its case as stage 1
// last decided them.
std::string outcome_of(const std::vector<Event>& facts, const Config& config,
                       const PartitionTime& time) {
  CommunityState s;
  FoldContext ctx{config.rules, config.authority, time};
  for (const Event& e : facts) (void)apply(s, e, ctx);
  const Decided& d = s.years.at(2023).decided;
  std::string out =
      "grade " + std::to_string(static_cast<int>(d.grade)) + " P " + d.published_on.to_string();
  for (const CaseEntry& e : d.case_entries) {
    out += " | " + std::string(to_string(e.step.step)) + " " + e.step.on.to_string() + " known " +
           e.known.to_string();
  }
  return out;
}

TEST_F(CommunityWorkflow, EveryOrderOfTheSameFactsGivesTheSameOutcomes) {
  std::vector<Event> facts = {
      registered("C1", "yueyang", 3.0),
      inspection("C1", 50, "2023-03-01", "i1"),
      inspection("C1", 52, "2023-05-01", "i2"),
      complaint("h1", "2023-06-01"),
      review_closed("C1", 2023, "2024-01-10"),
      proposal("p1", "2024-01-10", Grade::kPassing),
      published("2024-01-20"),
      interview("2024-02-10"),
      Event{env("rect", "street.yueyang", "2024-03-20", "C1"),
            RectificationSubmitted{CommunityId("C1"), 2023}},
      Event{env("re", "bureau", "2024-04-01", "C1"), Reinspection{CommunityId("C1"), 2023, false}},
      Event{env("s1", "market", "2024-04-20", "C1"),
            SanctionApplied{CommunityId("C1"), 2023, "罚款", ""}},
      inspection("C1", 70, "2024-06-01", "i2024"),
  };
  const std::string expected = outcome_of(facts, config_, time_);
  EXPECT_NE(expected.find("escalated 2024-04-01"), std::string::npos) << expected;
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::shuffle(facts.begin(), facts.end(), rng);
    ASSERT_EQ(outcome_of(facts, config_, time_), expected) << "round " << round;
  }
}

TEST_F(CommunityWorkflow, SameFactsGiveTheSameDecisionsByteForByte) {
  auto run = [&] {
    CommunityState s;
    std::vector<Event> facts = {
        registered("C1", "yueyang", 2.2), inspection("C1", 77.3, "2023-02-01", "a"),
        inspection("C1", 81.9, "2023-05-01", "b"), review_closed("C1", 2023, "2024-01-10")};
    std::vector<Decision> out;
    for (const Event& e : facts) {
      Step st = apply(s, e, context());
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
