// The terminal rendering of query answers (engine/cli_format.h): columns that line up on a
// terminal whatever the names are written in, and "-" for what is not there.
#include "engine/cli_format.h"

#include <gtest/gtest.h>

#include <sstream>

namespace jiayuan {
namespace {

using nlohmann::json;

// Columns a terminal shows `s` in: a character of three or more UTF-8 bytes (CJK) takes two.
size_t columns(const std::string& s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    w += len >= 3 ? 2 : 1;
    i += len;
  }
  return w;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(CliFormat, CommunityColumnsLineUpWhateverScriptTheNamesAreIn) {
  const json list{{"items",
                   {{{"community", "SJ00001"},
                     {"name", "测试家园"},
                     {"street_name", "小昆山镇"},
                     {"category", "commodity"},
                     {"tier", "T1"},
                     {"final_score", "91.25"},
                     {"grade_zh", "示范"}},
                    {{"community", "SJ00002"},
                     {"name", "Riverside Garden"},
                     {"street_name", "方松街道"},
                     {"category", "mixed"},
                     {"tier", nullptr},
                     {"final_score", nullptr},
                     {"grade_zh", "未评定"}}}}};
  const std::vector<std::string> lines = lines_of(format_view("communities", list));
  ASSERT_EQ(lines.size(), 4u) << format_view("communities", list);
  EXPECT_EQ(lines[3], "2 communities");
  // The street column starts at the same terminal column on every line.
  auto street_at = [](const std::string& line, const std::string& street) {
    const size_t at = line.find(street);
    return at == std::string::npos ? std::string::npos : columns(line.substr(0, at));
  };
  const size_t header = street_at(lines[0], "street");
  ASSERT_NE(header, std::string::npos) << lines[0];
  EXPECT_EQ(street_at(lines[1], "小昆山镇"), header) << lines[1];
  EXPECT_EQ(street_at(lines[2], "方松街道"), header) << lines[2];
  EXPECT_NE(lines[2].find("  -  "), std::string::npos) << "absent values show as -: " << lines[2];
}

}  // namespace
}  // namespace jiayuan
