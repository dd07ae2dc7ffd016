// The stage loop over an in-memory log and a real RocksDB store.
#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>

#include "connectors/embedded_log.h"
#include "engine/district_stage.h"
#include "engine/generator.h"
#include "engine/intake.h"
#include "engine/runner.h"
#include "engine/waiting.h"
#include "events/binary_codec.h"
#include "events/json_codec.h"
#include "projections/queries.h"
#include "tests/support/cereal_state.h"
#include "tests/support/config.h"
#include "tests/support/facts.h"
#include "tests/support/memory_log.h"
#include "tests/support/stages_fixture.h"
#include "tests/support/temp_dir.h"
#include "tests/support/watched_log.h"
#include "workflows/community.h"

namespace jiayuan {
namespace {

using testing::decode_state;
using testing::encode_state;
using testing::StagesTest;

int rated_decisions(testing::MemoryLog& log) {
  int n = 0;
  const auto entries = log.read(topics::kDecisions, 0, 0, 1 << 20);
  for (const LogEntry& e : *entries) {
    n += e.record.header("jiayuan.decision.kind") == "community.rated";
  }
  return n;
}

TEST_F(StagesTest, FoldsRelaysAndProjectsEveryRating) {
  testing::MemoryLog log;
  run_all(log, demo_lines(30));
  auto summary = street_summary(ProjectionView(*last_store_), 2023);
  ASSERT_TRUE(summary);
  EXPECT_EQ(
      (*summary)["district"]["rated"].get<int>() + (*summary)["district"]["unrated"].get<int>(),
      30);
  EXPECT_EQ(rated_decisions(log), 30);
  auto view = community_view(ProjectionView(*last_store_), CommunityId("SJ00001"));
  ASSERT_TRUE(view && *view);
  EXPECT_EQ((**view)["ratings"].size(), 1u);
}

// As of a date, every answer is what an engine fed only the facts dated up to then answers now.
TEST_F(StagesTest, AsOfADateEveryAnswerIsWhatTheLogHeldThen) {
  const auto lines = demo_lines(40);
  testing::MemoryLog full;
  run_all(full, lines);
  std::unique_ptr<Store> all = std::move(last_store_);
  // The dates chosen see different things: nothing rated yet, rated, cases open, cases moved on.
  EXPECT_EQ((*street_summary(ProjectionView(*all, *Date::parse("2023-03-31")),
                             2023))["district"]["rated"],
            0);
  EXPECT_GT((*street_summary(ProjectionView(*all, *Date::parse("2024-01-15")),
                             2023))["district"]["rated"],
            0);
  EXPECT_NE(*failing_cases(ProjectionView(*all, *Date::parse("2024-01-15")),
                           *Date::parse("2024-03-01"), true),
            *failing_cases(ProjectionView(*all, *Date::parse("2024-03-01")),
                           *Date::parse("2024-03-01"), true));
  for (const char* cut : {"2023-03-31", "2023-12-31", "2024-01-15", "2024-03-01"}) {
    const Date d = *Date::parse(cut);
    std::vector<std::string> prefix;
    for (const auto& l : lines) {
      auto ev = decode_event_json(l);
      ASSERT_TRUE(ev);
      if (ev->envelope.occurred <= d) prefix.push_back(l);
    }
    testing::MemoryLog partial;
    run_all(partial, prefix);
    const ProjectionView then(*all, d);
    const ProjectionView now(*last_store_);
    EXPECT_EQ(*street_summary(then, 2023), *street_summary(now, 2023)) << cut;
    EXPECT_EQ(*failing_cases(then, d, true), *failing_cases(now, d, true)) << cut;
    EXPECT_EQ(*district_view_at(then, config_, 2023), *district_view(now, 2023)) << cut;
    EXPECT_EQ(*company_standings_at(then, config_, 2023), *company_standings(now, 2023)) << cut;
    const RuleSet& rules = *config_.rules.for_year(2023);
    EXPECT_EQ(*governance_compliance(then, 2023, rules), *governance_compliance(now, 2023, rules))
        << cut;
    EXPECT_EQ(*renovation_priority(then, 2023, rules), *renovation_priority(now, 2023, rules))
        << cut;
    for (int i = 1; i <= 40; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "SJ%05d", i);
      EXPECT_EQ(*community_view(then, CommunityId(id)), *community_view(now, CommunityId(id)))
          << cut << " " << id;
    }
  }
}

TEST_F(StagesTest, SameLogGivesTheSameProjectionBytesAtAnyBatchSize) {
  testing::MemoryLog a, b;
  const auto lines = demo_lines(30);
  EXPECT_EQ(run_all(a, lines, 1000), run_all(b, lines, 1));
}

// Where stage 1 reads every partition (not on Kafka), the projection stage takes the events it
// read instead of reading jiayuan.events again (engine/read_handoff.h): the same bytes.
TEST_F(StagesTest, TheProjectionStageTakesTheEventsStage1ReadAndProjectsTheSameBytes) {
  testing::MemoryLog a, b;
  testing::WatchedLog handed(a), read_again(b);
  const auto lines = demo_lines(30);
  const std::string digest = run_all(handed, lines, 200);
  EXPECT_EQ(digest, run_all(read_again, lines, 200, &read_again));  // stage 1's own view
  EXPECT_GT(read_again.filtered_events_read, lines.size() / 2);     // read twice, once skipping
  EXPECT_EQ(handed.filtered_events_read, 0u);
  EXPECT_EQ(handed.events_read, read_again.events_read - read_again.filtered_events_read);
}

TEST_F(StagesTest, SameLogGivesByteIdenticalDecisions) {
  testing::MemoryLog a, b;
  const auto lines = demo_lines(30);
  run_all(a, lines, 1000);
  run_all(b, lines, 3);
  const auto da = a.read(topics::kDecisions, 0, 0, 1 << 20);
  const auto db = b.read(topics::kDecisions, 0, 0, 1 << 20);
  ASSERT_GT(da->size(), 30u);
  ASSERT_EQ(da->size(), db->size());
  for (size_t i = 0; i < da->size(); ++i) EXPECT_EQ((*da)[i].record, (*db)[i].record) << i;
  // Every decision names the rule set that governed it.
  auto d = decode_decision_binary((*da)[0].record.value);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->rule_set_id, "songjiang-2022-134");
  EXPECT_EQ(d->rule_set_hash, config_.rules.sets()[0].hash);
}

