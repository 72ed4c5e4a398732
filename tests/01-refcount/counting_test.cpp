// Steps 4-6: incref, decref, and what happens at zero and below. Lesson §3.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "py/runtime.hpp"
#include "test_support.hpp"

namespace {

using refcount_test::DeallocSpy;
using refcount_test::ProbeType;

TEST(Refcount, Step04_AliasingAddsAReference) {
    // a = 99999; b = a  -- two names, one object, two references.
    py::Object* a = py::alloc_object(&ProbeType);
    py::Object* b = a;
    py::incref(b);
    EXPECT_EQ(py::refcount(a), 2);
    py::xincref(nullptr);  // X-variants accept nullptr and do nothing
    py::xincref(a);
    EXPECT_EQ(py::refcount(a), 3);

    a->ob_refcnt = 1;  // undo by hand: decref is the next step
    py::forget_reference(a);
    py::free_object(a);
}

TEST(Refcount, Step05_DelDropsAReferenceAndTheLastOneDeallocates) {
    DeallocSpy spy;
    py::Object* a = py::alloc_object(&ProbeType);
    py::Object* b = a;
    py::incref(b);

    py::decref(b);  // del b
    EXPECT_EQ(py::refcount(a), 1);
    EXPECT_TRUE(py::refchain::contains(a));

    // del a: the last reference. tp_dealloc runs once, after the object has left refchain.
    EXPECT_CALL(spy.mock, Call(a)).WillOnce([](py::Object* dying) {
        EXPECT_FALSE(py::refchain::contains(dying)) << "dealloc must unlink before tp_dealloc";
        EXPECT_EQ(dying->ob_next, nullptr);
    });
    py::decref(a);
    py::xdecref(nullptr);
}

TEST(Refcount, Step06_NegativeRefcountIsFatal) {
    EXPECT_DEATH(
        {
            py::Object* op = py::alloc_object(&ProbeType);
            op->ob_refcnt = 0;  // somebody already dropped a reference they never owned
            py::decref(op);
        },
        "object has negative ref count \\(-1\\)(.|\n)*object type name: probe");
}

}  // namespace
