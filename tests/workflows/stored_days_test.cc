// How a community state stores its own days (StoredDays, workflows/community.h): compact, and
// the earlier form still read.
#include <gtest/gtest.h>

#include <climits>

#include "tests/support/cereal_state.h"
#include "workflows/community.h"

namespace jiayuan {
namespace {

using testing::decode_state;
using testing::encode_cereal;

// A state as stages.cc wrote it before StoredDays: the days as cereal writes a vector.
struct EarlierState {
  const CommunityState& s;
  template <class A>
  void save(A& ar) const {
    ar(s.registry, s.contracts, s.years, s.own_days, s.waiting, s.retracted);
  }
};

CommunityState a_state(std::vector<int32_t> days) {
  CommunityState s;
  RegistryEntry r;
  r.from = *Date::parse("2022-06-01");
  r.source = "street.yueyang";
  r.id = "reg-C1";
  r.particulars.name = "测试小区";
  s.registry.push_back(r);
  s.years[2023].record.inspections = 4;
  ProcessFact review;
  review.on = *Date::parse("2023-11-01");
  review.source = "bureau";
  review.id = "p1";
  review.kind = ProcessKind::kReview;
  s.years[2023].process.push_back(review);
  s.own_days = std::move(days);
  s.retracted["bureau/x"] = "2023-05-01 r1";
  return s;
}

// A year of one community's fact days: 650 facts over the year, sorted, many on the same day.
std::vector<int32_t> a_year_of_days() {
  std::vector<int32_t> days;
  const int32_t first = Date::parse("2023-01-01")->days();
  for (int i = 0; i < 650; ++i) days.push_back(first + (i * 7919) % 365);
  std::sort(days.begin(), days.end());
  return days;
}

TEST(StoredDays, AStateReadsBackWithTheSameDaysAndEverythingElse) {
  for (const auto& days :
       {std::vector<int32_t>{}, std::vector<int32_t>{19000},
        std::vector<int32_t>{INT32_MIN, -3, 0, 19000, 19000, 19001, INT32_MAX}, a_year_of_days()}) {
    const CommunityState s = a_state(days);
    const std::string bytes = encode_cereal(s);
    const CommunityState back = decode_state(bytes);
    EXPECT_EQ(back.own_days, days);
    EXPECT_EQ(back.years.at(2023).record.inspections, 4);
    EXPECT_EQ(back.retracted, s.retracted);
    EXPECT_EQ(encode_cereal(back), bytes);
  }
}

TEST(StoredDays, AStateStoredInTheEarlierFormReadsTheSame) {
  const CommunityState s = a_state(a_year_of_days());
  const std::string earlier = encode_cereal(EarlierState{s});
  const CommunityState back = decode_state(earlier);
  EXPECT_EQ(back.own_days, s.own_days);
  EXPECT_EQ(encode_cereal(back), encode_cereal(s))
      << "read in the earlier form, written in the present one";
  // A year's days: one byte each where they were four.
  EXPECT_LT(encode_cereal(s).size() + 3 * 650 - 100, earlier.size());
}

TEST(StoredDays, MalformedDaysAreRefusedNotRead) {
  std::vector<int32_t> days = {19000, 19001, 19002};
  StoredDays stored{days};
  const std::string bytes = stored.encode();
  ASSERT_EQ(bytes.size(), 5u);  // 19000 in three bytes, then two distances of one
  std::vector<int32_t> out;
  StoredDays reader{out};
  reader.decode(3, bytes);
  EXPECT_EQ(out, days);
  EXPECT_THROW(reader.decode(4, bytes), std::runtime_error);                   // a day short
  EXPECT_THROW(reader.decode(2, bytes), std::runtime_error);                   // bytes left over
  EXPECT_THROW(reader.decode(1, bytes.substr(0, 2)), std::runtime_error);      // cut short
  EXPECT_THROW(reader.decode(1, std::string(6, '\xff')), std::runtime_error);  // too long
  EXPECT_THROW(reader.decode(uint64_t{1} << 40, bytes), std::runtime_error);   // more than bytes
  // In a whole state: cereal's decoding stops with an exception, never a state.
  std::string state = encode_cereal(a_state(days));
  const size_t at = state.find(bytes);
  ASSERT_NE(at, std::string::npos);
  state[at + 3] = '\x81';  // a distance that runs into the next byte
  EXPECT_THROW(decode_state(state), std::exception);
}

}  // namespace
}  // namespace jiayuan