TEST_F(StagesTest, ReorderingDifferentCommunitiesFactsChangesNoOutcome) {
  auto lines = demo_lines(30);
  // Keep each community's own order, interleave communities differently: group by community.
  std::vector<std::string> grouped = lines;
  std::stable_sort(grouped.begin(), grouped.end(), [](const std::string& x, const std::string& y) {
    return decode_event_json(x)->envelope.subject > decode_event_json(y)->envelope.subject;
  });
  ASSERT_NE(grouped, lines);
  testing::MemoryLog a, b;
  EXPECT_EQ(run_all(a, lines), run_all(b, grouped));
}

TEST_F(StagesTest, RepublishedDecisionsAreAppliedOnce) {
  testing::MemoryLog log;
  const std::string before = run_all(log, demo_lines(10));
  // What a crash between the relay's append and its outbox delete leaves: every decision twice.
  auto decisions = log.read(topics::kDecisions, 0, 0, 1000);
  std::vector<Record> again;
  for (const LogEntry& e : *decisions) again.push_back(e.record);
  ASSERT_TRUE(log.append(topics::kDecisions, again));
  std::atomic<bool> stop{false};
  ASSERT_TRUE(run_engine(log, *last_store_, config_, RunOptions{}, stop));
  EXPECT_EQ(*last_store_->projection_digest(), before);
}

