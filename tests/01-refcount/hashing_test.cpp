// Step 13: hash() and == as Python defines them. Lesson §7.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "py/runtime.hpp"

namespace {

// A type whose instances equal everything, like unittest.mock.ANY: it shows that == asks the
// right operand when the left one answers NotImplemented.
py::Comparison equals_anything(py::Object* /*self*/, py::Object* /*other*/) {
    return py::Comparison::True;
}
py::TypeObject AnyType = {
    .tp_name = "ANY", .tp_basicsize = sizeof(py::Object), .tp_equal = &equals_anything};

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
    py::Object any{nullptr, nullptr, 1, &AnyType};  // a static object, never freed
    EXPECT_TRUE(py::equal(py::Int::create(5).get(), &any))
        << "5 == ANY: int says NotImplemented, ANY says yes";
    EXPECT_FALSE(py::equal(py::Str::create("x").get(), py::Int::create(5).get()));

    // Mixed and mismatched containers.
    EXPECT_FALSE(eq(l1, py::Tuple::pack({one.get()}))) << "[1] != (1,): different types";
    EXPECT_FALSE(eq(py::Tuple::pack({one.get()}), py::Tuple::pack({one.get(), one.get()})));
    EXPECT_FALSE(eq(py::Tuple::pack({one.get()}), py::Tuple::pack({two.get()})));
    l2->append(one.get());
    EXPECT_FALSE(eq(l1, l2)) << "lists of different lengths";
    l1->append(two.get());
    EXPECT_FALSE(eq(l1, l2)) << "[1, 2] != [1.0, 1]";
    auto d1 = py::Dict::create();
    auto d2 = py::Dict::create();
    d1->setitem(one.get(), s.get());
    d1->setitem(two.get(), s.get());
    d2->setitem(two.get(), s.get());
    EXPECT_FALSE(eq(d1, d2)) << "dicts of different sizes";
    d2->setitem(py::Float::create(1.0).get(), s.get());
    EXPECT_TRUE(eq(d1, d2)) << "{1: 's', 2: 's'} == {2: 's', 1.0: 's'}: order does not matter";
    d2->setitem(one.get(), two.get());
    EXPECT_FALSE(eq(d1, d2)) << "same keys, a different value";
    d2->delitem(one.get());
    d2->setitem(py::Int::create(3).get(), s.get());
    EXPECT_FALSE(eq(d1, d2)) << "same size, a different key";
    EXPECT_FALSE(eq(d1, l1));
    EXPECT_FALSE(eq(py::Int::create(9223372036854775807LL), py::Float::create(1e19)))
        << "a float beyond the int range is not equal to it";

    // None and NaN hash by identity: stable for one object.
    EXPECT_EQ(h(py::None()), h(py::None()));
    EXPECT_EQ(py::hash(nan.get()), py::hash(nan.get()));
    EXPECT_EQ(h(py::Float::create(-1.0)), -2) << "hash(-1.0) == hash(-1) == -2";

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
