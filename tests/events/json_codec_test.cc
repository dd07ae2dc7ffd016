#include "events/json_codec.h"

#include <gtest/gtest.h>

#include "events/binary_codec.h"
#include "tests/support/facts.h"

namespace jiayuan {
namespace {

using testing::inspection;
using testing::registered;
using testing::review_closed;
using testing::survey;

// One test per fact type: JSON → event → binary → event → JSON, unchanged.
class RoundTrip : public ::testing::TestWithParam<size_t> {};

TEST_P(RoundTrip, JsonToEventToBinaryToEventToJsonIsUnchanged) {
  const std::vector<Event> events = testing::one_of_each();
  ASSERT_EQ(events.size(), fact_types().size());
  const Event& e = events[GetParam()];
  EXPECT_EQ(type_name(e.fact), fact_types()[GetParam()].name);
  const std::string json = encode_event_json(e);
  auto decoded = decode_event_json(json);
  ASSERT_TRUE(decoded) << decoded.error().message;
  auto stored = decode_event_binary(encode_event_binary(*decoded));
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(encode_event_json(*stored), json);
}

INSTANTIATE_TEST_SUITE_P(EveryFactType, RoundTrip,
                         ::testing::Range<size_t>(0, std::variant_size_v<Fact>),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           std::string name(fact_types()[info.param].name.substr(8));
                           for (char& c : name) c = c == '.' ? '_' : c;
                           return name;
                         });

TEST(JsonCodec, FillsSubjectFromTheData) {
  auto e = decode_event_json(
      R"({"specversion":"1.0","id":"x","source":"bureau","type":"jiayuan.survey","occurred":"2023-05-01",)"
      R"("data":{"community":"C9","satisfaction":80,"respondents":120}})");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->envelope.subject, "C9");
  EXPECT_EQ(e->envelope.schema_version, 2);
}

const char* kSurveyV1 =
    R"({"specversion":"1.0","id":"x","source":"bureau","type":"jiayuan.survey","occurred":"2023-05-01",)"
    R"("schemaversion":1,"data":{"community":"C9","satisfaction":80}})";

TEST(Upcasting, AVersionOneSurveyReadsAsVersionTwoWithRespondentsUnreported) {
  auto e = decode_event_json(kSurveyV1);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->envelope.schema_version, 2);
  EXPECT_EQ(std::get<SatisfactionSurvey>(e->fact).respondents, 0);
  EXPECT_NE(encode_event_json(*e).find(R"("respondents":0)"), std::string::npos);
}

TEST(Upcasting, VersionOneHasNoRespondentsAndVersionTwoRequiresThem) {
  std::string v1_with = kSurveyV1;
  v1_with.replace(v1_with.find("\"satisfaction\":80"), 17, R"("satisfaction":80,"respondents":3)");
  auto a = decode_event_json(v1_with);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().message, "data.respondents: expected no such field, got 3");
  std::string v2_without = kSurveyV1;
  v2_without.replace(v2_without.find("\"schemaversion\":1"), 17, R"("schemaversion":2)");
  auto b = decode_event_json(v2_without);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().message, "data.respondents: expected a value, got nothing");
}

// DOMAIN.md "Partial changes": community.changed carries only the fields that change.
const char* kPartialChange =
    R"({"specversion":"1.0","id":"ch1","source":"street.yueyang","type":"jiayuan.community.changed",)"
    R"("occurred":"2023-05-01","data":{"community":"C9","households":720,"fee":2.4}})";

TEST(PartialChanges, ACommunityChangeCarriesOnlyTheFieldsThatChangeAndKeepsThemThroughBothForms) {
  auto e = decode_event_json(kPartialChange);
  ASSERT_TRUE(e) << e.error().message;
  const auto& c = std::get<CommunityChanged>(e->fact);
  EXPECT_EQ(c.changed, kChangedHouseholds | kChangedFee);
  EXPECT_TRUE(c.changes(kChangedFee));
  EXPECT_FALSE(c.changes(kChangedStreet));
  EXPECT_EQ(c.households, 720);
  const std::string data = encode_fact_data_json(e->fact);
  EXPECT_EQ(data, R"({"community":"C9","fee":2.4,"households":720})");
  auto back = decode_event_binary(encode_event_binary(*e));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(std::get<CommunityChanged>(back->fact).changed, c.changed);
  EXPECT_EQ(encode_event_json(*back), encode_event_json(*e));
}

TEST(PartialChanges, AChangeOfNothingIsRejectedAndVersionOneStillRestatesEveryField) {
  std::string nothing = kPartialChange;
  nothing.replace(nothing.find(R"(,"households":720,"fee":2.4)"), 27, "");
  auto a = decode_event_json(nothing);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().message,
            "data: expected at least one particular that changes (name, street, households, fee, "
            "enclosure or category) "
            "beside data.community, got only data.community");
  std::string v1 = kPartialChange;
  v1.replace(v1.find(R"("occurred")"), 0, R"("schemaversion":1,)");
  auto b = decode_event_json(v1);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().message, "data.name: expected a value, got nothing");
  const std::string full =
      R"({"specversion":"1.0","id":"ch2","source":"street.yueyang","type":"jiayuan.community.changed",)"
      R"("occurred":"2023-05-01","schemaversion":1,"data":{"community":"C9","name":"n","street":"yueyang",)"
      R"("households":10,"fee":2.5,"enclosure":"closed","category":"mixed"}})";
  auto c = decode_event_json(full);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(std::get<CommunityChanged>(c->fact).changed, 0);  // every field
  EXPECT_TRUE(std::get<CommunityChanged>(c->fact).changes(kChangedStreet));
}