TEST_F(StagesTest, AFactTheWorkflowCannotApplyIsDeadLetteredAndTheRestGoesOn) {
  testing::MemoryLog log;
  // Bypass intake: an inspection where no rule set is in force, straight into the log; and one
  // for a community nobody registered, which waits (listed, not dead-lettered).
  const std::vector<Record> bad = {
      event_record(testing::inspection("SJ00001", 80, "2025-03-01", "g1")),
      event_record(testing::inspection("GHOST", 80, "2023-03-01", "g2"))};
  ASSERT_TRUE(log.append(topics::kEvents, bad));
  run_all(log, demo_lines(5));
  auto dead = log.read(topics::kDeadLetter, 0, 0, 10);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].record.header(headers::kErrorStage), "stage1");
  EXPECT_EQ((*dead)[0].record.header(headers::kErrorCode), "no_rule_set");
  auto waiting = waiting_facts(*last_store_, 0);
  ASSERT_TRUE(waiting);
  ASSERT_EQ(waiting->size(), 1u);
  EXPECT_EQ((*waiting)[0]["community"], "GHOST");
  EXPECT_EQ((*waiting)[0]["reason"], "waiting for the registration of community GHOST");
  EXPECT_EQ(rated_decisions(log), 5);
}

// DOMAIN.md "Facts that arrive before what they name", for companies: a company fact naming a
// company nobody registered is listed as waiting for it; once the company's registration comes
// dated after the fact, as rejected with the reason; one dated on or after it counts and is not
// listed; a retracted one leaves the listing. The same listing whatever the order of arrival.
TEST_F(StagesTest, ACompanyFactWaitsForItsCompanyAndIsRejectedWhenTheCompanyIsKnownOnlyAfterIt) {
  auto fact = [](const std::string& id, const std::string& date, Fact f) {
    Event ev{testing::env(id, "bureau", date, ""), std::move(f)};
    ev.envelope.subject = subject_of(ev.fact);
    return encode_event_json(ev);
  };
  const std::vector<std::string> company_facts = {
      fact("sr-ghost", "2023-03-01", SocialResponsibility{CompanyId("COGHOST"), "助老"}),
      fact("sr-early", "2023-03-01", SocialResponsibility{CompanyId("COLATE"), "助老"}),
      fact("cp-late", "2023-06-01", CreditPoints{CommunityId("SJ00001"), CompanyId("COLATE"), 2}),
      fact("sr-gone", "2023-04-01", SocialResponsibility{CompanyId("COGHOST"), "助残"}),
      fact("reg-colate", "2023-05-01",
           CompanyRegistered{CompanyId("COLATE"), "松江晚到物业有限公司", "91310117MA10000139"}),
      fact("retract-gone", "2023-07-01", FactRetracted{"sr-gone", "录入错误"}),
  };
  auto listing = [&](std::vector<std::string> lines) {
    testing::MemoryLog log;
    run_all(log, lines, 3);
    auto w = waiting_facts(*last_store_, 0);
    EXPECT_TRUE(w) << w.error().message;
    std::map<std::string, std::string> out;  // id -> status: reason (position and instant vary)
    for (const nlohmann::json& j : *w) {
      EXPECT_FALSE(j["accepted_at"].get<std::string>().empty()) << j;
      EXPECT_TRUE(j["position"].get<std::string>().starts_with("jiayuan.events/")) << j;
      out[j["id"].get<std::string>()] =
          j["status"].get<std::string>() + ": " + j["reason"].get<std::string>();
    }
    return out;
  };
  std::vector<std::string> lines = demo_lines(5);
  lines.insert(lines.end(), company_facts.begin(), company_facts.end());
  const auto in_order = listing(lines);
  EXPECT_EQ(in_order, (std::map<std::string, std::string>{
                          {"sr-ghost", "waiting: waiting for the registration of company COGHOST"},
                          {"sr-early",
                           "rejected: dated before the company's registration or first contract "
                           "(company COLATE is known from 2023-05-01)"}}));
  std::vector<std::string> reversed = demo_lines(5);
  reversed.insert(reversed.begin(), company_facts.rbegin() + 1,
                  company_facts.rend());  // all but the retraction first
  reversed.push_back(company_facts.back());
  EXPECT_EQ(listing(reversed), in_order);
}

