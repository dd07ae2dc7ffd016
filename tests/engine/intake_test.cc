#include "engine/intake.h"

#include <gtest/gtest.h>

#include "events/json_codec.h"
#include "tests/support/facts.h"
#include "tests/support/memory_log.h"

namespace jiayuan {
namespace {

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = load_config(JIAYUAN_TEST_CONFIG_DIR);
    ASSERT_TRUE(c) << c.error().message;
    config_ = std::move(*c);
    auto i = Intake::open(log_, config_);
    ASSERT_TRUE(i);
    intake_ = std::move(*i);
  }
  std::vector<IntakeOutcome> submit(const std::vector<std::string>& lines) {
    std::vector<IntakeInput> in;
    for (size_t i = 0; i < lines.size(); ++i) in.push_back({lines[i], "f:" + std::to_string(i + 1), std::nullopt});
    auto out = intake_->submit(in);
    EXPECT_TRUE(out);
    return *out;
  }
  Config config_;
  testing::MemoryLog log_;
  std::unique_ptr<Intake> intake_;
};

std::string json(const Event& e) { return encode_event_json(e); }

TEST_F(IntakeTest, AcceptedFactsGoToTheEventsLogAndBadOnesToTheDeadLetterLog) {
  auto out = submit({json(testing::registered("C1", "yueyang", 2.0)), "{not json",
                     json(testing::inspection("C1", 80, "2023-03-01", "i1"))});
  EXPECT_EQ(out[0].verdict, Verdict::kAccepted);
  EXPECT_EQ(out[1].verdict, Verdict::kRejected);
  EXPECT_EQ(out[1].reason.code, "bad_json");
  EXPECT_EQ(out[2].verdict, Verdict::kAccepted);
  EXPECT_EQ(*log_.end_offset(topics::kEvents, 0), 2);
  auto dead = log_.read(topics::kDeadLetter, 0, 0, 10);
  ASSERT_EQ(dead->size(), 1u);
  const Record& r = (*dead)[0].record;
  EXPECT_EQ(r.value, "{not json");  // original bytes
  EXPECT_EQ(r.header(headers::kErrorStage), "intake");
  EXPECT_EQ(r.header(headers::kErrorOrigin), "f:2");
  EXPECT_EQ(r.header(headers::kErrorCode), "bad_json");
}

TEST_F(IntakeTest, SameSourceAndIdWithSameContentIsANoOp) {
  const std::string reg = json(testing::registered("C1", "yueyang", 2.0));
  submit({reg});
  auto again = submit({reg});
  EXPECT_EQ(again[0].verdict, Verdict::kDuplicate);
  EXPECT_EQ(*log_.end_offset(topics::kEvents, 0), 1);
}

TEST_F(IntakeTest, SameSourceAndIdWithDifferentContentIsRejected) {
  submit({json(testing::registered("C1", "yueyang", 2.0)), json(testing::inspection("C1", 80, "2023-03-01", "i1"))});
  auto out = submit({json(testing::inspection("C1", 81, "2023-03-01", "i1"))});
  EXPECT_EQ(out[0].verdict, Verdict::kRejected);
  EXPECT_EQ(out[0].reason.code, "conflicting_resend");
}

TEST_F(IntakeTest, IndexIsRebuiltFromTheLogOnOpen) {
  submit({json(testing::registered("C1", "yueyang", 2.0))});
  auto reopened = Intake::open(log_, config_);
  ASSERT_TRUE(reopened);
  std::vector<IntakeInput> in = {{json(testing::registered("C1", "yueyang", 2.0)), "x", std::nullopt},
                                 {json(testing::inspection("C1", 80, "2023-03-01", "i1")), "y", std::nullopt}};
  auto out = (*reopened)->submit(in);
  EXPECT_EQ((*out)[0].verdict, Verdict::kDuplicate);
  EXPECT_EQ((*out)[1].verdict, Verdict::kAccepted);  // the community is known after reopening
}

TEST_F(IntakeTest, RejectsWithPreciseReasons) {
  submit({json(testing::registered("C1", "yueyang", 2.0))});
  Event wrong_source = testing::review_closed("C1", 2023, "2024-01-10");
  wrong_source.envelope.source = "street.yueyang";
  Event atlantis = testing::registered("C3", "atlantis", 2.0);
  atlantis.envelope.source = "bureau";
  Event unknown_dept = testing::inspection("C1", 80, "2023-03-01", "i9");
  unknown_dept.envelope.source = "aliens";
  struct Case {
    std::string line;
    std::string code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {json(testing::inspection("C2", 80, "2023-03-01", "i2")), "unknown_community",
       "data.community: expected a registered community, got \"C2\""},
      {json(testing::inspection("C1", 80, "2025-03-01", "i3")), "no_rule_set",
       "occurred: expected a date with a rule set in force, got 2025-03-01"},
      {json(atlantis), "unknown_street",
       "data.street: expected a street or town of config/district.toml, got \"atlantis\""},
      {json(wrong_source), "not_authorised",
       "source: expected a department allowed to publish jiayuan.review.closed (bureau), got \"street.yueyang\""},
      {json(unknown_dept), "unknown_source", "source: expected a department of config/district.toml, got \"aliens\""},
      {json(testing::review_closed("C1", 2023, "2025-01-01")), "bad_date",
       "occurred: expected a date from 2022-12-01 to 2024-12-31 for year 2023, got 2025-01-01"},
      {json(testing::review_closed("C1", 2030, "2024-01-01")), "no_rule_set",
       "data.year: expected an evaluation year a rule set defines, got 2030"},
  };
  for (const Case& c : cases) {
    auto out = submit({c.line});
    ASSERT_EQ(out[0].verdict, Verdict::kRejected) << c.line;
    EXPECT_EQ(out[0].reason.code, c.code) << out[0].reason.message;
    EXPECT_EQ(out[0].reason.message, c.message);
  }
}

TEST_F(IntakeTest, ProvenSourceOverridesWhatTheEnvelopeClaims) {
  std::vector<IntakeInput> in = {
      {json(testing::registered("C1", "yueyang", 2.0)), "x", DepartmentId("street.fangsong")}};
  auto out = intake_->submit(in);
  ASSERT_EQ((*out)[0].verdict, Verdict::kRejected);
  EXPECT_EQ((*out)[0].reason.code, "source_mismatch");
}

}  // namespace
}  // namespace jiayuan
