#include "projections/projector.h"

#include <gtest/gtest.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <set>

#include "config/config.h"
#include "projections/queries.h"
#include "projections/records.h"
#include "tests/support/config.h"
#include "tests/support/facts.h"
#include "tests/support/temp_dir.h"

namespace jiayuan {
namespace {

using nlohmann::json;

class ProjectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::shipped_config();
    auto s = Store::open(dir_ / "engine");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    projector_ = std::make_unique<Projector>(*store_, config_);
  }
  static Decision rated(const std::string& community, const std::string& street, Grade g,
                        const std::string& cause) {
    Decision d;
    d.community = CommunityId(community);
    d.year = 2023;
    d.cause_source = "bureau";
    d.cause_id = cause;
    d.id = derive_decision_id("community.rated", d.community, 2023, "bureau", cause);
    d.log_date = *Date::parse("2024-01-10");
    CommunityRated r;
    r.community = d.community;
    r.name = "n";
    r.year = 2023;
    r.grade = g;
    r.explanation.street = street;
    d.body = r;
    return d;
  }
  static Decision published(const std::string& community, const char* on) {
    Decision d;
    d.community = CommunityId(community);
    d.year = 2023;
    d.cause_source = "bureau";
    d.cause_id = std::string("published-") + on;
    d.id = derive_decision_id("community.published", d.community, 2023, "bureau", d.cause_id);
    d.log_date = *Date::parse(on);
    d.body = CommunityPublished{d.community, 2023, Grade::kStandard, d.log_date, false};
    return d;
  }
  // C1 registered on 2023-05-01 (fee 3.00), then, arriving later, on 2022-01-01 (fee 1.00).
  void register_c1_later_then_earlier() {
    rocksdb::WriteBatchWithIndex b;
    ASSERT_TRUE(projector_->apply_event(
        b, testing::registered("C1", "yueyang", 3.0, Enclosure::kClosed, "2023-05-01")));
    ASSERT_TRUE(projector_->apply_event(
        b, testing::registered("C1", "yueyang", 1.0, Enclosure::kClosed, "2022-01-01")));
    ASSERT_TRUE(store_->write(b));
  }
  void apply(const std::vector<Decision>& ds) {
    rocksdb::WriteBatchWithIndex b;
    for (const auto& d : ds) ASSERT_TRUE(projector_->apply_decision(b, d));
    ASSERT_TRUE(projector_->finish(b));
    ASSERT_TRUE(store_->write(b));
  }
  testing::TempDir dir_;
  Config config_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Projector> projector_;
};

TEST_F(ProjectorTest, ADecisionIdIsAppliedOnceInABatchAndAcrossBatches) {
  const Decision d = rated("C1", "yueyang", Grade::kStandard, "r1");
  rocksdb::WriteBatchWithIndex b;
  EXPECT_TRUE(*projector_->apply_decision(b, d));
  EXPECT_FALSE(*projector_->apply_decision(b, d));
  ASSERT_TRUE(projector_->finish(b));
  ASSERT_TRUE(store_->write(b));
  rocksdb::WriteBatchWithIndex b2;
  EXPECT_FALSE(*projector_->apply_decision(b2, d));
}