TEST_F(StagesTest, TheYearsListShowsParticularsOnItsRatingDateAndOnlyCommunitiesRegisteredByThen) {
  testing::MemoryLog log;
  std::vector<std::string> lines = demo_lines(5);
  const auto first = nlohmann::json::parse(first_registration(lines));
  ASSERT_EQ(first["type"], "jiayuan.community.registered");
  const std::string moved = first["data"]["community"], was = first["data"]["street"];
  const std::string to = was == "yueyang" ? "sijing" : "yueyang";
  nlohmann::json change = first;
  change["type"] = "jiayuan.community.changed";
  change["id"] = "move-" + moved;
  change["source"] = "bureau";
  change["occurred"] = "2024-02-01";
  change.erase("time");
  change["data"]["street"] = to;
  nlohmann::json late = first;
  late["id"] = "reg-LATE1";
  late["source"] = "bureau";
  late["occurred"] = "2024-03-01";
  late.erase("time");
  late["subject"] = "LATE1";
  late["data"]["community"] = "LATE1";
  lines.push_back(change.dump());
  lines.push_back(late.dump());
  run_all(log, lines);

  auto street_of = [](const nlohmann::json& items, const std::string& id) {
    for (const auto& i : items) {
      if (i["community"] == id) return i["street"].get<std::string>();
    }
    return std::string("(not listed)");
  };
  CommunityFilter on_rating_date;
  on_rating_date.rating_date = *Date::parse("2023-12-31");
  const auto year = *community_list(ProjectionView(*last_store_), 2023, on_rating_date);
  EXPECT_EQ(street_of(year, moved), was);
  EXPECT_EQ(street_of(year, "LATE1"), "(not listed)");
  EXPECT_EQ(year.size(), 5u);
  // The street filter goes by the street on the rating date, as the summary counts it.
  CommunityFilter old_street = on_rating_date;
  old_street.street = was;
  EXPECT_EQ(street_of(*community_list(ProjectionView(*last_store_), 2023, old_street), moved), was);
  // Without a rating date: the particulars as they stand now.
  const auto now = *community_list(ProjectionView(*last_store_), 2023);
  EXPECT_EQ(street_of(now, moved), to);
  EXPECT_EQ(street_of(now, "LATE1"), was);
}

TEST_F(StagesTest, ACompanyWithNoRatedProjectHasNoCompositeNotAFiftyThatReadsLikeOne) {
  testing::MemoryLog log;
  std::vector<std::string> lines = demo_lines(5);
  nlohmann::json reg = nlohmann::json::parse(first_registration(lines));
  ASSERT_EQ(reg["type"], "jiayuan.community.registered");
  reg["id"] = "reg-QUIET1";
  reg["subject"] = "QUIET1";
  reg["data"]["community"] = "QUIET1";
  reg["occurred"] = "2023-01-05";
  reg.erase("time");
  nlohmann::json contract{
      {"specversion", "1.0"},
      {"id", "contract-QUIET1"},
      {"source", reg["source"]},
      {"type", "jiayuan.contract.assigned"},
      {"occurred", "2023-01-05"},
      {"data", {{"community", "QUIET1"}, {"company", "CO9999"}, {"manager", "PM9999-1"}}}};
  lines.push_back(reg.dump());
  lines.push_back(contract.dump());
  nlohmann::json review =
      nlohmann::json::parse(*std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
        return l.find("jiayuan.review.closed") != std::string::npos;
      }));
  review["id"] = "review-QUIET1";
  review["subject"] = "QUIET1";
  review["data"]["community"] = "QUIET1";
  lines.push_back(review.dump());
  run_all(log, lines);
  const auto standings = company_standings_at(ProjectionView(*last_store_), config_, 2023);
  ASSERT_TRUE(standings) << standings.error().message;
  bool found = false;
  for (const auto& c : (*standings)["companies"]) {
    if (c["company"] != "CO9999") {
      EXPECT_TRUE(c["composite"].is_string()) << c;
      continue;
    }
    found = true;
    EXPECT_EQ(c["rated_projects"], 0) << c;
    EXPECT_TRUE(c["composite"].is_null()) << c;
    EXPECT_TRUE(c["mean_final_score"].is_null()) << c;
    EXPECT_EQ(c["eligible"], false);
  }
  EXPECT_TRUE(found) << standings->dump();
}

