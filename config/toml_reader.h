// Internal: reads typed values out of a toml++ table, with file, key and line in every error.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "events/centi.h"
#include "events/date.h"
#include "events/result.h"

namespace jiayuan::internal {

class TomlReader {
 public:
  TomlReader(const toml::table& table, std::string file, std::string prefix = "")
      : table_(table), file_(std::move(file)), prefix_(std::move(prefix)) {}

  Result<std::string> string(const char* key) const;
  Result<int64_t> integer(const char* key, int64_t lo, int64_t hi) const;
  Result<Centi> number(const char* key, Centi lo, Centi hi) const;
  Result<Date> date(const char* key) const;
  Result<bool> boolean(const char* key, bool fallback) const;
  Result<TomlReader> table(const char* key) const;
  // Array of tables ([[key]]); empty when absent.
  Result<std::vector<TomlReader>> tables(const char* key) const;
  // Array of strings.
  Result<std::vector<std::string>> strings(const char* key) const;
  const toml::table& raw() const { return table_; }
  std::string key_path(std::string_view key) const;
  Error error(std::string_view key, std::string_view expected, std::string_view got,
              const toml::node* at = nullptr) const;

 private:
  Result<const toml::node*> node(const char* key) const;

  const toml::table& table_;
  std::string file_;
  std::string prefix_;
};

// Parses TOML text; errors name the file, line and column.
Result<toml::table> parse_toml(const std::string& text, const std::string& file);
// Reads a whole file; errors say which file and why.
Result<std::string> read_file(const std::string& path);

}  // namespace jiayuan::internal
