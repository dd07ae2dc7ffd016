// A fresh engine store in a temporary directory, with a way to write a raw value: for tests of
// the store and of what reads it.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <string>
#include <string_view>

#include "projections/store.h"
#include "tests/support/temp_dir.h"

namespace jiayuan::testing {

class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open(dir_ / "engine");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  // `value` under `key` in `family`, written at once.
  void put(std::string_view family, const std::string& key, const std::string& value) {
    rocksdb::WriteBatch b;
    b.Put(store_->cf(family), key, value);
    ASSERT_TRUE(store_->write(b));
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace jiayuan::testing
