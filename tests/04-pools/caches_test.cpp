// Steps 1-4: small ints, latin-1 characters, interning. Lesson §1 and §2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "py/runtime_pools.hpp"

namespace {

TEST(Pools, Step01_SmallIntsAreOneObjectEach) {
    const py::ssize_t before = py::refchain::size();
    auto v2 = py::int_from(9);  // v2 = 9; v3 = 9: the same object from the pool
    auto v3 = py::int_from(9);
    EXPECT_EQ(v2.get(), v3.get()) << "id(v2) == id(v3): both come from the small-int cache";
    EXPECT_EQ(v2->value(), 9);
    EXPECT_EQ(py::int_from(-5).get(), py::int_from(-5).get()) << "the cache starts at -5";
    EXPECT_EQ(py::int_from(256).get(), py::int_from(256).get()) << "and ends at 256";
    EXPECT_EQ(py::refchain::size(), before) << "cached ints exist from the start: nothing new";
    auto big1 = py::int_from(257);
    auto big2 = py::int_from(257);
    EXPECT_NE(big1.get(), big2.get()) << "257 is a new object every time";
    EXPECT_NE(py::int_from(-6).get(), py::int_from(-6).get());
    EXPECT_EQ(big1->value(), 257);
    EXPECT_NE(py::Int::create(7).get(), py::int_from(7).get())
        << "Int::create is _PyLong_New: always new. int_from is PyLong_FromLong";
    EXPECT_EQ(py::SMALL_INT_MIN, -5);
    EXPECT_EQ(py::SMALL_INT_MAX, 256);
}

TEST(Pools, Step02_EmptyAndLatin1SingleCharacterStringsAreCached) {
    const py::ssize_t before = py::refchain::size();
    EXPECT_EQ(py::str_from("a").get(), py::str_from("a").get());
    EXPECT_EQ(py::str_from("\xc3\xa9").get(), py::str_from("\xc3\xa9").get())
        << "U+00E9 is latin-1";
    EXPECT_EQ(py::str_from("").get(), py::str_from("").get()) << "the empty string is a singleton";
    EXPECT_EQ(py::str_from("\xc3\xa9")->view(), "\xc3\xa9");
    EXPECT_EQ(py::str_from("z")->view(), "z");
    EXPECT_EQ(py::refchain::size(), before);
    EXPECT_NE(py::str_from("\xc4\x81").get(), py::str_from("\xc4\x81").get())
        << "U+0101 is past latin-1";
    EXPECT_NE(py::str_from("ab").get(), py::str_from("ab").get()) << "two characters: not cached";
    EXPECT_EQ(py::str_from("ab")->view(), "ab");
}

TEST(Pools, Step03_InternMakesEqualStringsOneObject) {
    auto first = py::Str::create("hello world!");
    auto second = py::Str::create("hello world!");
    ASSERT_NE(first.get(), second.get());
    EXPECT_FALSE(py::is_interned(first.get()));
    auto a = py::intern(first.get());
    auto b = py::intern(second.get());
    EXPECT_EQ(a.get(), first.get()) << "the first string interned becomes the canonical one";
    EXPECT_EQ(b.get(), first.get()) << "sys.intern(equal string) returns that same object";
    EXPECT_TRUE(py::is_interned(first.get()));
    EXPECT_FALSE(py::is_interned(second.get()));
    EXPECT_EQ(py::intern("hello world!").get(), first.get());
    py::Str* raw = first.get();
    first.reset();
    a.reset();
    b.reset();
    EXPECT_TRUE(py::refchain::contains(raw)) << "the interned table keeps its own reference";
    auto fresh = py::intern("never seen before, with spaces");
    EXPECT_TRUE(py::is_interned(fresh.get()));
}

TEST(Pools, Step04_TheCompilerInternsNameLikeConstantsOfAnyLength) {
    EXPECT_EQ(py::code_constant("hello_world_42").get(), py::code_constant("hello_world_42").get());
    const std::string long_name(100, 'x');
    EXPECT_EQ(py::code_constant(long_name).get(), py::code_constant(long_name).get())
        << "no 20-character limit: all_name_chars looks at the characters only";
    EXPECT_TRUE(py::is_interned(py::code_constant(long_name).get()));
    EXPECT_NE(py::code_constant("hello world").get(), py::code_constant("hello world").get())
        << "a space: not interned";
    EXPECT_NE(py::code_constant("a-b").get(), py::code_constant("a-b").get());
    EXPECT_EQ(py::code_constant("!").get(), py::code_constant("!").get())
        << "one latin-1 character is the cached object anyway";
}

}  // namespace
