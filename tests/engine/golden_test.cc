// A hand-built district year: 3 streets, 30 communities, 12 companies. Every expected value
// below is worked out by hand in the comments from DOMAIN.md's definitions, not by calling
// the code under test. Facts go through intake, the log, every stage and the projections.
//
// Each community has two inspections with all six dimensions equal to s and no survey, so its
// service score is exactly s (Σ w·s ÷ 90 = s). Fee 3.0 closed = T1 (示范 90 / 规范 80 / 达标 70)
// unless noted; T2 = fee 2.0 closed (88 / 78 / 65); T3 = fee 1.0 scattered (85 / 75 / 60).
#include <gtest/gtest.h>

#include "engine/intake.h"
#include "engine/runner.h"
#include "events/json_codec.h"
#include "projections/queries.h"
#include "tests/support/config.h"
#include "tests/support/facts.h"
#include "tests/support/memory_log.h"
#include "tests/support/temp_dir.h"

namespace jiayuan {
namespace {

struct Row {
  const char* id;
  const char* street;
  double fee;
  Enclosure enclosure;
  double s;  // every dimension of both inspections
  const char* company;
  const char* manager;
};

// clang-format off
const std::vector<Row> kRows = {
    // yueyang
    {"Y01", "yueyang", 3.0, Enclosure::kClosed, 95, "CO01", "PM01"},     // 95 → 示范
    {"Y02", "yueyang", 3.0, Enclosure::kClosed, 92, "CO01", "PM01"},     // 92 − 0.5 (1 substantiated hotline) = 91.5 → 示范
    {"Y03", "yueyang", 3.0, Enclosure::kClosed, 85, "CO02", "PM-Y03"},   // 85 → 规范
    {"Y04", "yueyang", 3.0, Enclosure::kClosed, 82, "CO02", "PM-Y04"},   // 82 → 规范
    {"Y05", "yueyang", 3.0, Enclosure::kClosed, 75, "CO03", "PM-Y05"},   // 75 → 达标; proposal 规范 is one step: not flagged
    {"Y06", "yueyang", 3.0, Enclosure::kClosed, 72, "CO03", "PM-Y06"},   // 72 − 2 (petition) = 70.00, on the threshold → 达标
    {"Y07", "yueyang", 3.0, Enclosure::kClosed, 71, "CO04", "PM-Y07"},   // 71 − 2 (failed spot check) = 69 → 不达标; proposal 规范 two steps: flagged
    {"Y08", "yueyang", 2.0, Enclosure::kClosed, 90, "CO05", "PM05"},     // T2: 90 ≥ 88 → 示范
    {"Y09", "yueyang", 3.0, Enclosure::kClosed, 96, "CO05", "PM05"},     // major safety incident → 不达标 (veto)
    {"Y10", "yueyang", 3.0, Enclosure::kClosed, 90, "CO06", "PM-Y10"},   // one inspection only → unrated
    // fangsong
    {"F01", "fangsong", 3.0, Enclosure::kClosed, 93, "CO06", "PM-F01"},  // 93, greening objects → 示范 capped at 规范
    {"F02", "fangsong", 3.0, Enclosure::kClosed, 93, "CO07", "PM07"},    // objection withdrawn by a later support → 示范
    {"F03", "fangsong", 3.0, Enclosure::kClosed, 88, "CO07", "PM-F03"},  // 88 → 规范
    {"F04", "fangsong", 3.0, Enclosure::kClosed, 80, "CO08", "PM-F04"},  // 80.00 on the threshold → 规范
    {"F05", "fangsong", 3.0, Enclosure::kClosed, 79.99, "CO08", "PM-F05"},  // 79.99 → 达标
    {"F06", "fangsong", 2.0, Enclosure::kClosed, 65, "CO09", "PM-F06"},  // T2: 65 ≥ 65 → 达标
    {"F07", "fangsong", 2.0, Enclosure::kClosed, 64.99, "CO09", "PM-F07"},  // T2: 64.99 < 65 → 不达标
    {"F08", "fangsong", 1.0, Enclosure::kScattered, 60, "CO10", "PM-F08"},  // T3: 60 ≥ 60 → 达标
    {"F09", "fangsong", 1.0, Enclosure::kScattered, 86, "CO10", "PM-F09"},  // T3: 86 ≥ 85 → 示范
    {"F10", "fangsong", 3.0, Enclosure::kClosed, 78, "CO11", "PM-F10"},  // 78 − 5 (5 credit points) = 73 → 达标
    // jiuting
    {"J01", "jiuting", 3.0, Enclosure::kClosed, 91, "CO11", "PM-J01"},   // 25 substantiated: 12.5 capped at 10 → 81 → 规范
    {"J02", "jiuting", 3.0, Enclosure::kClosed, 90, "CO12", "PM-J02"},   // 3 late (not substantiated): 0.6 → 89.40 → 规范
    {"J03", "jiuting", 3.0, Enclosure::kClosed, 90, "CO12", "PM12"},     // 90 → 示范
    {"J04", "jiuting", 3.0, Enclosure::kClosed, 77, "CO01", "PM-J04"},   // findings minor 1 + serious 3 = 4 → 73 → 达标
    {"J05", "jiuting", 3.0, Enclosure::kClosed, 70, "CO02", "PM-J05"},   // 70 → 达标
    {"J06", "jiuting", 3.0, Enclosure::kClosed, 69.99, "CO03", "PM-J06"},  // 69.99 → 不达标
    {"J07", "jiuting", 3.0, Enclosure::kClosed, 85, "CO04", "PM-J07"},   // 85 → 规范
    {"J08", "jiuting", 3.0, Enclosure::kClosed, 84, "CO04", "PM-J08"},   // 84 → 规范
    {"J09", "jiuting", 3.0, Enclosure::kClosed, 89.99, "CO06", "PM-J09"},  // 89.99 → 规范
    {"J10", "jiuting", 3.0, Enclosure::kClosed, 99, "CO08", "PM10"},     // 99 → 示范
};
// clang-format on

class Golden : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::shipped_config();
    build_facts();
    auto intake = Intake::open(log_, config_);
    std::vector<IntakeInput> in;
    for (const Event& e : facts_) in.push_back({encode_event_json(e), e.envelope.id, std::nullopt});
    auto out = (*intake)->submit(in);
    ASSERT_TRUE(out);
    for (size_t i = 0; i < out->size(); ++i) {
      ASSERT_NE((*out)[i].verdict, Verdict::kRejected)
          << in[i].origin << ": " << (*out)[i].reason.message;
    }
    auto store = Store::open(dir_ / "engine");
    ASSERT_TRUE(store);
    store_ = std::move(*store);
    std::atomic<bool> stop{false};
    ASSERT_TRUE(run_engine(log_, *store_, config_, RunOptions{}, stop));
  }

