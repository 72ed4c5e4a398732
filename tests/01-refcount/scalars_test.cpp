// Step 8: None, bool, int, float, str. Lesson §5.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "py/runtime.hpp"
#include "test_support.hpp"

namespace {

using refcount_test::RefchainBaseline;

TEST(Refcount, Step08_ScalarsCarryTheirValuesAndTypes) {
    const RefchainBaseline baseline;
    {
        auto i = py::Int::create(-99999);
        auto f = py::Float::create(3.14);
        auto s = py::Str::create("Bob");
        EXPECT_EQ(i->value(), -99999);
        EXPECT_DOUBLE_EQ(f->value(), 3.14);
        EXPECT_EQ(s->view(), "Bob");
        EXPECT_EQ(s->ob_size, 3) << "a str's ob_size is its length in bytes";
        EXPECT_EQ(s->data()[3], '\0') << "the bytes are followed by a NUL";
        EXPECT_STREQ(py::type_name(i.get()), "int");
        EXPECT_STREQ(py::type_name(f.get()), "float");
        EXPECT_STREQ(py::type_name(s.get()), "str");
        EXPECT_EQ(baseline.growth(), 3) << "each scalar is one object on refchain";

        auto empty = py::Str::create("");
        EXPECT_EQ(empty->view(), "");
        auto utf8 = py::Str::create("武沛齐");
        EXPECT_EQ(utf8->ob_size, 9) << "UTF-8 bytes, three per CJK character";

        // None, True and False are single static objects that are never on refchain.
        auto none = py::None();
        const py::ssize_t none_count = py::refcount(none.get());
        {
            auto again = py::None();
            EXPECT_TRUE(again == none) << "None() must return the one None";
            EXPECT_EQ(py::refcount(none.get()), none_count + 1);
        }
        EXPECT_TRUE(py::is_none(none.get()));
        EXPECT_FALSE(py::is_none(i.get()));
        EXPECT_FALSE(py::refchain::contains(none.get()));
        EXPECT_TRUE(py::True() == py::to_bool(true));
        EXPECT_TRUE(py::False() == py::to_bool(false));
        EXPECT_FALSE(py::True() == py::False());
        EXPECT_EQ(py::True()->value(), 1) << "bool is a subclass of int: True is 1";
        EXPECT_STREQ(py::type_name(py::True().get()), "bool");
        EXPECT_TRUE(py::Int::check(py::True().get()));
        EXPECT_FALSE(py::refchain::contains(py::True().get()));
    }
    EXPECT_EQ(baseline.growth(), 0);

    // Dropping the runtime's own reference to None is a refcounting bug, caught at once.
    EXPECT_DEATH(
        {
            py::Object* none = py::None().release();
            for (py::ssize_t n = py::refcount(none); n > 0; --n) {
                py::decref(none);
            }
        },
        "deallocating None");
    EXPECT_DEATH(
        {
            py::Object* yes = py::True().release();
            for (py::ssize_t n = py::refcount(yes); n > 0; --n) {
                py::decref(yes);
            }
        },
        "deallocating True or False");
}

}  // namespace