// The batch keeps a rating parsed and writes it once (finish): the bytes must be those of one
// decision per batch, revisions and all, and a batch given up leaves nothing behind.
TEST_F(ProjectorTest, RevisionsInOneBatchLeaveTheBytesOfOneDecisionPerBatch) {
  Decision first = rated("C1", "yueyang", Grade::kStandard, "r1");
  Decision second = rated("C1", "yueyang", Grade::kFailing, "r2");
  second.revises = first.id;
  Decision third = rated("C1", "yueyang", Grade::kExemplary, "r3");
  third.revises = second.id;
  third.log_date = *Date::parse("2024-02-01");
  auto bytes = [](Store& store) {
    std::string all;
    for (std::string_view family : {cf::kProjGrade, cf::kProjAsOf, cf::kProjRevision}) {
      EXPECT_TRUE(store.scan(family, "", [&](std::string_view k, std::string_view v) {
        all += std::string(family) + "|" + std::string(k) + "=" + std::string(v) + "\n";
        return true;
      }));
    }
    return all;
  };
  apply({first, second, third});  // one batch
  auto other = Store::open(dir_ / "one-by-one");
  ASSERT_TRUE(other);
  Projector one_by_one(**other, config_);
  {
    rocksdb::WriteBatchWithIndex abandoned;  // given up: must not leak into the next batch
    ASSERT_TRUE(one_by_one.apply_decision(abandoned, rated("C1", "yueyang", Grade::kPassing, "x")));
    one_by_one.discard();
  }
  for (const Decision& d : {first, second, third}) {
    rocksdb::WriteBatchWithIndex b;
    ASSERT_TRUE(one_by_one.apply_decision(b, d));
    ASSERT_TRUE(one_by_one.finish(b));
    ASSERT_TRUE((*other)->write(b));
  }
  const std::string together = bytes(*store_);
  EXPECT_NE(together.find("\"grade\":\"exemplary\""), std::string::npos) << together;
  EXPECT_EQ(together, bytes(**other));
}

TEST_F(ProjectorTest, SummaryCountsGradesPerStreetAndSharesOfRatedOnly) {
  apply({rated("C1", "yueyang", Grade::kExemplary, "a"),
         rated("C2", "yueyang", Grade::kStandard, "b"),
         rated("C3", "yueyang", Grade::kFailing, "c"), rated("C4", "yueyang", Grade::kUnrated, "d"),
         rated("C5", "jiuting", Grade::kPassing, "e")});
  auto s = street_summary(ProjectionView(*store_), 2023);
  ASSERT_TRUE(s);
  const auto& streets = (*s)["streets"];
  ASSERT_EQ(streets.size(), 2u);
  const auto& yueyang = streets[1];  // sorted by id: jiuting, yueyang
  EXPECT_EQ(yueyang["street"], "yueyang");
  EXPECT_EQ(yueyang["street_name"], "岳阳街道");
  EXPECT_EQ(yueyang["rated"], 3);
  EXPECT_EQ(yueyang["unrated"], 1);
  EXPECT_EQ(yueyang["share_passing_or_better"], "66.67");  // 2 of 3 rated
  EXPECT_EQ(yueyang["share_exemplary"], "33.33");
  EXPECT_EQ((*s)["district"]["rated"], 4);
  EXPECT_EQ((*s)["district"]["share_passing_or_better"], "75.00");
}

TEST_F(ProjectorTest, AStreetWithNoRatedCommunityHasNoShareNotZero) {
  apply(
      {rated("C1", "yueyang", Grade::kUnrated, "a"), rated("C2", "jiuting", Grade::kPassing, "b")});
  auto s = street_summary(ProjectionView(*store_), 2023);
  ASSERT_TRUE(s);
  const auto& yueyang = (*s)["streets"][1];
  ASSERT_EQ(yueyang["street"], "yueyang");
  EXPECT_EQ(yueyang["rated"], 0);
  for (const char* share : {"share_passing_or_better", "share_exemplary", "share_standard"}) {
    EXPECT_TRUE(yueyang[share].is_null()) << share << ": " << yueyang[share];
  }
  EXPECT_EQ((*s)["streets"][0]["share_passing_or_better"], "100.00");
}

TEST_F(ProjectorTest, LaterRegistrationByDateWinsWhateverTheLogOrder) {
  register_c1_later_then_earlier();
  auto v = community_view(ProjectionView(*store_), CommunityId("C1"));
  ASSERT_TRUE(v && *v);
  EXPECT_EQ((**v)["fee"], "3.00");
  EXPECT_EQ((**v)["since"], "2023-05-01");
  EXPECT_EQ((**v)["registered_on"], "2022-01-01");
}

