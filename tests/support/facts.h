// Builders for test facts.
#pragma once

#include <string>
#include <vector>

#include "events/facts.h"

namespace jiayuan::testing {

inline Envelope env(const std::string& id, const std::string& source, const std::string& date,
                    const std::string& subject) {
  Envelope e;
  e.id = id;
  e.source = source;
  e.occurred = *Date::parse(date);
  e.subject = subject;
  return e;
}

inline Event registered(const std::string& community, const std::string& street, double fee,
                        Enclosure enclosure = Enclosure::kClosed,
                        const std::string& date = "2022-06-01") {
  CommunityRegistered r;
  r.community = CommunityId(community);
  r.name = "测试小区";
  r.street = StreetId(street);
  r.households = 500;
  r.fee = *Centi::from_double(fee);
  r.enclosure = enclosure;
  r.category = Category::kCommodity;
  return Event{env("reg-" + community + "-" + date, "street." + street, date, community), r};
}

// Six equal dimension scores.
inline Event inspection(const std::string& community, double score, const std::string& date,
                        const std::string& id) {
  Inspection i;
  i.community = CommunityId(community);
  for (Centi& s : i.scores) s = *Centi::from_double(score);
  return Event{env(id, "bureau", date, community), i};
}

inline Event survey(const std::string& community, double score, const std::string& date,
                    const std::string& id) {
  return Event{env(id, "bureau", date, community),
               SatisfactionSurvey{CommunityId(community), *Centi::from_double(score)}};
}

inline Event review_closed(const std::string& community, int year, const std::string& date) {
  return Event{env("review-" + community, "bureau", date, community),
               ReviewClosed{CommunityId(community), year}};
}

// The registration of registered(community, street, fee) with its household count changed.
inline CommunityChanged households_changed(const std::string& community, const std::string& street,
                                           double fee, int households) {
  CommunityChanged changed;
  static_cast<CommunityRegistered&>(changed) =
      std::get<CommunityRegistered>(registered(community, street, fee).fact);
  changed.households = households;
  return changed;
}

}  // namespace jiayuan::testing

namespace jiayuan::testing {

// One event of every fact type, in kFactTypes order, with every optional field set.
inline std::vector<Event> one_of_each() {
  const CommunityId c("C1");
  const CompanyId co("CO1");
  auto e = [](const std::string& id, const std::string& source, const std::string& date, Fact f) {
    Event ev{env(id, source, date, ""), std::move(f)};
    ev.envelope.subject = subject_of(ev.fact);
    return ev;
  };
  const CommunityChanged changed = households_changed("C1", "yueyang", 2.2, 777);
  std::vector<Event> all = {
      registered("C1", "yueyang", 2.5),
      e("chg", "bureau", "2023-02-01", changed),
      e("fee", "bureau", "2023-03-01", FeeAdjusted{c, Centi{275}}),
      e("ct", "street.yueyang", "2022-06-01", ContractAssigned{c, co, ManagerId("PM1"), "王伟"}),
      e("co", "bureau", "2022-05-01",
        CompanyRegistered{co, "松江安居物业管理有限公司", "91310117MA10000139"}),
      inspection("C1", 86.5, "2023-03-01", "i1"),
      survey("C1", 91.25, "2023-04-01", "s1"),
      e("spot", "bureau", "2023-05-01", SpotCheck{c, false}),
      e("hot", "hotline", "2023-05-02", HotlineComplaint{c, true, false}),
      e("pet", "petitions", "2023-05-03", Petition{c, true}),
      e("cred", "bureau", "2023-05-04", CreditPoints{c, co, 3}),
      e("find", "chengguan", "2023-05-05",
        DepartmentFinding{c, FindingKind::kRubbishDumped, Severity::kSerious}),
      e("inc", "fire", "2023-05-06", SafetyIncident{c, Severity::kMajor}),
      e("media", "bureau", "2023-05-07", MediaReport{co, c, Tone::kPositive}),
      e("social", "bureau", "2023-05-08", SocialResponsibility{co, "助老"}),
      e("prop", "street.yueyang", "2024-01-03", StreetProposal{c, 2023, Grade::kStandard}),
      e("op", "greening", "2024-01-04", DepartmentOpinion{c, 2023, Stance::kObject, "绿化"}),
      review_closed("C1", 2023, "2024-01-10"),
      e("pub", "bureau", "2024-01-20", RatingsPublished{c, 2023}),
      e("int", "bureau", "2024-02-01", InterviewHeld{c, 2023, "整改", *Date::parse("2024-03-01")}),
      e("rect", "street.yueyang", "2024-02-20", RectificationSubmitted{c, 2023}),
      e("re", "bureau", "2024-02-25", Reinspection{c, 2023, false}),
      e("sanc", "market", "2024-03-01", SanctionApplied{c, 2023, "罚款", "条例"}),
      e("comm", "street.yueyang", "2022-01-01", CommitteeElected{c, 7, 3}),
      e("branch", "civil_affairs", "2022-02-01", PartyBranchEstablished{c}),
      e("gov", "street.yueyang", "2022-03-01",
        GovernanceCompleted{c, RenovationItem::kEbikeCharging}),
      e("waste", "greening", "2023-06-01", WasteSortingInspection{c, false}),
      e("tick", "jiayuan", "2024-06-30", Tick{}),
      e("retract", "bureau", "2024-04-01", FactRetracted{"i1", "录入错误"}),
  };
  return all;
}

}  // namespace jiayuan::testing
