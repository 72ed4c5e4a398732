// Step 18: the leak that reference counting alone cannot see. Lesson §10.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "py/runtime.hpp"
#include "test_support.hpp"

namespace {

using refcount_test::RefchainBaseline;
using testing::Contains;

TEST(Refcount, Step18_TwoListsThatHoldEachOtherOutliveTheirNames) {
    const RefchainBaseline baseline;
    py::List* first = nullptr;
    py::List* second = nullptr;
    {
        auto v1 = py::List::create();  // v1 = [11, 22, 33]
        auto v2 = py::List::create();  // v2 = [44, 55, 66]
        for (long long n : {11, 22, 33}) {
            v1->append(py::Int::create(n).get());
        }
        for (long long n : {44, 55, 66}) {
            v2->append(py::Int::create(n).get());
        }
        v1->append(v2.get());  // v1.append(v2)
        v2->append(v1.get());  // v2.append(v1)
        EXPECT_EQ(py::refcount(v1.get()), 2);
        EXPECT_EQ(py::refcount(v2.get()), 2);
        first = v1.get();
        second = v2.get();
    }  // del v1; del v2

    // Nobody outside can reach them, yet each still holds the other's last reference.
    EXPECT_EQ(py::refcount(first), 1);
    EXPECT_EQ(py::refcount(second), 1);
    EXPECT_THAT(py::refchain::objects(0, &py::List::Type), Contains(first));
    EXPECT_THAT(py::refchain::objects(0, &py::List::Type), Contains(second));
    EXPECT_EQ(baseline.growth(), 8) << "two lists and six ints leak";

    // What chapter 02's collector will do for us: break the cycle by clearing one side.
    first->clear();
    EXPECT_EQ(baseline.growth(), 0) << "clearing one list frees both lists and all six ints";
}

}  // namespace