  void add(const std::string& id, const std::string& source, const std::string& date, Fact f) {
    Event e{testing::env(id, source, date, ""), std::move(f)};
    e.envelope.subject = subject_of(e.fact);
    facts_.push_back(std::move(e));
  }

  void build_facts() {
    for (const Row& r : kRows) {
      const CommunityId c(r.id);
      const std::string office = std::string("street.") + r.street;
      facts_.push_back(testing::registered(r.id, r.street, r.fee, r.enclosure, "2022-06-01"));
      add(std::string("ct-") + r.id, office, "2022-06-01",
          ContractAssigned{c, CompanyId(r.company), ManagerId(r.manager), ""});
      const int inspections = std::string(r.id) == "Y10" ? 1 : 2;
      for (int i = 0; i < inspections; ++i) {
        facts_.push_back(
            testing::inspection(r.id, r.s, i == 0 ? "2023-03-01" : "2023-09-01",
                                std::string("insp-") + r.id + "-" + std::to_string(i)));
      }
    }
    const CommunityId y02("Y02"), y05("Y05"), y06("Y06"), y07("Y07"), y09("Y09"), f01("F01"),
        f02("F02"), f10("F10"), j01("J01"), j02("J02"), j04("J04"), y01("Y01");
    add("hot-y02", "hotline", "2023-04-01", HotlineComplaint{y02, true, true});
    add("pet-y06", "petitions", "2023-04-02", Petition{y06, true});
    add("spot-y07", "bureau", "2023-04-03", SpotCheck{y07, false});
    add("inc-y09", "fire", "2023-04-04", SafetyIncident{y09, Severity::kMajor});
    add("op-f01", "greening", "2024-01-05", DepartmentOpinion{f01, 2023, Stance::kObject, "绿化"});
    add("op-f02-a", "greening", "2024-01-04",
        DepartmentOpinion{f02, 2023, Stance::kObject, "绿化"});
    add("op-f02-b", "greening", "2024-01-06",
        DepartmentOpinion{f02, 2023, Stance::kSupport, "已整改"});
    add("credit-f10", "bureau", "2023-05-01", CreditPoints{f10, CompanyId("CO11"), 5});
    for (int i = 0; i < 25; ++i) {
      add("hot-j01-" + std::to_string(i), "hotline", "2023-06-01",
          HotlineComplaint{j01, true, true});
    }
    for (int i = 0; i < 3; ++i) {
      add("late-j02-" + std::to_string(i), "hotline", "2023-06-02",
          HotlineComplaint{j02, false, false});
    }
    add("find-j04-a", "chengguan", "2023-07-01",
        DepartmentFinding{j04, FindingKind::kRubbishDumped, Severity::kMinor});
    add("find-j04-b", "fire", "2023-07-02",
        DepartmentFinding{j04, FindingKind::kFireLaneBlocked, Severity::kSerious});
    add("media-y01", "bureau", "2023-08-01", MediaReport{CompanyId(), y01, Tone::kPositive});
    add("social-co12-a", "bureau", "2023-08-02", SocialResponsibility{CompanyId("CO12"), "助老"});
    add("social-co12-b", "bureau", "2023-08-03", SocialResponsibility{CompanyId("CO12"), "助学"});
    add("prop-y05", "street.yueyang", "2024-01-03", StreetProposal{y05, 2023, Grade::kStandard});
    add("prop-y07", "street.yueyang", "2024-01-03", StreetProposal{y07, 2023, Grade::kStandard});
    for (const Row& r : kRows) {
      add(std::string("review-") + r.id, "bureau", "2024-01-10",
          ReviewClosed{CommunityId(r.id), 2023});
      add(std::string("pub-") + r.id, "bureau", "2024-01-20",
          RatingsPublished{CommunityId(r.id), 2023});
    }
    // Cases. P = 2024-01-20, interview due P+30 = 2024-02-19.
    // Y07: interviewed on P+30 exactly (counts); D = 02-19 + 60 = 2024-04-19; re-inspection on D
    // passes → rectified.
    add("int-y07", "bureau", "2024-02-19", InterviewHeld{y07, 2023, "整改", std::nullopt});
    add("re-y07", "bureau", "2024-04-19", Reinspection{y07, 2023, true});
    // Y09: no interview → escalated on P+31 = 2024-02-20 when its next fact passes it; obligations
    // due 2024-03-21; all three sanctions → sanctioned on 2024-03-10.
    add("sanc-y09-m", "market", "2024-03-01", SanctionApplied{y09, 2023, "罚款", ""});
    add("sanc-y09-c", "chengguan", "2024-03-05", SanctionApplied{y09, 2023, "责令改正", ""});
    add("sanc-y09-p", "police", "2024-03-10", SanctionApplied{y09, 2023, "警告", ""});
    // F07: interview 02-01 with deadline 03-01; re-inspection on 03-02 is past D: escalated on D+1
    // = 2024-03-02 (missed_deadline) before it applies; obligations due 2024-04-01; only 市场监管
    // acts (03-15).
    add("int-f07", "bureau", "2024-02-01",
        InterviewHeld{CommunityId("F07"), 2023, "整改", *Date::parse("2024-03-01")});
    add("re-f07", "bureau", "2024-03-02", Reinspection{CommunityId("F07"), 2023, true});
    add("sanc-f07-m", "market", "2024-03-15",
        SanctionApplied{CommunityId("F07"), 2023, "罚款", ""});
    // J06: interview 02-10, failed re-inspection 03-01 → escalated 2024-03-01, obligations due
    // 2024-03-31.
    add("int-j06", "bureau", "2024-02-10",
        InterviewHeld{CommunityId("J06"), 2023, "整改", std::nullopt});
    add("re-j06", "bureau", "2024-03-01", Reinspection{CommunityId("J06"), 2023, false});
  }