// DOMAIN.md "Partial changes": each particular is that of the latest fact (by date) that
// carries it, in every arrival order, as of every date.
TEST_F(ProjectorTest, PartialChangesPatchTheirFieldsInEveryArrivalOrder) {
  auto change = [](const char* id, const char* on, int32_t bits, auto patch) {
    CommunityChanged c;
    c.community = CommunityId("C1");
    c.changed = bits;
    patch(c);
    Event ev{testing::env(id, "street.yueyang", on, "C1"), c};
    return ev;
  };
  std::vector<Event> facts = {
      testing::registered("C1", "yueyang", 3.0, Enclosure::kClosed, "2022-01-01"),
      change("a-households", "2023-03-01", kChangedHouseholds,
             [](CommunityChanged& c) { c.households = 900; }),
      change("b-street", "2023-06-01", kChangedStreet,
             [](CommunityChanged& c) { c.street = StreetId("sijing"); }),
      change("c-households", "2023-09-01", kChangedHouseholds,
             [](CommunityChanged& c) { c.households = 950; })};
  std::sort(facts.begin(), facts.end(),
            [](const Event& a, const Event& b) { return a.envelope.id < b.envelope.id; });
  std::set<std::string> views;
  int orders = 0;
  do {
    testing::TempDir dir;
    auto store = Store::open(dir / "store");
    ASSERT_TRUE(store);
    Projector projector(**store, config_);
    rocksdb::WriteBatchWithIndex b;
    for (const Event& e : facts) ASSERT_TRUE(projector.apply_event(b, e));
    ASSERT_TRUE((*store)->write(b));
    auto at = [&](const char* day) {
      return **community_view(ProjectionView(**store, *Date::parse(day)), CommunityId("C1"));
    };
    const auto now = **community_view(ProjectionView(**store), CommunityId("C1"));
    EXPECT_EQ(now["households"], 950);
    EXPECT_EQ(now["street"], "sijing");
    EXPECT_EQ(now["fee"], "3.00");  // never changed
    EXPECT_FALSE(now.contains("_since"));
    EXPECT_EQ(at("2023-05-31")["households"], 900);
    EXPECT_EQ(at("2023-05-31")["street"], "yueyang");
    EXPECT_EQ(at("2023-06-01")["street"], "sijing");
    EXPECT_EQ(at("2023-06-01")["households"], 900);
    views.insert(now.dump() + at("2023-05-31").dump() + at("2023-07-01").dump());
    ++orders;
  } while (std::next_permutation(facts.begin(), facts.end(), [](const Event& a, const Event& b) {
    return a.envelope.id < b.envelope.id;
  }));
  EXPECT_EQ(orders, 24);
  EXPECT_EQ(views.size(), 1u) << "the arrival order changed the particulars";
}

TEST_F(ProjectorTest, DigestCoversProjectionsOnlyAndChangesWithThem) {
  const std::string empty = *store_->projection_digest();
  rocksdb::WriteBatch b;
  store_->put_offset(b, "stage1/x/0", 5);  // bookkeeping: not part of the digest
  ASSERT_TRUE(store_->write(b));
  EXPECT_EQ(*store_->projection_digest(), empty);
  apply({rated("C1", "yueyang", Grade::kStandard, "r1")});
  EXPECT_NE(*store_->projection_digest(), empty);
}

TEST_F(ProjectorTest, AsOfADateAFactArrivingLateStillCountsFromItsOwnDate) {
  // The fee adjustment (August) arrives before the registration (May) it amends.
  auto event = [](Fact f, const char* id, const char* on) {
    Event ev{Envelope{}, std::move(f)};
    ev.envelope.id = id;
    ev.envelope.source = "street.yueyang";
    ev.envelope.subject = "C1";
    ev.envelope.occurred = *Date::parse(on);
    return ev;
  };
  CommunityRegistered reg;
  reg.community = CommunityId("C1");
  reg.name = "一号小区";
  reg.street = StreetId("yueyang");
  reg.households = 100;
  reg.fee = *Centi::parse("1.50");
  FeeAdjusted fee;
  fee.community = CommunityId("C1");
  fee.fee = *Centi::parse("2.60");
  rocksdb::WriteBatchWithIndex b;
  ASSERT_TRUE(projector_->apply_event(b, event(fee, "f", "2023-08-01")));
  ASSERT_TRUE(projector_->apply_event(b, event(reg, "r", "2023-05-01")));
  ASSERT_TRUE(store_->write(b));
  auto at = [&](const char* day) {
    return *community_view(ProjectionView(*store_, *Date::parse(day)), CommunityId("C1"));
  };
  EXPECT_FALSE(at("2023-04-30"));
  EXPECT_EQ((*at("2023-05-01"))["fee"], "1.50");
  EXPECT_EQ((*at("2023-07-31"))["name"], "一号小区");
  EXPECT_EQ((*at("2023-08-01"))["fee"], "2.60");
  EXPECT_EQ((*at("2023-08-01"))["name"], "一号小区");
  const auto now = *community_view(ProjectionView(*store_), CommunityId("C1"));
  EXPECT_EQ((*now)["fee"], "2.60");
  EXPECT_EQ(*now, *at("2030-01-01"));
}

