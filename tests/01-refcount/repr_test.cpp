// Step 17: repr(), the text Python prints for a value. Lesson §9.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "py/runtime.hpp"
#include "test_support.hpp"

namespace {

std::string float_repr(double value) {
    return py::repr(py::Float::create(value).get());
}

TEST(Refcount, Step17_ReprLooksLikePython) {
    EXPECT_EQ(py::repr(py::None().get()), "None");
    EXPECT_EQ(py::repr(py::True().get()), "True");
    EXPECT_EQ(py::repr(py::False().get()), "False");
    EXPECT_EQ(py::repr(py::Int::create(-12).get()), "-12");
    EXPECT_EQ(float_repr(3.14), "3.14");
    EXPECT_EQ(float_repr(1.0), "1.0");
    EXPECT_EQ(float_repr(-0.0), "-0.0");
    EXPECT_EQ(float_repr(1e16), "1e+16");
    EXPECT_EQ(float_repr(1e15), "1000000000000000.0");
    EXPECT_EQ(float_repr(0.0001), "0.0001");
    EXPECT_EQ(float_repr(0.00001), "1e-05");
    EXPECT_EQ(float_repr(123456789.125), "123456789.125");
    EXPECT_EQ(float_repr(std::numeric_limits<double>::infinity()), "inf");
    EXPECT_EQ(float_repr(std::nan("")), "nan");
    EXPECT_EQ(py::repr(py::Str::create("Bob").get()), "'Bob'");
    EXPECT_EQ(py::repr(py::Str::create("it's").get()), "\"it's\"");
    EXPECT_EQ(py::repr(py::Str::create("a\nb\\").get()), "'a\\nb\\\\'");
    EXPECT_EQ(py::repr(py::Str::create("\t\r\x01\x7f").get()), "'\\t\\r\\x01\\x7f'");
    EXPECT_EQ(py::repr(py::Str::create("both ' and \"").get()), "'both \\' and \"'");
    EXPECT_EQ(float_repr(1.5e16), "1.5e+16");
    EXPECT_EQ(float_repr(-2.5e-7), "-2.5e-07");

    auto one = py::Int::create(1);
    EXPECT_EQ(py::repr(py::Tuple::pack({}).get()), "()");
    EXPECT_EQ(py::repr(py::Tuple::pack({one.get()}).get()), "(1,)");
    auto list = py::List::create();
    list->append(one.get());
    list->append(py::Str::create("x").get());
    EXPECT_EQ(py::repr(py::Tuple::pack({one.get(), list.get()}).get()), "(1, [1, 'x'])");
    {
        // t = ([],); t[0].append(t); repr(t) == '([(...)],)'
        auto inner = py::List::create();
        auto t = py::Tuple::pack({inner.get()});
        inner->append(t.get());
        EXPECT_EQ(py::repr(t.get()), "([(...)],)");
        inner->clear();
    }
    // A type without tp_repr prints like object.__repr__.
    py::Object plain{nullptr, nullptr, 1, &refcount_test::ProbeType};
    EXPECT_THAT(py::repr(&plain), testing::MatchesRegex("<probe object at 0x[0-9a-f]+>"));
    auto d = py::Dict::create();
    d->setitem(py::Str::create("k").get(), list.get());
    EXPECT_EQ(py::repr(d.get()), "{'k': [1, 'x']}");

    // l = []; l.append(l); repr(l) == '[[...]]'
    auto self = py::List::create();
    self->append(self.get());
    EXPECT_EQ(py::repr(self.get()), "[[...]]");
    self->clear();  // break the cycle, or the list would outlive the test (chapter 02's problem)
    d->setitem(py::Str::create("me").get(), d.get());
    EXPECT_EQ(py::repr(d.get()), "{'k': [1, 'x'], 'me': {...}}");
    d->delitem(py::Str::create("me").get());
}

}  // namespace