// DOMAIN.md "Registry details": names beside ids. Each company's standing carries the name of
// its registration (the latest by date), the manager's name is on the community, and a company
// no registration names has none (null), now and as of a date.
TEST_F(StagesTest, StandingsAndTopTenNameTheRegisteredCompaniesAndCommunitiesTheirManagers) {
  testing::MemoryLog log;
  std::vector<std::string> lines = demo_lines(40);
  std::map<std::string, std::string> names;  // company -> the registered name
  std::string renamed;
  for (const std::string& l : lines) {
    const auto e = nlohmann::json::parse(l);
    if (e["type"] == "jiayuan.company.registered") names[e["data"]["company"]] = e["data"]["name"];
  }
  ASSERT_GE(names.size(), 2u);
  // One company renamed in 2023; another never registered (its registration left out).
  renamed = names.begin()->first;
  const std::string unnamed = std::next(names.begin())->first;
  lines.push_back(nlohmann::json{{"specversion", "1.0"},
                                 {"id", "rename-" + renamed},
                                 {"source", "bureau"},
                                 {"type", "jiayuan.company.registered"},
                                 {"occurred", "2023-06-01"},
                                 {"data",
                                  {{"company", renamed},
                                   {"name", "新名称物业有限公司"},
                                   {"credit_code", "91310117MA10000139"}}}}
                      .dump());
  std::erase_if(lines, [&](const std::string& l) {
    return l.find("\"company-" + unnamed + "\"") != std::string::npos;
  });
  names[renamed] = "新名称物业有限公司";
  names.erase(unnamed);
  run_all(log, lines);
  size_t managers = 0;
  for (const auto& as_of :
       {std::optional<Date>(), std::optional<Date>(*Date::parse("2024-06-30"))}) {
    const ProjectionView view =
        as_of ? ProjectionView(*last_store_, *as_of) : ProjectionView(*last_store_);
    const auto standings = company_standings_at(view, config_, 2023);
    ASSERT_TRUE(standings) << standings.error().message;
    size_t named = 0;
    for (const auto& c : (*standings)["companies"]) {
      const std::string id = c["company"];
      if (names.contains(id)) {
        EXPECT_EQ(c["company_name"], names[id]) << c;
        ++named;
      } else {
        EXPECT_TRUE(c["company_name"].is_null()) << c;
      }
    }
    EXPECT_GT(named, 0u);
    const auto awards = district_view_at(view, config_, 2023);
    ASSERT_TRUE(awards);
    for (const auto& c : (*awards)["top_ten"]) EXPECT_TRUE(c.contains("company_name")) << c;
    for (const auto& m : (*awards)["excellent_managers"])
      EXPECT_TRUE(m["manager_name"].is_string()) << m;
    managers += (*awards)["excellent_managers"].size();
  }
  EXPECT_GT(managers, 0u) << "no excellent manager to name";
  const auto before =
      company_standings_at(ProjectionView(*last_store_, *Date::parse("2023-05-31")), config_, 2023);
  ASSERT_TRUE(before);
  for (const auto& c : (*before)["companies"]) {
    if (c["company"] == renamed) {
      EXPECT_NE(c["company_name"], "新名称物业有限公司") << "renamed before the renaming";
    }
  }
  const std::string community =
      nlohmann::json::parse(first_registration(lines))["data"]["community"];
  const auto view = community_view(ProjectionView(*last_store_), CommunityId(community));
  ASSERT_TRUE(view && *view);
  EXPECT_TRUE((**view)["manager_name"].is_string()) << (**view).dump();
}

