#include "config/toml_reader.h"

#include <fstream>
#include <sstream>

namespace jiayuan::internal {
namespace {

std::string describe(const toml::node& n) {
  std::ostringstream os;
  if (n.is_string()) {
    os << '"' << *n.value<std::string>() << '"';
  } else if (n.is_table()) {
    os << "a table";
  } else if (n.is_array()) {
    os << "an array";
  } else {
    n.visit([&](const auto& v) {
      if constexpr (toml::is_value<decltype(v)>) os << v;
    });
  }
  return os.str();
}

}  // namespace

std::string TomlReader::key_path(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

Error TomlReader::error(std::string_view key, std::string_view expected, std::string_view got,
                        const toml::node* at) const {
  std::string where = file_ + ": key " + key_path(key);
  if (at != nullptr && at->source().begin.line > 0) {
    where += " (line " + std::to_string(at->source().begin.line) + ")";
  }
  return field_error("bad_config", where, expected, got);
}

Result<const toml::node*> TomlReader::node(const char* key) const {
  const toml::node* n = table_.get(key);
  if (n == nullptr) return fail(error(key, "a value", "nothing"));
  return n;
}

Result<std::string> TomlReader::string(const char* key) const {
  JY_TRY(const toml::node* n, node(key));
  if (!n->is_string() || n->value<std::string>()->empty()) {
    return fail(error(key, "a non-empty string", describe(*n), n));
  }
  return *n->value<std::string>();
}

Result<int64_t> TomlReader::integer(const char* key, int64_t lo, int64_t hi) const {
  JY_TRY(const toml::node* n, node(key));
  const std::string expected = "an integer " + std::to_string(lo) + ".." + std::to_string(hi);
  if (!n->is_integer()) return fail(error(key, expected, describe(*n), n));
  const int64_t v = *n->value<int64_t>();
  if (v < lo || v > hi) return fail(error(key, expected, describe(*n), n));
  return v;
}

Result<Centi> TomlReader::number(const char* key, Centi lo, Centi hi) const {
  JY_TRY(const toml::node* n, node(key));
  const std::string expected =
      "a number " + lo.to_string() + ".." + hi.to_string() + " with at most two decimals";
  std::optional<Centi> c;
  if (n->is_integer()) {
    c = Centi::whole(*n->value<int64_t>());
  } else if (n->is_floating_point()) {
    c = Centi::from_double(*n->value<double>());
  }
  if (!c || *c < lo || *c > hi) return fail(error(key, expected, describe(*n), n));
  return *c;
}

Result<Date> TomlReader::date(const char* key) const {
  JY_TRY(const toml::node* n, node(key));
  if (!n->is_date()) return fail(error(key, "a date such as 2023-12-31", describe(*n), n));
  const toml::date d = *n->value<toml::date>();
  return Date::from_civil(d.year, d.month, d.day);
}

Result<bool> TomlReader::boolean(const char* key, bool fallback) const {
  const toml::node* n = table_.get(key);
  if (n == nullptr) return fallback;
  if (!n->is_boolean()) return fail(error(key, "true or false", describe(*n), n));
  return *n->value<bool>();
}

Result<TomlReader> TomlReader::table(const char* key) const {
  JY_TRY(const toml::node* n, node(key));
  if (!n->is_table()) return fail(error(key, "a table", describe(*n), n));
  return TomlReader(*n->as_table(), file_, key_path(key));
}

Result<std::vector<TomlReader>> TomlReader::tables(const char* key) const {
  std::vector<TomlReader> out;
  const toml::node* n = table_.get(key);
  if (n == nullptr) return out;
  const toml::array* arr = n->as_array();
  if (arr == nullptr)
    return fail(error(key, "an array of tables ([[" + key_path(key) + "]])", describe(*n), n));
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    const std::string item = key_path(key) + "[" + std::to_string(i) + "]";
    if (t == nullptr) return fail(error(key, "a table", describe((*arr)[i]), &(*arr)[i]));
    out.emplace_back(*t, file_, item);
  }
  return out;
}

Result<std::vector<std::string>> TomlReader::strings(const char* key) const {
  JY_TRY(const toml::node* n, node(key));
  const toml::array* arr = n->as_array();
  if (arr == nullptr) return fail(error(key, "an array of strings", describe(*n), n));
  std::vector<std::string> out;
  for (const auto& item : *arr) {
    if (!item.is_string()) return fail(error(key, "an array of strings", describe(item), &item));
    out.push_back(*item.value<std::string>());
  }
  return out;
}

Result<toml::table> parse_toml(const std::string& text, const std::string& file) {
  try {
    return toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return fail("bad_config", file + " (line " + std::to_string(e.source().begin.line) +
                                  ", column " + std::to_string(e.source().begin.column) +
                                  "): not valid TOML: " + std::string(e.description()));
  }
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("io", path + ": cannot open for reading");
  std::ostringstream os;
  os << in.rdbuf();
  return std::move(os).str();
}

}  // namespace jiayuan::internal