// DOMAIN.md "Registry details": 统一社会信用代码, 18 characters, the last the check character of
// GB 32100-2015 (weights 3^i mod 31 over the alphabet 0-9 A-Z without I O S V Z).
std::string company(const std::string& code) {
  return R"({"specversion":"1.0","id":"co1","source":"bureau","type":"jiayuan.company.registered",)"
         R"("occurred":"2020-01-01","data":{"company":"CO1","name":"松江安居物业管理有限公司","credit_code":")" +
         code + R"("}})";
}

TEST(CompanyRegistration, ACreditCodeWithItsCheckCharacterIsAcceptedAndAWrongOneNamesTheRightOne) {
  for (const char* good : {"91110000802100433B", "911100001000079554", "91310117MA10000139"}) {
    auto e = decode_event_json(company(good));
    ASSERT_TRUE(e) << good << ": " << e.error().message;
    EXPECT_EQ(std::get<CompanyRegistered>(e->fact).credit_code, good);
    EXPECT_EQ(e->envelope.subject, "CO1");
  }
  auto wrong = decode_event_json(company("91110000802100433C"));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message,
            "data.credit_code: expected the check character B (GB 32100-2015) at the end, got "
            "\"91110000802100433C\" (ends in C)");
  auto short_code = decode_event_json(company("9111000080210043"));
  ASSERT_FALSE(short_code);
  EXPECT_NE(short_code.error().message.find("18 characters"), std::string::npos)
      << short_code.error().message;
  auto letters = decode_event_json(company("9111000080210O433B"));  // O is not of the alphabet
  ASSERT_FALSE(letters);
  EXPECT_NE(letters.error().message.find("other than I, O, S, V and Z"), std::string::npos)
      << letters.error().message;
}

struct BadCase {
  const char* name;
  std::string json;
  const char* code;
  const char* message;
};

std::string with_data(const std::string& type, const std::string& data,
                      const std::string& extra = "") {
  return R"({"specversion":"1.0","id":"x","source":"bureau","type":")" + type +
         R"(","occurred":"2023-05-01",)" + extra + R"("data":)" + data + "}";
}

const std::string kScores =
    R"("basic_management":80,"cleaning":80,"security_patrol":80,"order":80,"greening":80,"equipment":80)";

TEST(JsonCodec, RejectsBadInputWithFieldExpectedAndGot) {
  const std::vector<BadCase> cases = {
      {"not json", "{oops", "bad_json", "not valid JSON"},
      {"not an object", "[1,2]", "wrong_type", "(event): expected a JSON object, got an array"},
      {"missing id",
       R"({"specversion":"1.0","source":"b","type":"jiayuan.survey","occurred":"2023-05-01","data":{}})",
       "missing_field", "id: expected a value, got nothing"},
      {"bad specversion", R"({"specversion":"0.3"})", "bad_enum",
       "specversion: expected \"1.0\", got \"0.3\""},
      {"unknown type", with_data("jiayuan.nope", "{}"), "unknown_type",
       "type: expected one of jiayuan."},
      {"bad date",
       R"({"specversion":"1.0","id":"x","source":"b","type":"jiayuan.survey","occurred":"2023-02-30","data":{}})",
       "bad_date", "occurred: expected a date YYYY-MM-DD, got \"2023-02-30\""},
      {"score out of range",
       with_data("jiayuan.inspection", R"({"community":"C1","scores":{)" +
                                           std::string(kScores).replace(19, 2, "130") + "}}"),
       "out_of_range",
       "data.scores.basic_management: expected a number 0.00..100.00 with at most two decimals, "
       "got 130"},
      {"score wrong type",
       with_data("jiayuan.survey", R"({"community":"C1","satisfaction":"high"})"), "wrong_type",
       "data.satisfaction: expected a number 0.00..100.00 with at most two decimals, got the "
       "string \"high\""},
      {"three decimals", with_data("jiayuan.survey", R"({"community":"C1","satisfaction":80.125})"),
       "bad_number",
       "data.satisfaction: expected a number 0.00..100.00 with at most two decimals, got 80.125"},
      {"missing dimension",
       with_data("jiayuan.inspection", R"({"community":"C1","scores":{"cleaning":80}})"),
       "missing_field", "data.scores.basic_management: expected a value, got nothing"},
      {"bad enclosure",
       with_data(
           "jiayuan.community.registered",
           R"({"community":"C1","name":"n","street":"s","households":1,"fee":2,"enclosure":"open","category":"mixed"})"),
       "bad_enum", "data.enclosure: expected one of closed, scattered, got \"open\""},
      {"unexpected field",
       with_data("jiayuan.survey",
                 R"({"community":"C1","satisfaction":80,"respondents":1,"colour":"red"})"),
       "unexpected_field", "data.colour: expected no such field, got the string \"red\""},
      {"subject mismatch",
       with_data("jiayuan.survey", R"({"community":"C1","satisfaction":80,"respondents":1})",
                 R"("subject":"C2",)"),
       "subject_mismatch", "subject: expected the id the data names (\"C1\"), got \"C2\""},
      {"year not integer",
       with_data("jiayuan.review.closed", R"({"community":"C1","year":2023.5})"), "wrong_type",
       "data.year: expected an integer 2000..2100, got 2023.5"},
  };
  for (const BadCase& c : cases) {
    auto e = decode_event_json(c.json);
    ASSERT_FALSE(e) << c.name;
    EXPECT_EQ(e.error().code, c.code) << c.name << ": " << e.error().message;
    EXPECT_NE(e.error().message.find(c.message), std::string::npos)
        << c.name << ": got message " << e.error().message;
  }
}

}  // namespace
}  // namespace jiayuan
