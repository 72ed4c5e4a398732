// Steps 5-11: free lists. Lesson §3.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "py/runtime_pools.hpp"

namespace {

namespace freelists = py::freelists;

TEST(Pools, Step05_AFreedFloatIsReusedAtTheSameAddress) {
    freelists::clear();
    EXPECT_EQ(freelists::floats(), 0);
    auto v1 = py::Float::create(3.14);  // v1 = 3.14
    py::Float* address = v1.get();
    v1.reset();  // del v1: off refchain, onto the free list
    EXPECT_EQ(freelists::floats(), 1);
    EXPECT_FALSE(py::refchain::contains(address));
    auto v9 = py::Float::create(999.99);  // v9 = 999.99: no new memory
    EXPECT_EQ(v9.get(), address) << "the same address: taken from the free list";
    EXPECT_EQ(v9->value(), 999.99);
    EXPECT_EQ(py::refcount(v9.get()), 1);
    EXPECT_TRUE(py::refchain::contains(v9.get())) << "back on refchain, as a new object";
    EXPECT_EQ(freelists::floats(), 0);
}

TEST(Pools, Step06_AFullFloatFreeListKeepsOnlyItsCapacity) {
    freelists::clear();
    EXPECT_EQ(freelists::FLOAT_MAXFREELIST, 100);
    std::vector<py::Ref<py::Float>> floats;
    floats.reserve(150);
    std::set<py::Float*> addresses;
    for (int i = 0; i < 150; ++i) {
        floats.push_back(py::Float::create(i));
        addresses.insert(floats.back().get());
    }
    floats.clear();
    EXPECT_EQ(freelists::floats(), 100) << "PyFloat_MAXFREELIST: the other 50 were really freed";
    for (int i = 0; i < 100; ++i) {
        floats.push_back(py::Float::create(i));
        EXPECT_EQ(addresses.count(floats.back().get()), 1U) << "reused";
    }
    EXPECT_EQ(freelists::floats(), 0);
    floats.clear();
    freelists::clear();
    EXPECT_EQ(freelists::floats(), 0);
}

TEST(Pools, Step07_AFreedListIsReusedEmptyAndTracked) {
    freelists::clear();
    py::gc::collect();
    auto list = py::List::create();
    list->append(py::int_from(1).get());
    list->append(list.get());  // even a list that was in a cycle
    py::List* address = list.get();
    list.reset();
    EXPECT_EQ(py::gc::collect(), 1);
    EXPECT_EQ(freelists::lists(), 1)
        << "the collector's tp_clear and dealloc put it on the free list";
    auto again = py::List::create();
    EXPECT_EQ(again.get(), address);
    EXPECT_EQ(again->size(), 0) << "zeroed like new memory";
    EXPECT_EQ(again->allocated, 0);
    EXPECT_TRUE(py::gc::is_tracked(again.get())) << "reused GC objects are tracked again";
    EXPECT_EQ(py::gc::generation_of(again.get()), 0);
    EXPECT_FALSE(py::gc::is_finalized(again.get()));
    again->append(py::int_from(2).get());
    EXPECT_EQ(again->size(), 1);
}

TEST(Pools, Step08_AFreedDictIsReusedEmpty) {
    freelists::clear();
    auto dict = py::Dict::create();
    dict->setitem(py::str_from("k").get(), py::int_from(1).get());
    py::Dict* address = dict.get();
    dict.reset();
    EXPECT_EQ(freelists::dicts(), 1);
    auto again = py::Dict::create();
    EXPECT_EQ(again.get(), address);
    EXPECT_EQ(again->size(), 0);
    EXPECT_EQ(again->get(py::str_from("k").get()), nullptr);
    EXPECT_TRUE(py::gc::is_tracked(again.get()));
    EXPECT_EQ(freelists::DICT_MAXFREELIST, 80);
}

TEST(Pools, Step09_TuplesHaveOneFreeListPerSize) {
    freelists::clear();
    auto item = py::int_from(1);
    auto three = py::Tuple::pack({item.get(), item.get(), item.get()});
    py::Tuple* address = three.get();
    three.reset();
    EXPECT_EQ(freelists::tuples(3), 1);
    EXPECT_EQ(freelists::tuples(2), 0);
    auto two = py::Tuple::pack({item.get(), item.get()});
    EXPECT_NE(two.get(), address) << "a 2-tuple does not take a 3-tuple's memory";
    auto again = py::Tuple::pack({item.get(), item.get(), item.get()});
    EXPECT_EQ(again.get(), address);
    EXPECT_EQ(again->item(2), item.get());
    EXPECT_EQ(freelists::TUPLE_MAXSAVESIZE, 20);
    EXPECT_EQ(freelists::TUPLE_MAXFREELIST, 2000);
    py::Object* i = item.get();
    {
        // The largest size with a free list: a freed 20-tuple is kept ...
        auto twenty = py::Tuple::pack({i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i});
        ASSERT_EQ(twenty->size(), 20);
        py::Tuple* kept = twenty.get();
        const int count = py::gc::get_count()[0];
        twenty.reset();
        EXPECT_EQ(freelists::tuples(20), 1) << "PyTuple_MAXSAVESIZE is 20: sizes 1 to 20 are kept";
        EXPECT_EQ(py::gc::get_count()[0], count) << "kept, not freed";
        auto reused = py::Tuple::pack({i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i});
        EXPECT_EQ(reused.get(), kept);
    }
    {
        // ... and a 21-tuple really goes back to the allocator (gc_free counts it).
        auto big = py::Tuple::pack({i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i, i});
        EXPECT_EQ(big->size(), 21);
        const int count = py::gc::get_count()[0];
        big.reset();
        EXPECT_EQ(py::gc::get_count()[0], count - 1) << "sizes above 20 are freed at once";
    }
    EXPECT_EQ(freelists::tuples(21), 0);
    EXPECT_EQ(freelists::tuples(0), 0);
}

TEST(Pools, Step10_AFullListFreeListReallyFrees) {
    freelists::clear();
    py::gc::collect();
    EXPECT_EQ(freelists::LIST_MAXFREELIST, 80);
    std::vector<py::Ref<py::List>> lists;
    lists.reserve(100);
    for (int i = 0; i < 100; ++i) {
        lists.push_back(py::List::create());
    }
    const int count = py::gc::get_count()[0];
    lists.clear();
    EXPECT_EQ(freelists::lists(), 80);
    EXPECT_EQ(py::gc::get_count()[0], count - 20)
        << "80 kept for reuse (not a deallocation for the collector), 20 really freed through "
           "gc_free";
    for (int i = 0; i < 80; ++i) {
        lists.push_back(py::List::create());
    }
    EXPECT_EQ(py::gc::get_count()[0], count - 20) << "reused lists are not new allocations either";
    lists.push_back(py::List::create());
    EXPECT_EQ(py::gc::get_count()[0], count - 19) << "an empty free list falls back to gc_alloc";
}

TEST(Pools, Step11_FreeListsSurviveARunOfTheCollector) {
    freelists::clear();
    py::gc::collect();
    const py::ssize_t before = py::refchain::size();
    for (int round = 0; round < 3; ++round) {
        std::vector<py::List*> made;
        for (int i = 0; i < 50; ++i) {
            auto a = py::List::create();
            auto b = py::List::create();
            a->append(b.get());
            b->append(a.get());
            made.push_back(a.get());
        }
        EXPECT_EQ(py::gc::collect(), 100) << "round " << round;
        EXPECT_EQ(py::refchain::size(), before);
    }
    EXPECT_EQ(freelists::lists(), 80);
}

}  // namespace