// DOMAIN.md "Facts that arrive before what they name", for companies: a company fact counts
// from the date its company is known (its first registration or contract), whenever that
// registration arrives; one dated before it does not count.
TEST_F(StagesTest, ACompanyFactCountsOnlyFromTheDateItsCompanyIsKnownWhateverTheArrivalOrder) {
  std::vector<std::string> lines = demo_lines(5);
  nlohmann::json reg = nlohmann::json::parse(first_registration(lines));
  reg["id"] = "reg-NEW1";
  reg["subject"] = "NEW1";
  reg["data"]["community"] = "NEW1";
  reg["occurred"] = "2023-01-05";
  reg.erase("time");
  auto fact = [](const std::string& id, const std::string& type, const std::string& on,
                 nlohmann::json data) {
    return nlohmann::json{{"specversion", "1.0"}, {"id", id},       {"source", "bureau"},
                          {"type", type},         {"occurred", on}, {"data", data}}
        .dump();
  };
  const std::string contract =
      fact("contract-NEW1", "jiayuan.contract.assigned", "2023-06-01",
           {{"community", "NEW1"}, {"company", "CO8888"}, {"manager", "PM8888-1"}});
  const std::string early = fact("media-early", "jiayuan.media.report", "2023-03-01",
                                 {{"company", "CO8888"}, {"tone", "negative"}});
  const std::string late = fact("media-late", "jiayuan.media.report", "2023-07-01",
                                {{"company", "CO8888"}, {"tone", "negative"}});
  const std::string registered =
      fact("company-CO8888", "jiayuan.company.registered", "2023-02-01",
           {{"company", "CO8888"}, {"name", "新桥物业"}, {"credit_code", "91310117MA10000139"}});
  auto media_negative = [&](std::vector<std::string> extra) {
    testing::MemoryLog log;
    std::vector<std::string> all = lines;
    all.push_back(reg.dump());
    all.insert(all.end(), extra.begin(), extra.end());
    run_all(log, all);
    const auto standings = company_standings_at(ProjectionView(*last_store_), config_, 2023);
    EXPECT_TRUE(standings);
    for (const auto& c : (*standings)["companies"]) {
      if (c["company"] == "CO8888") return c["media_negative"].get<int>();
    }
    ADD_FAILURE() << "CO8888 not in the standings";
    return -1;
  };
  EXPECT_EQ(media_negative({early, late, contract}), 1) << "the report before the contract counted";
  EXPECT_EQ(media_negative({contract, late, early}), 1);
  EXPECT_EQ(media_negative({early, late, contract, registered}), 2)
      << "registered before both reports";
  EXPECT_EQ(media_negative({registered, early, contract, late}), 2);
}

// What supervisors see: the district's answers for 2023 and the pages of SJ00001..8 and NEW1.
std::string supervisor_answers(const Store& store, const Config& config) {
  const ProjectionView v(store);
  std::string out;
  auto add = [&](const Result<nlohmann::json>& j) {
    out += (j ? j->dump() : "error: " + j.error().message) + "\n";
  };
  add(street_summary(v, 2023));
  add(district_view_at(v, config, 2023));
  add(company_standings_at(v, config, 2023));
  add(community_list(v, 2023));
  for (const char* c : {"SJ00001", "SJ00002", "SJ00003", "SJ00004", "SJ00005", "SJ00006", "SJ00007",
                        "SJ00008", "NEW1"}) {
    auto page = community_view(v, CommunityId(c));
    out += page ? page->value_or(nlohmann::json()).dump() : "error";
    out += "\n";
  }
  return out;
}

