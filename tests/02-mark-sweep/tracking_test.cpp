// Steps 1-4: the GC header, tracking, traverse and clear. Lesson §1 and §2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "py/mark_sweep.hpp"
#include "support.hpp"

namespace {

using mark_sweep_test::fresh_collector;
using mark_sweep_test::RefchainBaseline;
using mark_sweep_test::visited;
using testing::IsEmpty;
using testing::UnorderedElementsAre;

TEST(MarkSweep, Step01_ContainersCarryAGCHeaderAndAreTracked) {
    fresh_collector();
    auto list = py::List::create();
    auto dict = py::Dict::create();
    auto tuple = py::Tuple::pack({list.get()});
    EXPECT_TRUE(py::gc::is_tracked(list.get())) << "gc_alloc tracks every new container (§1)";
    EXPECT_TRUE(py::gc::is_tracked(dict.get()));
    EXPECT_TRUE(py::gc::is_tracked(tuple.get()));
    EXPECT_EQ(py::List::Type.tp_alloc, &py::gc::gc_alloc) << "installed when the library loads";
    EXPECT_EQ(py::Dict::Type.tp_free, &py::gc::gc_free);
    for (py::Object* op : std::initializer_list<py::Object*>{list.get(), dict.get(), tuple.get()}) {
        py::gc::GCHead* gc = py::gc::as_gc(op);
        EXPECT_EQ(static_cast<void*>(gc + 1), static_cast<void*>(op))
            << "the header sits right before the object";
        EXPECT_NE(py::gc::next(gc), nullptr) << "a tracked object is linked into the GC list";
        EXPECT_EQ(py::gc::prev(py::gc::next(gc)), gc);
        EXPECT_EQ(py::gc::flags(gc), 0U) << "a new object is not finalized and not being collected";
    }
    EXPECT_FALSE(py::gc::is_tracked(py::Int::create(1).get()))
        << "scalars cannot form cycles: no header";
    EXPECT_FALSE(py::gc::is_tracked(py::Float::create(1.5).get()));
    EXPECT_FALSE(py::gc::is_tracked(py::Str::create("a").get()));
    EXPECT_FALSE(py::gc::is_tracked(py::None().get()));
    EXPECT_FALSE(py::gc::is_tracked(py::True().get()));
}

TEST(MarkSweep, Step02_TrackingFollowsTheObjectsLife) {
    fresh_collector();
    const RefchainBaseline baseline;
    py::gc::GCHead* young = py::gc::state().young;
    const py::ssize_t before = py::gc::list_size(young);
    {
        auto first = py::List::create();
        auto second = py::Dict::create();
        EXPECT_EQ(py::gc::list_size(young), before + 2) << "track() appends to state().young";
        EXPECT_EQ(py::gc::prev(young), py::gc::as_gc(second.get()))
            << "the newest object is at the tail";
        py::gc::untrack(first.get());
        EXPECT_FALSE(py::gc::is_tracked(first.get()));
        EXPECT_EQ(py::gc::as_gc(first.get())->_gc_next, 0U) << "untracked means _gc_next == 0";
        py::gc::untrack(first.get());  // twice: nothing happens
        EXPECT_EQ(py::gc::list_size(young), before + 1);
        py::gc::track(first.get());
        py::gc::track(first.get());  // twice: nothing happens
        EXPECT_EQ(py::gc::list_size(young), before + 2);
        EXPECT_EQ(py::gc::prev(young), py::gc::as_gc(first.get()));
    }
    EXPECT_EQ(py::gc::list_size(young), before) << "tp_dealloc untracks before it frees (§1)";
    EXPECT_EQ(baseline.growth(), 0);
}

TEST(MarkSweep, Step03_TraverseVisitsEachReference) {
    auto one = py::Int::create(1);
    auto two = py::Str::create("two");
    auto list = py::List::create();
    list->append(one.get());
    list->append(two.get());
    EXPECT_THAT(visited(list.get()), UnorderedElementsAre(one.get(), two.get()));
    auto tuple = py::Tuple::pack({one.get(), list.get()});
    EXPECT_THAT(visited(tuple.get()), UnorderedElementsAre(one.get(), list.get()));
    auto dict = py::Dict::create();
    dict->setitem(two.get(), list.get());
    EXPECT_THAT(visited(dict.get()), UnorderedElementsAre(two.get(), list.get()))
        << "keys and values";
    EXPECT_THAT(visited(one.get()), IsEmpty()) << "an int has no tp_traverse";
    EXPECT_THAT(visited(py::List::create().get()), IsEmpty());

    // A visit that returns non-zero stops the traversal and its value comes back.
    int calls = 0;
    const int result = py::gc::traverse(
        list.get(),
        [](py::Object*, void* arg) {
            ++*static_cast<int*>(arg);
            return 7;
        },
        &calls);
    EXPECT_EQ(result, 7);
    EXPECT_EQ(calls, 1) << "Py_VISIT returns as soon as a visit says so";
}

TEST(MarkSweep, Step04_ClearDropsTheReferences) {
    const RefchainBaseline baseline;
    {
        auto item = py::Int::create(1000);
        auto list = py::List::create();
        list->append(item.get());
        auto dict = py::Dict::create();
        dict->setitem(item.get(), list.get());
        EXPECT_EQ(py::refcount(item.get()), 3);
        ASSERT_NE(py::List::Type.tp_clear, nullptr);
        ASSERT_NE(py::Dict::Type.tp_clear, nullptr);
        EXPECT_EQ(py::Tuple::Type.tp_clear, nullptr)
            << "CPython's tuples have no tp_clear: immutable";
        py::Dict::Type.tp_clear(dict.get());
        EXPECT_EQ(dict->size(), 0);
        EXPECT_EQ(dict->get(item.get()), nullptr) << "a cleared dict is an empty, usable dict";
        EXPECT_EQ(py::refcount(list.get()), 1);
        dict->setitem(item.get(), item.get());
        EXPECT_EQ(dict->getitem(item.get()), item.get());
        py::List::Type.tp_clear(list.get());
        EXPECT_EQ(list->size(), 0);
        EXPECT_EQ(py::refcount(item.get()), 3) << "the list let go, the dict holds key and value";

        // A cleared container is an ordinary empty one: it compares like a new one.
        auto empty_list = py::List::create();
        auto empty_dict = py::Dict::create();
        EXPECT_TRUE(py::equal(list.get(), empty_list.get()));
        py::Dict::Type.tp_clear(dict.get());
        EXPECT_TRUE(py::equal(dict.get(), empty_dict.get()));
        EXPECT_FALSE(py::equal(list.get(), dict.get()))
            << "list == dict: both NotImplemented, so False";
        list->append(item.get());
        empty_list->append(list.get());
        EXPECT_FALSE(py::equal(list.get(), empty_list.get())) << "[1000] != [[1000]]";
        empty_list->append(item.get());
        EXPECT_FALSE(py::equal(list.get(), empty_list.get())) << "different lengths";
        dict->setitem(item.get(), list.get());
        EXPECT_FALSE(py::equal(dict.get(), empty_dict.get())) << "different sizes";
        empty_dict->setitem(item.get(), empty_list.get());
        EXPECT_FALSE(py::equal(dict.get(), empty_dict.get())) << "same key, different values";
        empty_dict->setitem(item.get(), list.get());
        EXPECT_TRUE(py::equal(dict.get(), empty_dict.get()));
        py::List::Type.tp_clear(empty_list.get());
        py::Dict::Type.tp_clear(dict.get());
        py::Dict::Type.tp_clear(empty_dict.get());
    }
    EXPECT_EQ(baseline.growth(), 0);
}

}  // namespace
