// Steps 9-12: tuple and list own their items. Lesson §6.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "py/runtime.hpp"
#include "test_support.hpp"

namespace {

using refcount_test::RefchainBaseline;
using testing::ElementsAreArray;

// The message of the py::IndexError that `action` throws, or "" if it throws none.
template <class Action>
std::string index_error_of(Action action) {
    try {
        action();
    } catch (const py::IndexError& error) {
        return error.what();
    }
    return "";
}

TEST(Refcount, Step09_TupleHoldsAReferenceToEachItem) {
    const RefchainBaseline baseline;
    {
        auto one = py::Int::create(1);
        auto two = py::Str::create("two");
        auto pair = py::Tuple::pack({one.get(), two.get(), one.get()});
        EXPECT_EQ(pair->size(), 3);
        EXPECT_EQ(pair->item(0), one.get());
        EXPECT_EQ(pair->item(-1), one.get()) << "negative indexes count from the end";
        EXPECT_EQ(py::refcount(one.get()), 3) << "the tuple holds two references to `one`";
        EXPECT_EQ(py::refcount(two.get()), 2);
        EXPECT_STREQ(py::type_name(pair.get()), "tuple");
        EXPECT_EQ(index_error_of([&] { (void)pair->item(3); }), "tuple index out of range");
        EXPECT_EQ(index_error_of([&] { (void)pair->item(-4); }), "tuple index out of range");

        pair.reset();  // the tuple dies and drops what it held
        EXPECT_EQ(py::refcount(one.get()), 1);
        EXPECT_EQ(py::refcount(two.get()), 1);
        EXPECT_EQ(py::Tuple::pack({})->size(), 0);
        EXPECT_EQ(py::refcount(one.get()), 1) << "the empty tuple above held nothing";
    }
    EXPECT_EQ(baseline.growth(), 0);
}

TEST(Refcount, Step10_ListAppendHoldsAReference) {
    const RefchainBaseline baseline;
    {
        // v1 = [11, 22, 33]; v2 = [44, 55, 66]; v1.append(v2) raises v2's count to 2.
        auto v1 = py::List::create();
        auto v2 = py::List::create();
        for (long long n : {11, 22, 33}) {
            v1->append(py::Int::create(n).get());
        }
        for (long long n : {44, 55, 66}) {
            v2->append(py::Int::create(n).get());
        }
        EXPECT_EQ(py::refcount(v1->item(0)), 1)
            << "after the temporary is gone only the list holds it";
        v1->append(v2.get());
        EXPECT_EQ(py::refcount(v2.get()), 2);
        EXPECT_EQ(v1->size(), 4);
        EXPECT_EQ(v1->item(-1), v2.get());

        auto x = py::Str::create("x");
        v1->setitem(0, x.get());  // L[0] = x: the old 11 dies, x gains a reference
        EXPECT_EQ(py::refcount(x.get()), 2);
        EXPECT_EQ(baseline.growth(), 2 + 6 - 1 + 1) << "11 was freed by setitem";

        py::Ref<py::Object> popped = v1->pop();  // the list's reference moves to the caller
        EXPECT_EQ(popped.get(), v2.get());
        EXPECT_EQ(py::refcount(v2.get()), 2);
        EXPECT_EQ(v1->size(), 3);

        v2->clear();
        EXPECT_EQ(v2->size(), 0);
        EXPECT_EQ(index_error_of([&] { (void)v2->pop(); }), "pop from empty list");
        EXPECT_EQ(index_error_of([&] { (void)v1->item(3); }), "list index out of range");
        EXPECT_EQ(index_error_of([&] { v1->setitem(-4, x.get()); }), "list index out of range");
        EXPECT_EQ(py::refcount(x.get()), 2) << "a failed setitem changes no count";

        // L[0] = L[0] while the list holds the item's only reference: setitem must take the new
        // reference before it drops the old one, or the item dies in between.
        auto only = py::List::create();
        only->append(py::Str::create("only here").get());
        py::Object* item = only->item(0);
        ASSERT_EQ(py::refcount(item), 1);
        only->setitem(0, only->item(0));
        EXPECT_TRUE(py::refchain::contains(item)) << "L[0] = L[0] must not free the item";
        EXPECT_EQ(py::refcount(item), 1) << "one reference taken, one dropped";
    }
    EXPECT_EQ(baseline.growth(), 0);
}

TEST(Refcount, Step11_ListOverAllocatesLikeCPython) {
    auto list = py::List::create();
    EXPECT_EQ(list->allocated, 0) << "an empty list allocates no item array";
    auto item = py::None();
    std::vector<py::ssize_t> capacities;
    for (int i = 0; i < 80; ++i) {
        list->append(item.get());
        if (capacities.empty() || capacities.back() != list->allocated) {
            capacities.push_back(list->allocated);
        }
    }
    // What CPython 3.9+ gives: python3 -c "import sys; l=[]; [l.append(0) or print(...) ...]"
    const std::vector<py::ssize_t> cpython = {4, 8, 16, 24, 32, 40, 52, 64, 76, 92};
    EXPECT_THAT(capacities, ElementsAreArray(cpython));
    for (int i = 0; i < 70; ++i) {
        (void)list->pop();
    }
    EXPECT_EQ(list->size(), 10);
    EXPECT_LT(list->allocated, 40) << "a list that shrinks below half its array gives memory back";
    while (list->size() > 0) {
        (void)list->pop();
    }
    EXPECT_EQ(list->allocated, 0) << "an emptied list frees its item array";

    // The exact shrink rule: the array is reallocated only when newsize < allocated / 2.
    for (int i = 0; i < 80; ++i) {
        list->append(item.get());
    }
    std::vector<std::pair<py::ssize_t, py::ssize_t>> shrinks;  // (size, allocated) after a pop
    while (list->size() > 0) {
        const py::ssize_t before = list->allocated;
        (void)list->pop();
        if (list->allocated != before) {
            shrinks.emplace_back(list->size(), list->allocated);
        }
    }
    // CPython 3.11: l = [None] * 0; 80 appends; then pop() and watch sys.getsizeof(l) change.
    const std::vector<std::pair<py::ssize_t, py::ssize_t>> cpython_shrinks = {
        {45, 56}, {27, 36}, {17, 24}, {11, 16}, {7, 12}, {5, 8}, {1, 4}, {0, 0}};
    EXPECT_THAT(shrinks, ElementsAreArray(cpython_shrinks))
        << "list_resize keeps the array while allocated >= newsize >= allocated / 2";
}

TEST(Refcount, Step12_FreeingAContainerReleasesItsItems) {
    const RefchainBaseline baseline;
    auto outer = py::List::create();
    {
        auto inner = py::List::create();
        auto word = py::Str::create("leaf");
        auto tuple = py::Tuple::pack({word.get(), inner.get()});
        inner->append(word.get());
        outer->append(tuple.get());
        outer->append(inner.get());
    }
    EXPECT_EQ(baseline.growth(), 4) << "outer, inner, word and tuple stay alive through outer";
    outer.reset();
    EXPECT_EQ(baseline.growth(), 0) << "freeing outer must free everything reachable only from it";
}

}  // namespace
