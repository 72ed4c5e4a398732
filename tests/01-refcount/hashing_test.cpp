// Step 13: hash() and == as Python defines them. Lesson §7.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "py/runtime.hpp"

namespace {

TEST(Refcount, Step13_HashAndEqualityFollowPython) {
    auto h = [](const auto& ref) { return py::hash(ref.get()); };
    // Values printed by CPython 3.11 on a 64-bit build.
    EXPECT_EQ(h(py::Int::create(42)), 42);
    EXPECT_EQ(h(py::Int::create(-1)), -2) << "-1 is reserved for errors, hash(-1) == -2";
    EXPECT_EQ(h(py::Int::create((1LL << 61) - 1)), 0) << "ints hash modulo 2**61 - 1";
    EXPECT_EQ(h(py::Float::create(1.5)), 1152921504606846977);
    EXPECT_EQ(h(py::Float::create(-2.5)), -1152921504606846978);
    EXPECT_EQ(h(py::Float::create(0.1)), 230584300921369408);
    EXPECT_EQ(h(py::Float::create(1e300)), 1224995262755759164);
    EXPECT_EQ(h(py::Float::create(std::numeric_limits<double>::infinity())), 314159);
    EXPECT_EQ(h(py::Float::create(2.0)), h(py::Int::create(2))) << "hash(2.0) == hash(2)";
    EXPECT_EQ(h(py::True()), 1);
    EXPECT_EQ(h(py::Tuple::pack({})), 5740354900026072187);
    auto one = py::Int::create(1);
    auto two = py::Int::create(2);
    EXPECT_EQ(h(py::Tuple::pack({one.get(), two.get()})), -3550055125485641917);
    auto s = py::Str::create("spam");
    EXPECT_EQ(h(s), h(py::Str::create("spam"))) << "equal strings hash alike";
    EXPECT_EQ(s->ob_shash, h(s)) << "a str caches its hash in ob_shash";

    auto eq = [](const auto& a, const auto& b) { return py::equal(a.get(), b.get()); };
    EXPECT_TRUE(eq(py::Int::create(1), py::Float::create(1.0)));
    EXPECT_TRUE(eq(py::Float::create(1.0), py::True()));
    EXPECT_FALSE(eq(py::Int::create(1), py::Float::create(1.5)));
    EXPECT_FALSE(eq(py::Int::create((1LL << 53) + 1), py::Float::create(9007199254740992.0)))
        << "int == float compares exactly, without rounding the int to a double";
    EXPECT_FALSE(eq(py::Int::create(1), py::Str::create("1")));
    auto nan = py::Float::create(std::nan(""));
    EXPECT_FALSE(eq(nan, py::Float::create(std::nan("")))) << "nan != nan";
    EXPECT_TRUE(eq(nan, nan)) << "... but an object is itself (identity first, as in containers)";
    EXPECT_TRUE(
        eq(py::Tuple::pack({one.get(), s.get()}), py::Tuple::pack({py::True().get(), s.get()})));
    auto l1 = py::List::create();
    auto l2 = py::List::create();
    l1->append(one.get());
    l2->append(py::Float::create(1.0).get());
    EXPECT_TRUE(eq(l1, l2)) << "[1] == [1.0]";
    EXPECT_TRUE(eq(py::None(), py::None()));

    try {
        (void)py::hash(l1.get());
        ADD_FAILURE() << "hashing a list must raise TypeError";
    } catch (const py::TypeError& error) {
        EXPECT_STREQ(error.what(), "unhashable type: 'list'");
    }
    EXPECT_THROW((void)py::hash(py::Dict::create().get()), py::TypeError);
    EXPECT_THROW((void)py::hash(py::Tuple::pack({l1.get()}).get()), py::TypeError)
        << "a tuple is only hashable if its items are";
}

}  // namespace
