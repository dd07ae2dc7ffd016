// A department's workbook as Excel keeps it: written by libxlsxwriter (not by the reader under
// test), numbers as numbers and dates as date-formatted serials, as a person typing them in
// Excel leaves them.
//
//   std::string bytes = testing::workbook("登记", {{"小区编号", "日期"}, {"C1", "2022-05-01"}});
#pragma once

#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace jiayuan::testing {

inline std::string workbook(const std::string& sheet_name,
                            const std::vector<std::vector<std::string>>& rows) {
  static int n = 0;
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("jiayuan-sample-" + std::to_string(getpid()) + "-" + std::to_string(++n) + ".xlsx"))
          .string();
  lxw_workbook* wb = workbook_new(path.c_str());
  lxw_worksheet* ws = workbook_add_worksheet(wb, sheet_name.c_str());
  lxw_format* date = workbook_add_format(wb);
  format_set_num_format(date, "yyyy/m/d");
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < rows[r].size(); ++c) {
      const std::string& cell = rows[r][c];
      const auto row = static_cast<lxw_row_t>(r);
      const auto col = static_cast<lxw_col_t>(c);
      int y = 0, m = 0, d = 0;
      char* end = nullptr;
      const double number = std::strtod(cell.c_str(), &end);
      if (r > 0 && cell.size() == 10 && std::sscanf(cell.c_str(), "%4d-%2d-%2d", &y, &m, &d) == 3) {
        lxw_datetime when = {y, m, d, 0, 0, 0};
        worksheet_write_datetime(ws, row, col, &when, date);
      } else if (r > 0 && !cell.empty() && end == cell.c_str() + cell.size()) {
        worksheet_write_number(ws, row, col, number, nullptr);
      } else if (!cell.empty()) {
        worksheet_write_string(ws, row, col, cell.c_str(), nullptr);
      }
    }
  }
  workbook_close(wb);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::filesystem::remove(path);
  return bytes.str();
}

}  // namespace jiayuan::testing