TEST_F(StagesTest, FactsWaitingAcrossBatchesCountOnceRegisteredAndTheListingFollowsThem) {
  // Every registry fact last, one fact a batch: each community's facts wait over many batches
  // (their stored forms leave the state at each commit) before a registration places them.
  const std::vector<std::string> lines = demo_lines(8);
  std::vector<std::string> late = lines;
  std::stable_partition(late.begin(), late.end(), [](const std::string& l) {
    return l.find("\"jiayuan.community.registered\"") == std::string::npos &&
           l.find("\"jiayuan.contract.assigned\"") == std::string::npos;
  });
  // And a community registered in the year, with an inspection dated three days before its
  // registration: listed as rejected once the registration says so, with the instant it was
  // accepted; and one after, which counts.
  nlohmann::json reg = nlohmann::json::parse(first_registration(lines));
  nlohmann::json early;
  for (const std::string& l : lines) {
    if (l.find("\"jiayuan.inspection\"") != std::string::npos &&
        l.find(reg["source"].get<std::string>()) != std::string::npos) {
      early = nlohmann::json::parse(l);
      break;
    }
  }
  ASSERT_TRUE(early.is_object()) << "no inspection by " << reg["source"];
  for (nlohmann::json* f : {&reg, &early}) {
    (*f)["subject"] = "NEW1";
    (*f)["data"]["community"] = "NEW1";
    f->erase("time");
  }
  reg["id"] = "reg-NEW1";
  reg["occurred"] = "2023-03-10";
  early["id"] = "too-early";
  early["occurred"] = "2023-03-07";
  nlohmann::json after = early;
  after["id"] = "after-registration";
  after["occurred"] = "2023-04-01";
  late.push_back(reg.dump());
  late.insert(late.begin(), after.dump());
  late.insert(late.begin(), early.dump());
  testing::MemoryLog b;
  run_all(b, late, 1);
  const std::string registered_last = supervisor_answers(*last_store_, config_);
  std::vector<nlohmann::json> listed;
  ASSERT_TRUE(list_waiting_communities(*last_store_,
                                       [&](nlohmann::json w) { listed.push_back(std::move(w)); }));
  size_t stored = 0;
  ASSERT_TRUE(last_store_->scan(
      cf::kWaitingFacts, "", [&](std::string_view, std::string_view) { return ++stored, true; }));
  ASSERT_EQ(listed.size(), 1u) << "every other waiting fact was placed and left the listing";
  const nlohmann::json& w = listed.front();
  EXPECT_EQ(w["id"], "too-early");
  EXPECT_EQ(w["status"], "rejected");
  EXPECT_EQ(w["reason"], "dated before the community's registration");
  EXPECT_FALSE(w["accepted_at"].get<std::string>().empty());
  EXPECT_EQ(stored, 1u)
      << "the rejected fact is kept (an earlier registration may come); nothing else";
  // The early inspection counts for nothing, so the outcomes are the date order's.
  testing::MemoryLog c;
  std::vector<std::string> with_early = lines;
  for (const nlohmann::json* f : {&reg, &early, &after}) with_early.push_back(f->dump());
  run_all(c, with_early, 1000);
  EXPECT_EQ(registered_last, supervisor_answers(*last_store_, config_));
  EXPECT_NE(registered_last.find("\"NEW1\""), std::string::npos);
}

// A store written while a community's waiting facts were kept in its state (their stored forms
// under their keys as they came, their listing in cf::kWaiting as JSON) goes on from where it
// stood: listed as before, placed by the registration as if written today, the earlier listing
// gone once its community is next folded.
TEST_F(StagesTest, WaitingFactsOfTheEarlierLayoutAreListedPlacedAndMovedOn) {
  std::vector<std::string> lines = demo_lines(6);
  auto registry = std::stable_partition(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("\"jiayuan.community.registered\"") == std::string::npos;
  });
  const std::vector<std::string> waiting_part(lines.begin(), registry);
  const std::vector<std::string> registry_part(registry, lines.end());
  testing::MemoryLog fresh;
  run_all(fresh, lines);
  const std::string expected = supervisor_answers(*last_store_, config_);

  testing::MemoryLog log;
  run_all(log, waiting_part);
  Store& store = *last_store_;
  std::vector<nlohmann::json> listed_before;
  ASSERT_TRUE(list_waiting_communities(
      store, [&](nlohmann::json w) { listed_before.push_back(std::move(w)); }));
  ASSERT_GT(listed_before.size(), 100u);
  // Into the earlier layout, by hand.
  std::map<std::string, CommunityState> states;
  rocksdb::WriteBatch b;
  size_t i = 0;
  ASSERT_TRUE(store.scan(cf::kWaitingFacts, "", [&](std::string_view k, std::string_view v) {
    auto e = decode_waiting_entry(v);
    EXPECT_TRUE(e && *e);
    const nlohmann::json& l = listed_before[i++];
    EXPECT_EQ(waiting_key(l["community"].get<std::string>(), l["source"].get<std::string>(),
                          l["id"].get<std::string>()),
              k);
    states[l["community"]].waiting.push_back({(*e)->on, l["source"], l["id"], "", (*e)->reported});
    b.Put(store.cf(cf::kWaitingFacts), k, (*e)->stored);
    b.Put(store.cf(cf::kWaiting), k, l.dump());
    return true;
  }));
  for (auto& [id, s] : states) {
    auto bytes = store.get(cf::kStage1, id);
    ASSERT_TRUE(bytes && *bytes);
    CommunityState state = decode_state(**bytes);
    ASSERT_TRUE(state.waiting.empty());
    state.waiting = std::move(s.waiting);
    std::sort(state.waiting.begin(), state.waiting.end(), [](const auto& x, const auto& y) {
      return std::tie(x.on, x.source, x.id) < std::tie(y.on, y.source, y.id);
    });
    b.Put(store.cf(cf::kStage1), id, encode_state(state));
  }
  ASSERT_TRUE(store.write(b));
  std::vector<nlohmann::json> listed_earlier;
  ASSERT_TRUE(list_waiting_communities(
      store, [&](nlohmann::json w) { listed_earlier.push_back(std::move(w)); }));
  EXPECT_EQ(listed_earlier, listed_before);

  auto intake = Intake::open(log, config_);
  ASSERT_TRUE(intake);
  std::vector<IntakeInput> in;
  for (const auto& l : registry_part) in.push_back({l, "t", std::nullopt});
  ASSERT_TRUE((*intake)->submit(in));
  std::atomic<bool> stop{false};
  ASSERT_TRUE(run_engine(log, store, config_, RunOptions{}, stop));
  EXPECT_EQ(supervisor_answers(store, config_), expected);
  size_t earlier = 0, entries = 0;
  ASSERT_TRUE(store.scan(cf::kWaiting, "", [&](auto, auto) { return ++earlier, true; }));
  ASSERT_TRUE(store.scan(cf::kWaitingFacts, "", [&](auto, auto) { return ++entries, true; }));
  EXPECT_EQ(earlier, 0u) << "the earlier listing went with its communities' next fold";
  EXPECT_EQ(entries, 0u) << "every waiting fact was placed";
}