  nlohmann::json rating(const std::string& id) {
    auto v = community_view(ProjectionView(*store_), CommunityId(id));
    EXPECT_TRUE(v && *v) << id;
    return (**v)["ratings"][0];
  }
  nlohmann::json failing_case(const std::string& id) {
    auto v = community_view(ProjectionView(*store_), CommunityId(id));
    EXPECT_TRUE(v && *v) << id;
    return (**v)["cases"][0];
  }

  Config config_;
  testing::MemoryLog log_;
  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::vector<Event> facts_;
};

TEST_F(Golden, GradesFollowScoresDeductionsThresholdsAndVetoes) {
  const std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"Y01", {"exemplary", "95.00"}}, {"Y02", {"exemplary", "91.50"}},
      {"Y03", {"standard", "85.00"}},  {"Y04", {"standard", "82.00"}},
      {"Y05", {"passing", "75.00"}},   {"Y06", {"passing", "70.00"}},
      {"Y07", {"failing", "69.00"}},   {"Y08", {"exemplary", "90.00"}},
      {"Y09", {"failing", "96.00"}},   {"F01", {"standard", "93.00"}},
      {"F02", {"exemplary", "93.00"}}, {"F03", {"standard", "88.00"}},
      {"F04", {"standard", "80.00"}},  {"F05", {"passing", "79.99"}},
      {"F06", {"passing", "65.00"}},   {"F07", {"failing", "64.99"}},
      {"F08", {"passing", "60.00"}},   {"F09", {"exemplary", "86.00"}},
      {"F10", {"passing", "73.00"}},   {"J01", {"standard", "81.00"}},
      {"J02", {"standard", "89.40"}},  {"J03", {"exemplary", "90.00"}},
      {"J04", {"passing", "73.00"}},   {"J05", {"passing", "70.00"}},
      {"J06", {"failing", "69.99"}},   {"J07", {"standard", "85.00"}},
      {"J08", {"standard", "84.00"}},  {"J09", {"standard", "89.99"}},
      {"J10", {"exemplary", "99.00"}},
  };
  for (const auto& [id, want] : expected) {
    const auto r = rating(id);
    EXPECT_EQ(r["grade"], want.first) << id;
    EXPECT_EQ(r["explanation"]["final_score"], want.second) << id;
  }
  EXPECT_EQ(rating("Y10")["grade"], "unrated");
  // Y07's street proposed 规范, two steps from 不达标: flagged; Y05's one step: not.
  EXPECT_TRUE(rating("Y07")["proposal_flagged"].get<bool>());
  EXPECT_FALSE(rating("Y05")["proposal_flagged"].get<bool>());
  // J01: 25 × 0.5 = 12.5, capped at 10.
  EXPECT_EQ(rating("J01")["explanation"]["deductions"][0]["amount"], "10.00");
  EXPECT_EQ(rating("J01")["explanation"]["deductions"][0]["facts"].size(), 25u);
}