TEST_F(ProjectorTest, AsOfADateARatingStandsFromItsReviewAndARevisionReplacesItFromThere) {
  Decision first = rated("C1", "yueyang", Grade::kPassing, "r1");
  std::get<CommunityRated>(first.body).rated_on = *Date::parse("2024-01-10");
  // A late fact (dated before the review) revises it: in valid time the revised grade is what
  // was true from the review on, whenever the fact arrived.
  Decision second = rated("C1", "yueyang", Grade::kStandard, "late-complaint");
  std::get<CommunityRated>(second.body).rated_on = *Date::parse("2024-01-10");
  second.log_date = *Date::parse("2024-02-01");
  second.revises = first.id;
  auto grade_at = [&](const char* day) -> std::string {
    auto v = *community_view(ProjectionView(*store_, *Date::parse(day)), CommunityId("C1"));
    return v && !(*v)["ratings"].empty() ? (*v)["ratings"][0]["grade"].get<std::string>() : "none";
  };
  apply({first});
  EXPECT_EQ(grade_at("2024-01-09"), "none");
  EXPECT_EQ(grade_at("2024-01-10"), "passing");
  apply({second});
  EXPECT_EQ(grade_at("2024-01-09"), "none");
  EXPECT_EQ(grade_at("2024-01-10"), "standard");
  EXPECT_EQ(grade_at("2024-02-01"), "standard");
}

// What the projector writes is what the read models decode (projections/records.h): a field
// renamed or retyped on one side fails here, not in a supervisor's query.
TEST_F(ProjectorTest, WhatItWritesDecodesAsTheReadModels) {
  rocksdb::WriteBatchWithIndex b;
  ASSERT_TRUE(projector_->apply_event(
      b, testing::registered("C1", "yueyang", 2.5, Enclosure::kScattered, "2022-06-01")));
  ASSERT_TRUE(projector_->apply_event(
      b, Event{testing::env("co1", "bureau", "2023-02-01", "CO1"),
               CompanyRegistered{CompanyId("CO1"), "松江物业", "91310117MA1J3W9U1N"}}));
  MediaReport praise;
  praise.company = CompanyId("CO1");
  praise.tone = Tone::kPositive;
  ASSERT_TRUE(
      projector_->apply_event(b, Event{testing::env("m1", "media", "2023-03-02", "CO1"), praise}));
  ASSERT_TRUE(store_->write(b));
  Decision d = rated("C1", "yueyang", Grade::kExemplary, "r1");
  auto& r = std::get<CommunityRated>(d.body);
  r.summary.company = CompanyId("CO1");
  r.summary.spot_checks = 3;
  r.summary.hotline_complaints = 7;
  r.rated_on = *Date::parse("2024-01-05");
  apply({d});

  auto stored = [&](std::string_view family, const std::string& key) {
    auto v = store_->get(family, key);
    EXPECT_TRUE(v && *v) << family << " " << key;
    return v && *v ? **v : std::string();
  };
  auto community = decode_community(stored(cf::kProjCommunity, "C1"));
  ASSERT_TRUE(community) << community.error().message;
  EXPECT_TRUE(community->registered());
  EXPECT_EQ(community->street, "yueyang");
  EXPECT_EQ(community->households, 500);
  EXPECT_EQ(community->fee, "2.50");
  EXPECT_EQ(community->registered_on, "2022-06-01");

  auto rating = decode_rating(stored(cf::kProjGrade, "2023/C1"));
  ASSERT_TRUE(rating) << rating.error().message;
  EXPECT_EQ(rating->grade, Grade::kExemplary);
  EXPECT_EQ(rating->street, "yueyang");
  EXPECT_EQ(rating->year, 2023);
  EXPECT_EQ(rating->summary.company, CompanyId("CO1"));
  EXPECT_EQ(rating->summary.spot_checks, 3);
  EXPECT_EQ(rating->summary.hotline_complaints, 7);
  EXPECT_EQ(rating->published_on, std::nullopt);

  auto company = decode_company(stored(cf::kProjCompany, "registry/CO1"));
  ASSERT_TRUE(company) << company.error().message;
  EXPECT_EQ(company->name, "松江物业");
  EXPECT_EQ(company->credit_code, "91310117MA1J3W9U1N");
  EXPECT_EQ(company->known_from, "2023-02-01");

  auto facts = decode_company_facts(stored(cf::kProjCompany, "2023/CO1"));
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->total.media_positive, 1);
  EXPECT_EQ(facts->total.media_negative, 0);
  ASSERT_EQ(facts->by_date.count("2023-03-02"), 1u);
  EXPECT_EQ(facts->by_date.at("2023-03-02").media_positive, 1);
}

