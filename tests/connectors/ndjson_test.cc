// NdjsonReader: lines whole across the blocks it reads, numbered as in the file, blank ones
// skipped, "\r\n" endings, and a line over the bound never held whole.
#include "connectors/ndjson.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace jiayuan {
namespace {

std::vector<NdjsonLine> read_all(const std::string& text, size_t max_line) {
  std::istringstream in(text);
  NdjsonReader reader(in, "f", max_line);
  std::vector<NdjsonLine> out;
  for (NdjsonLine line; reader.next(line);) out.push_back(line);
  return out;
}

TEST(NdjsonReader, LinesAreWholeAcrossBlocksAndNumberedAsInTheFile) {
  const std::string longer(200'000, 'a');  // over three of the reader's 64 KiB blocks
  const std::string text = "{\"a\":1}\n\n  \t\n" + longer + "\r\n{\"b\":2}\r\n" + longer + "b";
  const auto lines = read_all(text, 1 << 20);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].text, "{\"a\":1}");
  EXPECT_EQ(lines[0].origin, "f:1");
  EXPECT_EQ(lines[1].text, longer) << "the \\r of a \\r\\n ending dropped";
  EXPECT_EQ(lines[1].origin, "f:4") << "blank lines count";
  EXPECT_EQ(lines[2].text, "{\"b\":2}");
  EXPECT_EQ(lines[3].text, longer + "b") << "the last line needs no newline";
  EXPECT_EQ(lines[3].number, 6);
  for (const NdjsonLine& l : lines) EXPECT_FALSE(l.too_long);
}

TEST(NdjsonReader, ALineOverTheBoundKeepsItsFirstBytesAndItsSizeAndTheNextLineFollows) {
  const size_t bound = 100'000;
  const std::string huge(300'000, 'x');
  const auto lines = read_all("ok\n" + huge + "\n" + std::string(bound, 'y') + "\nafter\n", bound);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(lines[1].too_long);
  EXPECT_EQ(lines[1].size, huge.size());
  EXPECT_EQ(lines[1].text, huge.substr(0, NdjsonReader::kKeptBytes));
  EXPECT_FALSE(lines[2].too_long) << "exactly the bound is not over it";
  EXPECT_EQ(lines[2].text.size(), bound);
  EXPECT_EQ(lines[3].text, "after");
  EXPECT_EQ(lines[3].origin, "f:4");
}

TEST(NdjsonReader, AnEmptyOrBlankStreamHasNoLines) {
  EXPECT_TRUE(read_all("", 1 << 20).empty());
  EXPECT_TRUE(read_all("\n\r\n  \n", 1 << 20).empty());
}

}  // namespace
}  // namespace jiayuan