TEST_F(Golden, FailingCasesRectifyOrEscalateToSanctions) {
  auto y07 = failing_case("Y07");
  EXPECT_EQ(y07["status"], "rectified");
  EXPECT_EQ(y07["interview_on"], "2024-02-19");
  EXPECT_EQ(y07["deadline"], "2024-04-19");
  EXPECT_EQ(y07["closed_on"], "2024-04-19");

  auto y09 = failing_case("Y09");
  EXPECT_EQ(y09["status"], "sanctioned");
  EXPECT_EQ(y09["reason"], "missed_interview");
  EXPECT_EQ(y09["escalated_on"], "2024-02-20");
  EXPECT_EQ(y09["closed_on"], "2024-03-10");

  auto f07 = failing_case("F07");
  EXPECT_EQ(f07["status"], "escalated");
  EXPECT_EQ(f07["reason"], "missed_deadline");
  EXPECT_EQ(f07["escalated_on"], "2024-03-02");

  auto j06 = failing_case("J06");
  EXPECT_EQ(j06["status"], "escalated");
  EXPECT_EQ(j06["reason"], "failed_reinspection");
  EXPECT_EQ(j06["escalated_on"], "2024-03-01");

  // As of 2024-06-30: F07 owes chengguan and police since 04-01 (90 days), J06 all three since
  // 03-31 (91 days); Y07 and Y09 are closed.
  auto open = failing_cases(ProjectionView(*store_), *Date::parse("2024-06-30"), false);
  ASSERT_TRUE(open);
  std::map<std::string, std::vector<int>> overdue;
  for (const auto& c : (*open)["cases"]) {
    for (const auto& o : c["open"]) overdue[c["community"]].push_back(o["days_overdue"]);
  }
  EXPECT_EQ(overdue.size(), 2u);
  EXPECT_EQ(overdue["F07"], (std::vector<int>{90, 90}));
  EXPECT_EQ(overdue["J06"], (std::vector<int>{91, 91, 91}));
}

