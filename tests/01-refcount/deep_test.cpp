// Steps 19-20: structures nested far deeper than the C++ stack could follow one frame per level.
// Lesson §11.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "py/runtime.hpp"
#include "test_support.hpp"

namespace {

using refcount_test::DeallocSpy;
using refcount_test::Probe;
using refcount_test::ProbeType;
using refcount_test::RefchainBaseline;

constexpr int kDeep = 1'000'000;

// [[[...[probe]...]]], `depth` lists around one probe object.
py::Ref<py::List> nested_lists(int depth, py::Object* innermost) {
    auto list = py::List::create();
    list->append(innermost);
    for (int i = 1; i < depth; ++i) {
        auto outer = py::List::create();
        outer->append(list.get());
        list = std::move(outer);
    }
    return list;
}

TEST(Refcount, Step19_FreeingADeepStructureDoesNotOverflowTheStack) {
    const RefchainBaseline baseline;
    {
        DeallocSpy spy;
        auto probe = py::Ref<py::Object>::steal(py::alloc_object(&ProbeType));
        static_cast<Probe*>(probe.get())->payload = 7;
        auto lists = nested_lists(kDeep, probe.get());
        EXPECT_CALL(spy.mock, Call(probe.get())).Times(1);
        probe.reset();
        // One frame per level would need far more stack than a thread has: list_dealloc must go
        // through the trashcan, which defers what lies deeper than 50 levels.
        lists.reset();
        testing::Mock::VerifyAndClearExpectations(&spy.mock);
    }
    EXPECT_EQ(baseline.growth(), 0) << "every one of the 1,000,000 lists is freed";

    {
        // A 1,000,000-long chain of one-item tuples: ((((None,),),),...).
        auto chain = py::Tuple::pack({py::None().get()});
        for (int i = 1; i < kDeep; ++i) {
            chain = py::Tuple::pack({chain.get()});
        }
        EXPECT_EQ(baseline.growth(), kDeep);
        chain.reset();
    }
    EXPECT_EQ(baseline.growth(), 0) << "every tuple of the chain is freed";

    {
        // Freeing stays possible afterwards, deep or shallow: the trashcan is back at level 0.
        auto again = nested_lists(200, py::None().get());
        again.reset();
    }
    EXPECT_EQ(baseline.growth(), 0);
}

TEST(Refcount, Step20_ReprOfADeepStructureRaisesRecursionError) {
    const RefchainBaseline baseline;
    {
        auto shallow = nested_lists(500, py::Int::create(1).get());
        const std::string text = py::repr(shallow.get());
        EXPECT_EQ(text, std::string(500, '[') + "1" + std::string(500, ']'));

        auto deep = nested_lists(10'000, py::Int::create(1).get());
        try {
            (void)py::repr(deep.get());
            ADD_FAILURE() << "repr of a list nested 10,000 deep must raise RecursionError";
        } catch (const py::RecursionError& error) {
            EXPECT_STREQ(error.what(),
                         "maximum recursion depth exceeded while getting the repr of an object");
        }
        EXPECT_EQ(py::repr(shallow.get()), text) << "the depth count is restored after the error";
    }
    EXPECT_EQ(baseline.growth(), 0);
}

}  // namespace
