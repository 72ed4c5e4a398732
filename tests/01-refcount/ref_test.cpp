// Step 7: py::Ref<T>, reference counting by scope. Lesson §4.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "py/runtime.hpp"
#include "test_support.hpp"

namespace {

using refcount_test::RefchainBaseline;

TEST(Refcount, Step07_RefCountsByScope) {
    const RefchainBaseline baseline;
    {
        py::Ref<py::Int> a = py::Int::create(7);  // a factory hands over a new reference
        EXPECT_EQ(py::refcount(a.get()), 1);

        py::Ref<py::Int> copy = a;  // copying adds a reference
        EXPECT_EQ(py::refcount(a.get()), 2);
        EXPECT_TRUE(copy == a) << "a copy refers to the same object";

        py::Ref<py::Int> moved = std::move(copy);  // moving hands it over
        EXPECT_EQ(py::refcount(a.get()), 2);
        EXPECT_FALSE(copy) << "a moved-from Ref is empty";  // NOLINT(bugprone-use-after-move)

        {
            py::Ref<py::Object> as_object = moved;  // Ref<Int> converts to Ref<Object>
            EXPECT_EQ(py::refcount(a.get()), 3);
        }  // destroying a Ref drops its reference
        EXPECT_EQ(py::refcount(a.get()), 2);

        moved.reset();
        EXPECT_EQ(py::refcount(a.get()), 1);
        EXPECT_FALSE(moved);

        auto& self = a;
        a = self;  // self-assignment must not free the object
        EXPECT_EQ(py::refcount(a.get()), 1);
        EXPECT_EQ(a->value(), 7);

        py::Ref<py::Int> other = py::Int::create(8);
        py::Int* raw = other.get();
        a = other;  // assignment drops the old object (7 dies here) and shares the new one
        EXPECT_EQ(py::refcount(raw), 2);

        py::Int* released = other.release();  // the caller now owns that reference
        EXPECT_FALSE(other);
        EXPECT_EQ(py::refcount(released), 2);
        py::Ref<py::Int> adopted = py::Ref<py::Int>::steal(released);  // ... and gives it back
        EXPECT_EQ(py::refcount(raw), 2);
        py::Ref<py::Int> borrowed = py::Ref<py::Int>::borrow(raw);
        EXPECT_EQ(py::refcount(raw), 3);

        std::vector<py::Ref<py::Int>> many(10, borrowed);
        EXPECT_EQ(py::refcount(raw), 13);

        // Move-assigning into a Ref that holds an object releases that object.
        py::Ref<py::Int> target = py::Int::create(9);
        py::Int* nine = target.get();
        target = std::move(borrowed);
        EXPECT_FALSE(py::refchain::contains(nine)) << "the 9 that `target` held must be freed";
        EXPECT_EQ(target.get(), raw);
        EXPECT_EQ(py::refcount(raw), 13) << "a move hands the reference over";
    }
    EXPECT_EQ(baseline.growth(), 0) << "every Ref dropped its reference, so both ints are gone";

    py::Ref<py::Int> empty;
    EXPECT_THROW((void)empty->value(), py::RuntimeError)
        << "dereferencing an empty Ref is an error";
}

}  // namespace