TEST_F(Golden, TopTenHasOnlyTheFiveEligibleCompaniesRankedByCompositeThenMeanScore) {
  // Eligible (≥ 1 示范, no 不达标): CO01, CO07, CO08, CO10, CO12 — fewer than ten.
  // Composite = 40·results + 20·inspections + 15·hotline + 10·petitions + 10·media + 5·social:
  //  CO07: results (2+1)/4 → 30; others full (20+15+10), media 0.5 → 5, social 0 → 80.00
  //  CO01: results 4/6 → 26.67; hotline 1/1 on time; media 0.5+0.1 (Y01 positive) → 6 → 77.67
  //  CO12: results 3/4 → 30; hotline 0/3 on time → 0; social 2/2 → 5 → 30+20+0+10+5+5 = 70.00, mean
  //  (89.4+90)/2 = 89.70 CO08: results (1+0+2)/6 → 20; + 50 → 70.00, mean (80+79.99+99)/3 = 86.33
  //  CO10: results (0+2)/4 → 20; + 50 → 70.00, mean (60+86)/2 = 73.00
  auto v = district_view(ProjectionView(*store_), 2023);
  ASSERT_TRUE(v);
  const auto& top = (*v)["top_ten"];
  ASSERT_EQ(top.size(), 5u);
  const std::vector<std::pair<std::string, std::string>> want = {{"CO07", "80.00"},
                                                                 {"CO01", "77.67"},
                                                                 {"CO12", "70.00"},
                                                                 {"CO08", "70.00"},
                                                                 {"CO10", "70.00"}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(top[i]["company"], want[i].first) << i;
    EXPECT_EQ(top[i]["composite"], want[i].second) << i;
    EXPECT_EQ(top[i]["rank"], static_cast<int>(i + 1));
  }
  EXPECT_EQ(top[2]["mean_final_score"], "89.70");
  EXPECT_EQ(top[3]["mean_final_score"], "86.33");
}

TEST_F(Golden, ExcellentCommunitiesAndManagersAreCappedAtTenPercent) {
  // floor(10% × 30 registered) = 3.
  auto v = district_view(ProjectionView(*store_), 2023);
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)["award_quota"], 3);
  // 示范 by final score: J10 99, Y01 95, F02 93, (Y02 91.5, J03 90, Y08 90, F09 86).
  std::vector<std::string> communities;
  for (const auto& c : (*v)["excellent_communities"]) communities.push_back(c["community"]);
  EXPECT_EQ(communities, (std::vector<std::string>{"J10", "Y01", "F02"}));
  // Eligible managers (≥ 1 示范, no 不达标): PM10 99, PM01 (95+91.5)/2 = 93.25, PM07 93, PM12 90,
  // PM-F09 86; PM05 manages Y09 (不达标) too: not eligible.
  std::vector<std::string> managers;
  for (const auto& m : (*v)["excellent_managers"]) managers.push_back(m["manager"]);
  EXPECT_EQ(managers, (std::vector<std::string>{"PM10", "PM01", "PM07"}));
}

TEST_F(Golden, TargetAttainmentPerStreetAndDistrict) {
  // 2023 targets: 达标+ ≥ 90%, 示范 ≥ 5%, 规范 (alone) ≥ 40%.
  // yueyang: 3 示范, 2 规范, 2 达标, 2 不达标 (Y10 unrated excluded): 7/9 = 77.78% missed, 33.33%
  // met, 22.22% missed fangsong: 2 / 3 / 4 / 1: 9/10 = 90.00% met (exactly), 20.00% met, 30.00%
  // missed jiuting: 2 / 5 / 2 / 1: 90.00% met, 20.00% met, 50.00% met district: 7 / 10 / 8 / 4 of
  // 29: 86.21% missed, 24.14% met, 34.48% missed
  auto v = district_view(ProjectionView(*store_), 2023);
  ASSERT_TRUE(v);
  const auto& d = (*v)["district"];
  EXPECT_EQ(d["rated"], 29);
  EXPECT_EQ(d["share_passing_or_better"], "86.21");
  EXPECT_FALSE(d["met_passing_or_better"].get<bool>());
  EXPECT_EQ(d["share_exemplary"], "24.14");
  EXPECT_TRUE(d["met_exemplary"].get<bool>());
  EXPECT_EQ(d["share_standard"], "34.48");
  EXPECT_FALSE(d["met_standard"].get<bool>());
  std::map<std::string, nlohmann::json> streets;
  for (const auto& s : (*v)["streets"]) streets[s["street"]] = s;
  EXPECT_EQ(streets["yueyang"]["share_passing_or_better"], "77.78");
  EXPECT_EQ(streets["yueyang"]["rated"], 9);
  EXPECT_TRUE(streets["fangsong"]["met_passing_or_better"].get<bool>());
  EXPECT_EQ(streets["fangsong"]["share_passing_or_better"], "90.00");
  EXPECT_FALSE(streets["fangsong"]["met_standard"].get<bool>());
  EXPECT_TRUE(streets["jiuting"]["met_standard"].get<bool>());
  EXPECT_EQ(streets["jiuting"]["share_standard"], "50.00");
}

}  // namespace
}  // namespace jiayuan