// The list lines (proj.community_line, proj.grade_line) are each value and each version of the
// particulars and ratings, reduced to what the lists read: one for one, same keys, same dates,
// decoding as the whole value does. A registration changed later, a rating revised and then
// published, so there are several versions of each.
TEST_F(ProjectorTest, ListLinesAreEachValueAndVersionReducedToWhatTheListsRead) {
  register_c1_later_then_earlier();
  Decision first = rated("C1", "yueyang", Grade::kPassing, "r1");
  std::get<CommunityRated>(first.body).rated_on = *Date::parse("2024-01-10");
  std::get<CommunityRated>(first.body).explanation.has_score = true;
  std::get<CommunityRated>(first.body).explanation.final_score = *Centi::parse("71.50");
  Decision second = rated("C1", "yueyang", Grade::kStandard, "late");
  std::get<CommunityRated>(second.body).rated_on = *Date::parse("2024-01-10");
  std::get<CommunityRated>(second.body).explanation.has_score = true;
  std::get<CommunityRated>(second.body).explanation.final_score = *Centi::parse("80.25");
  second.log_date = *Date::parse("2024-02-01");
  second.revises = first.id;
  apply({first});
  apply({second, published("C1", "2024-03-01")});

  auto all = [&](std::string_view family, std::string_view prefix) {
    std::map<std::string, std::string> out;
    EXPECT_TRUE(store_->scan(family, prefix, [&](std::string_view k, std::string_view v) {
      out.emplace(std::string(k.substr(prefix.size())), std::string(v));
      return true;
    }));
    return out;
  };
  auto check = [&](std::string_view family, std::string_view line_family, json (*line)(const json&),
                   size_t versions) {
    const auto values = all(family, ""), lines = all(line_family, "");
    ASSERT_EQ(values.size(), 1u) << family;
    ASSERT_EQ(lines.size(), 1u) << line_family;
    EXPECT_EQ(lines.begin()->second, line(json::parse(values.begin()->second)).dump());
    auto as_of = all(cf::kProjAsOf, as_of_prefix(family, values.begin()->first));
    auto line_as_of = all(cf::kProjAsOf, as_of_prefix(line_family, lines.begin()->first));
    ASSERT_EQ(as_of.size(), versions) << family;
    ASSERT_EQ(line_as_of.size(), versions) << line_family;
    for (const auto& [date, value] : as_of) {
      EXPECT_EQ(line_as_of[date], line(json::parse(value)).dump()) << family;
    }
  };
  check(cf::kProjCommunity, cf::kProjCommunityLine, community_line, 2);
  check(cf::kProjGrade, cf::kProjGradeLine, rating_line, 2);  // rated, then published

  const std::string full = **store_->get(cf::kProjGrade, "2023/C1");
  const std::string line = **store_->get(cf::kProjGradeLine, "2023/C1");
  EXPECT_LT(line.size(), full.size());
  std::set<std::string> explained;
  const json parsed = json::parse(line);
  for (const auto& [k, v] : parsed.at("explanation").items()) explained.insert(k);
  EXPECT_EQ(explained, (std::set<std::string>{"final_score", "tier"}))
      << "no explanation but the tier and the score";
  auto a = decode_rating(full), l = decode_rating(line);
  ASSERT_TRUE(a && l) << (a ? l.error().message : a.error().message);
  EXPECT_EQ(l->grade, a->grade);
  EXPECT_EQ(l->grade, Grade::kStandard);
  EXPECT_EQ(l->grade_zh, a->grade_zh);
  EXPECT_EQ(l->tier, a->tier);
  EXPECT_EQ(l->final_score, a->final_score);
  EXPECT_EQ(l->final_score, Centi::parse("80.25"));
  EXPECT_EQ(l->published_on, a->published_on);
  EXPECT_EQ(l->published_on, "2024-03-01");
  EXPECT_EQ(l->street_name, a->street_name);
  EXPECT_EQ(l->decided_on, a->decided_on);
  EXPECT_EQ(summary_json(l->summary), summary_json(a->summary));
  auto c = decode_community(**store_->get(cf::kProjCommunity, "C1"));
  auto cl = decode_community(**store_->get(cf::kProjCommunityLine, "C1"));
  ASSERT_TRUE(c && cl);
  EXPECT_EQ(cl->fee, c->fee);
  EXPECT_EQ(cl->fee, "3.00");
  EXPECT_EQ(cl->registered_on, c->registered_on);
  EXPECT_EQ(cl->street, c->street);
  EXPECT_EQ(cl->households, c->households);
}

