// Golden stored bytes of every decision kind in every storage format: what a build wrote must
// decode for ever. The files in tests/events/golden/ are the bytes (hex) of the decisions built
// below; format 4 is what this build writes (from the field lists of events/decision_fields.h),
// formats 1, 2 and 3 what the builds before the hash chain, before revisions and before the field
// lists wrote; format 5 has format 4's layout and is hashed over its JSON form, kept beside it
// (<kind>.format5.json, events/decision_json.h): what jiayuan.decisions carries on Kafka. A
// decision read from any format writes again (and hashes) as those bytes.
//
// A deliberate new format adds files; it never edits one. To write the files of a new format
// (and only then): JIAYUAN_WRITE_GOLDEN=1 build/default/tests/events_test
// --gtest_filter='DecisionGolden.*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "events/binary_codec.h"
#include "events/decision_json.h"
#include "events/hex.h"
#include "events/sha256.h"

namespace jiayuan {
namespace {

const std::filesystem::path kDir =
    std::filesystem::path(JIAYUAN_SOURCE_DIR) / "tests/events/golden";

std::string hex(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    append_hex(out, static_cast<unsigned char>(bytes[i]));
    if (i % 32 == 31) out += '\n';
  }
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

std::string unhex(const std::string& text) {
  std::string out;
  int high = -1;
  for (const char ch : text) {
    int v = -1;
    if (ch >= '0' && ch <= '9') v = ch - '0';
    if (ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
    if (v < 0) continue;
    if (high < 0) {
      high = v;
    } else {
      out += static_cast<char>(high * 16 + v);
      high = -1;
    }
  }
  return out;
}

// Every field set, none at its default, so that a field moved, dropped or resized shows.
Decision base(std::string_view kind) {
  Decision d;
  d.id = std::string(kind) + ":SJ00042:2023:00000000deadbeef";
  d.community = CommunityId("SJ00042");
  d.year = 2023;
  d.log_date = *Date::parse("2024-01-10");
  d.cause_source = "bureau";
  d.cause_id = "review-SJ00042";
  d.rule_set_id = "songjiang-2022-134";
  d.rule_set_hash = std::string(64, 'c');
  d.revises = std::string(kind) + ":SJ00042:2023:0000000000000001";
  d.cause_partition = 2;
  d.cause_offset = 123456789012;
  d.prev_hash = std::string(64, 'a');
  return d;
}

Decision rated() {
  Decision d = base("community.rated");
  CommunityRated r;
  r.community = d.community;
  r.name = "松江新苑";
  r.year = 2023;
  r.grade = Grade::kStandard;
  Explanation& x = r.explanation;
  x.street = "yueyang";
  x.tier = "T2";
  x.tier_unnamed = true;
  x.fee = Centi{215};
  x.enclosure = Enclosure::kScattered;
  x.category = Category::kRelocation;
  x.inspections = 3;
  x.surveys = 1;
  x.weight_divisor = 100;
  x.scores = {{"cleaning", 15, 2, Centi{8125}}, {"satisfaction", 10, 1, Centi{7700}}};
  x.has_score = true;
  x.service = Centi{8012};
  x.deductions = {{"hotline_substantiated",
                   "2 × 0.50",
                   2,
                   Centi{50},
                   Centi{500},
                   Centi{100},
                   {"hotline/h1", "hotline/h2"}}};
  x.deductions_total = Centi{100};
  x.final_score = Centi{7912};
  x.thresholds = {Centi{9000}, Centi{8000}, Centi{6000}};
  x.vetoes = {"a major safety incident (fire/inc-1, 2023-08-31)"};
  x.rule_set_id = d.rule_set_id;
  x.rule_set_hash = d.rule_set_hash;
  x.after_review = {"street.yueyang/p2 (proposal of 2024-01-12)"};
  r.has_proposal = true;
  r.proposal = Grade::kExemplary;
  r.proposal_flagged = true;
  r.summary = {CompanyId("CO0007"), ManagerId("PM0007-1"), 812, 4, 3, 9, 8, 1, 2, 1, 5, 6, 5};
  r.rated_on = *Date::parse("2024-01-10");
  r.withdrawn = true;
  d.body = r;
  d.hash = decision_hash(d);
  return d;
}

Decision published() {
  Decision d = base("community.published");
  d.body = CommunityPublished{d.community, 2023, Grade::kFailing, *Date::parse("2024-01-20"), true};
  d.hash = decision_hash(d);
  return d;
}

Decision case_step() {
  Decision d = base("case.escalated");
  d.body = CaseStep{d.community,
                    2023,
                    CaseStepKind::kEscalated,
                    *Date::parse("2024-02-20"),
                    true,
                    *Date::parse("2024-03-21"),
                    EscalationReason::kMissedInterview,
                    "chengguan"};
  d.hash = decision_hash(d);
  return d;
}

Decision case_revised() {
  Decision d = base("case.revised");
  const CaseStep opened{d.community,
                        2023,
                        CaseStepKind::kOpened,
                        *Date::parse("2024-01-20"),
                        true,
                        *Date::parse("2024-02-19"),
                        EscalationReason::kNone,
                        ""};
  const CaseStep held{d.community,
                      2023,
                      CaseStepKind::kInterviewHeld,
                      *Date::parse("2024-02-01"),
                      true,
                      *Date::parse("2024-03-02"),
                      EscalationReason::kNone,
                      ""};
  d.body = CaseRevised{d.community,
                       2023,
                       {{opened, *Date::parse("2024-01-20"), "bureau", "pub-1"},
                        {held, *Date::parse("2024-02-25"), "bureau", "int-1"}}};
  d.hash = decision_hash(d);
  return d;
}

struct Golden {
  std::string file;
  Decision expected;  // what it must decode to (its format set: encoding it gives the file's bytes)
};

std::vector<Golden> goldens() {
  std::vector<Golden> out;
  const std::vector<std::pair<std::string, Decision>> kinds = {{"community.rated", rated()},
                                                               {"community.published", published()},
                                                               {"case.escalated", case_step()},
                                                               {"case.revised", case_revised()}};
  for (const auto& [kind, d] : kinds) {
    out.push_back({kind + ".format5.hex", d});
    Decision four = d;
    four.format = 4;
    four.hash = decision_hash(four);
    out.push_back({kind + ".format4.hex", four});
    // Formats 1 and 2 were cut from format 3's bytes (the chain's hash is format 3's).
    Decision three = d;
    three.format = 3;
    three.hash = decision_hash(three);
    out.push_back({kind + ".format3.hex", three});
    if (kind == "case.revised") continue;  // a kind of format 3
    for (int format : {1, 2}) {
      Decision e = three;  // as read: what the format did not carry is empty
      e.format = format;
      e.revises.clear();
      if (auto* r = std::get_if<CommunityRated>(&e.body)) {
        r->rated_on = Date();
        r->withdrawn = false;
        r->explanation.after_review.clear();
      } else if (auto* p = std::get_if<CommunityPublished>(&e.body)) {
        p->withdrawn = false;
      }
      if (format == 1) {
        e.cause_partition = -1;
        e.cause_offset = -1;
        e.prev_hash.clear();
        e.hash.clear();
      }
      out.push_back({kind + ".format" + std::to_string(format) + ".hex", e});
    }
  }
  return out;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DecisionGolden, EveryKindOfEveryFormatDecodesToWhatItStored) {
  const bool write = std::getenv("JIAYUAN_WRITE_GOLDEN") != nullptr;
  for (const Golden& g : goldens()) {
    const std::filesystem::path file = kDir / g.file;
    if (write && !std::filesystem::exists(file)) {
      std::filesystem::create_directories(kDir);
      std::ofstream(file, std::ios::binary) << hex(encode_decision_binary(g.expected));
    }
    ASSERT_TRUE(std::filesystem::exists(file)) << file << " is missing";
    const std::string stored = unhex(read_file(file));
    auto back = decode_decision_binary(stored);
    ASSERT_TRUE(back) << g.file << ": " << back.error().message;
    EXPECT_EQ(back->format, g.expected.format == 0 ? kDecisionFormat : g.expected.format) << g.file;
    // Written again in its own format: the same bytes (so its hash is what it was).
    EXPECT_EQ(hex(encode_decision_binary(*back)), hex(stored))
        << g.file << ": this build no longer writes it as it was";
    // Equal field for field: both in the current format, which carries every field.
    Decision now = *back, expected = g.expected;
    now.format = expected.format = 0;
    EXPECT_EQ(hex(encode_decision_binary(now)), hex(encode_decision_binary(expected))) << g.file;
    EXPECT_EQ(kind_of(back->body), kind_of(g.expected.body)) << g.file;
    if (back->format >= 3) {
      EXPECT_EQ(decision_hash(*back), back->hash)
          << g.file << ": the hash chain no longer verifies";
    }
  }
}

// The JSON form of format 5: the bytes a program reads on Kafka and hashes to check the chain.
TEST(DecisionGolden, TheJsonFormOfEveryKindDecodesWritesAgainByteForByteAndHashesToItsHash) {
  const bool write = std::getenv("JIAYUAN_WRITE_GOLDEN") != nullptr;
  for (const Decision& d : {rated(), published(), case_step(), case_revised()}) {
    const std::filesystem::path file = kDir / (kind_of(d.body) + ".format5.json");
    if (write && !std::filesystem::exists(file)) {
      std::ofstream(file, std::ios::binary) << encode_decision_json(d);
    }
    ASSERT_TRUE(std::filesystem::exists(file)) << file << " is missing";
    const std::string stored = read_file(file);
    auto back = decode_decision_json(stored, d.hash);
    ASSERT_TRUE(back) << file << ": " << back.error().message;
    EXPECT_EQ(back->format, kDecisionFormat);
    EXPECT_EQ(encode_decision_json(*back), stored) << file << ": no longer written as it was";
    EXPECT_EQ(sha256_hex(stored), d.hash) << file << ": the hash is no longer over these bytes";
    EXPECT_EQ(decision_hash(*back), d.hash);
    EXPECT_EQ(hex(encode_decision_binary(*back)), hex(encode_decision_binary(d)))
        << file << ": the JSON form lost or changed a field";
  }
}

TEST(DecisionGolden, TheJsonFormRefusesWhatIsNotADecisionNamingTheField) {
  std::string text = encode_decision_json(case_step());
  auto with = [&](std::string_view from, std::string_view to) {
    std::string t = text;
    const size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) t.replace(at, from.size(), to);
    auto r = decode_decision_json(t);
    EXPECT_FALSE(r) << to;
    return r ? std::string() : r.error().message;
  };
  EXPECT_EQ(with("\"step\":\"escalated\"", "\"step\":\"escalate\""),
            "body.step: expected one of \"opened\", \"interview_held\", "
            "\"rectification_submitted\", \"rectified\", \"escalated\", "
            "\"sanction_recorded\", \"sanctioned\", got \"escalate\"");
  EXPECT_EQ(with("\"step\":\"escalated\"", "\"step\":\"opened\""),
            "body.step: expected the step its kind names (escalated), got \"opened\"");
  EXPECT_EQ(with("\"cause_offset\":123456789012", "\"cause_offset\":\"12\""),
            "cause_offset: expected an integer, got \"12\"");
  EXPECT_EQ(with("\"format\":5", "\"format\":6"), "format: expected a decision format 1..5, got 6");
  EXPECT_EQ(with("\"kind\":\"case.escalated\"", "\"kind\":\"case.lost\""),
            "kind: expected a decision kind such as \"community.rated\", got \"case.lost\"");
  EXPECT_EQ(with("\"body\":{", "\"body\":{\"extra\":1,"),
            "body.extra: expected no such field, got 1");
  EXPECT_EQ(with("\"on\":\"2024-02-20\"", "\"on\":\"2024-02-30\""),
            "body.on: expected a date YYYY-MM-DD, got \"2024-02-30\"");
  EXPECT_FALSE(decode_decision_json("[1,2]"));
  EXPECT_FALSE(decode_decision_json("{\"format\":5"));
}

TEST(DecisionGolden, CaseStepsAndReasonsAreStoredByTheirFixedNumbers) {
  EXPECT_EQ(static_cast<int>(CaseStepKind::kOpened), 0);
  EXPECT_EQ(static_cast<int>(CaseStepKind::kSanctioned), 6);
  EXPECT_EQ(static_cast<int>(EscalationReason::kFailedReinspection), 3);
  for (size_t i = 0; i < kCaseStepNames.size(); ++i) {
    EXPECT_EQ(parse_case_step(kCaseStepNames[i]), static_cast<CaseStepKind>(i));
  }
  EXPECT_EQ(parse_case_step("escalate"), std::nullopt);
  EXPECT_EQ(parse_escalation_reason(""), EscalationReason::kNone);
  // A step number this build does not know is refused, not shown as some other step.
  std::string bytes = encode_decision_binary(case_step());
  const std::string step = encode_decision_binary([] {
    Decision d = case_step();
    std::get<CaseStep>(d.body).step = CaseStepKind::kSanctioned;
    return d;
  }());
  ASSERT_EQ(step.size(), bytes.size());
  size_t at = 0;
  while (at < bytes.size() && bytes[at] == step[at]) ++at;
  ASSERT_LT(at, bytes.size());
  EXPECT_EQ(static_cast<int>(bytes[at]), static_cast<int>(CaseStepKind::kEscalated));
  bytes[at] = 42;
  auto back = decode_decision_binary(bytes);
  ASSERT_FALSE(back);
  EXPECT_NE(back.error().message.find("does not know (step 42"), std::string::npos)
      << back.error().message;
}

TEST(DecisionGolden, TheStoredTagOfEachKindIsFixed) {
  EXPECT_EQ(static_cast<uint16_t>(tag_of(rated().body)), 0);
  EXPECT_EQ(static_cast<uint16_t>(tag_of(published().body)), 1);
  EXPECT_EQ(static_cast<uint16_t>(tag_of(case_step().body)), 2);
  EXPECT_EQ(static_cast<uint16_t>(tag_of(case_revised().body)), 3);
  // Stored after 'J' 'D' <format> and cereal's portable-binary endianness byte, as a
  // little-endian u16 on every machine.
  const std::string bytes = encode_decision_binary(case_revised());
  ASSERT_GE(bytes.size(), 6u);
  const uint16_t stored = static_cast<uint16_t>(static_cast<unsigned char>(bytes[4]) |
                                                (static_cast<unsigned char>(bytes[5]) << 8));
  EXPECT_EQ(stored, 3);
}

TEST(DecisionGolden, AnUnknownTagIsRefusedWithItsNumber) {
  std::string bytes = unhex(read_file(kDir / "case.revised.format5.hex"));
  ASSERT_GE(bytes.size(), 6u);
  bytes[4] = 9;
  auto back = decode_decision_binary(bytes);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().message, "unknown decision tag 9");
}

}  // namespace
}  // namespace jiayuan
