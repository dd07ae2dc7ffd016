// A registration file as Excel on a Chinese Windows machine saves it ("CSV (逗号分隔)", code page
// 936): bytes written by Python's gb18030 codec, kept here as hex so no test encodes with the
// library the product decodes with. Rows:
//   C1,锦绣苑𠀀,yueyang,500,2.8,封闭,商品房,2022-05-01   (𠀀 is four bytes: GB18030 beyond GBK)
//   C2,翠湖苑,yueyang,300,1.5,零星,动迁房,2022-05-01
#pragma once

#include <string>
#include <string_view>

namespace jiayuan::testing {

inline std::string from_hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// 小区编号,小区名称,街镇,户数,物业费,封闭类型,房屋类型,日期
inline const std::string kGbHeader = from_hex(
    "d0a1c7f8b1e0bac52cd0a1c7f8c3fbb3c62cbdd6d5f22cbba7cafd2cceefd2b5b7d12cb7e2b1d5c0e0d0cd2cb7bfce"
    "ddc0e0d0cd2cc8d5c6da0d0a");
inline const std::string kGbRow1 = from_hex(
    "43312cbdf5d0e5d4b7953282362c79756579616e672c3530302c322e382cb7e2b1d52cc9ccc6b7b7bf2c323032322d"
    "30352d30310d0a");
inline const std::string kGbRow2 = from_hex(
    "43322cb4e4bafed4b72c79756579616e672c3330302c312e352cc1e3d0c72cb6afc7a8b7bf2c323032322d30352d30"
    "310d0a");

}  // namespace jiayuan::testing