// Over the embedded log the projection stage runs beside stage 1 and computes stages 2 and 3
// only once stage 1 has caught up; a year a crash left dirty (projected, its standings not yet
// computed) is settled before the engine calls itself idle, even when nothing else is left.
TEST_F(StagesTest, AYearLeftDirtyIsSettledBeforeTheEngineIsIdle) {
  testing::TempDir dir;
  auto log = EmbeddedLog::open(dir / "log", {{std::string(topics::kEvents), 3}});
  ASSERT_TRUE(log);
  const std::string settled = run_all(**log, demo_lines(10));
  Store& store = *last_store_;
  rocksdb::WriteBatch crash;  // as a crash between the projection's write and stages 2 and 3
  ASSERT_TRUE(store.scan(cf::kProjStanding, "2023/", [&](std::string_view k, std::string_view) {
    crash.Delete(store.cf(cf::kProjStanding), k);
    return true;
  }));
  ASSERT_GT(crash.Count(), 0u);
  crash.Delete(store.cf(cf::kProjDistrict), "2023");
  crash.Put(store.cf(cf::kOffsets), std::string(kDirtyPrefix) + "2023", "");
  ASSERT_TRUE(store.write(crash));
  ASSERT_NE(*store.projection_digest(), settled);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(run_engine(**log, store, config_, RunOptions{}, stop));
  EXPECT_EQ(*store.projection_digest(), settled);
}

TEST_F(StagesTest, RebuildingProjectionsGivesTheSameDigest) {
  testing::MemoryLog log;
  const std::string before = run_all(log, demo_lines(10));
  ASSERT_GT(*last_store_->offset("projector", topics::kEvents, 0), 0);
  ASSERT_TRUE(last_store_->drop_projections());
  std::vector<std::string> keys;  // the projector's offsets went with its projections
  ASSERT_TRUE(
      last_store_->scan(cf::kOffsets, "projector/", [&](std::string_view k, std::string_view) {
        keys.emplace_back(k);
        return true;
      }));
  EXPECT_TRUE(keys.empty());
  EXPECT_GT(*last_store_->offset("stage1", topics::kEvents, 0), 0);  // stage 1's stay
  EXPECT_NE(*last_store_->projection_digest(), before);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(run_engine(log, *last_store_, config_, RunOptions{}, stop));
  EXPECT_EQ(*last_store_->projection_digest(), before);
}

}  // namespace
}  // namespace jiayuan
