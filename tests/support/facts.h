// Builders for test facts.
#pragma once

#include <string>

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
                        Enclosure enclosure = Enclosure::kClosed, const std::string& date = "2022-06-01") {
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

inline Event survey(const std::string& community, double score, const std::string& date, const std::string& id) {
  return Event{env(id, "bureau", date, community), SatisfactionSurvey{CommunityId(community), *Centi::from_double(score)}};
}

inline Event review_closed(const std::string& community, int year, const std::string& date) {
  return Event{env("review-" + community, "bureau", date, community), ReviewClosed{CommunityId(community), year}};
}

}  // namespace jiayuan::testing