// A stored value damaged outside the projector (another type where it wrote a number) is the
// error projection_damaged from the projector too, never an exception out of a fold.
TEST_F(ProjectorTest, ADamagedValueItWouldUpdateIsAnErrorNotAnException) {
  rocksdb::WriteBatch raw;
  raw.Put(store_->cf(cf::kProjCompany), "2023/CO1", R"({"media_positive":"many"})");
  ASSERT_TRUE(store_->write(raw));
  MediaReport praise;
  praise.company = CompanyId("CO1");
  praise.tone = Tone::kPositive;
  rocksdb::WriteBatchWithIndex b;
  Status s;
  EXPECT_NO_THROW(s = projector_->apply_event(
                      b, Event{testing::env("m1", "media", "2023-03-02", "CO1"), praise}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "projection_damaged");
  EXPECT_NE(s.error().message.find("jiayuan rebuild"), std::string::npos) << s.error().message;
}

TEST(ProjectorReads, OnlyTheFactsItProjectsAndAnythingItDoesNotKnow) {
  EXPECT_FALSE(Projector::reads("jiayuan.hotline.complaint"));
  EXPECT_FALSE(Projector::reads("jiayuan.inspection"));
  EXPECT_FALSE(Projector::reads("jiayuan.review.closed"));
  EXPECT_FALSE(Projector::reads("jiayuan.tick"));
  for (const char* t :
       {"jiayuan.community.registered", "jiayuan.community.changed", "jiayuan.fee.adjusted",
        "jiayuan.contract.assigned", "jiayuan.media.report", "jiayuan.social.responsibility",
        "jiayuan.credit.points", "jiayuan.committee.elected", "jiayuan.party.branch.established",
        "jiayuan.governance.completed", "jiayuan.waste.sorting.inspection",
        "jiayuan.some.future.type"}) {
    EXPECT_TRUE(Projector::reads(t)) << t;
  }
}

TEST_F(ProjectorTest, UnknownCommunityHasNoView) {
  auto v = community_view(ProjectionView(*store_), CommunityId("NOPE"));
  ASSERT_TRUE(v);
  EXPECT_FALSE(*v);
}

}  // namespace
}  // namespace jiayuan
