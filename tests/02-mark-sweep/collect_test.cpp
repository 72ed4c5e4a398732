// Steps 5-10: the collection. Lesson §3.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "py/mark_sweep.hpp"
#include "support.hpp"

namespace {

using mark_sweep_test::fresh_collector;
using mark_sweep_test::RefchainBaseline;

TEST(MarkSweep, Step05_NothingToCollectChangesNothing) {
    fresh_collector();
    auto item = py::Int::create(5);
    auto inner = py::List::create();
    inner->append(item.get());
    auto outer = py::Tuple::pack({inner.get(), inner.get()});
    const RefchainBaseline baseline;
    EXPECT_EQ(py::gc::collect(), 0) << "every container is reachable from a C++ reference";
    EXPECT_EQ(baseline.growth(), 0);
    EXPECT_EQ(py::refcount(inner.get()), 3)
        << "the collector works on gc_refs, a copy: refcounts stay";
    EXPECT_EQ(py::refcount(item.get()), 2);
    EXPECT_TRUE(py::gc::is_tracked(inner.get())) << "survivors stay tracked";
    EXPECT_EQ(py::gc::flags(py::gc::as_gc(inner.get())), 0U)
        << "no COLLECTING/UNREACHABLE bit left behind";
    EXPECT_EQ(py::gc::flags(py::gc::as_gc(outer.get())), 0U);
}

TEST(MarkSweep, Step06_ASelfReferencingListIsCollected) {
    fresh_collector();
    const RefchainBaseline baseline;
    {
        auto list = py::List::create();  // l = []; l.append(l); del l
        list->append(list.get());
    }
    EXPECT_EQ(baseline.growth(), 1) << "reference counting alone cannot free it";
    EXPECT_EQ(py::gc::collect(), 1) << "test_gc.test_list: gc.collect() returns 1";
    EXPECT_EQ(baseline.growth(), 0);
    EXPECT_EQ(py::gc::collect(), 0) << "nothing is left to find";
}

TEST(MarkSweep, Step07_TheTwoListLeakOfChapter01IsCollected) {
    fresh_collector();
    const RefchainBaseline baseline;
    {
        auto v1 = py::List::create();  // v1 = [11, 22, 33]
        auto v2 = py::List::create();  // v2 = [44, 55, 66]
        for (long long n : {11, 22, 33}) {
            v1->append(py::Int::create(n).get());
        }
        for (long long n : {44, 55, 66}) {
            v2->append(py::Int::create(n).get());
        }
        v1->append(v2.get());
        v2->append(v1.get());
    }  // del v1; del v2
    EXPECT_EQ(baseline.growth(), 8);
    EXPECT_EQ(py::gc::collect(), 2) << "two unreachable containers; the ints are not tracked";
    EXPECT_EQ(baseline.growth(), 0) << "clearing the lists freed the six ints too";
}

TEST(MarkSweep, Step08_DictAndTupleCycles) {
    fresh_collector();
    const RefchainBaseline baseline;
    {
        auto dict = py::Dict::create();  // d = {}; d[1] = d
        dict->setitem(py::Int::create(1).get(), dict.get());
    }
    EXPECT_EQ(py::gc::collect(), 1) << "test_gc.test_dict";
    {
        auto list = py::List::create();  // l = []; t = (l,); l.append(t)
        auto tuple = py::Tuple::pack({list.get()});
        list->append(tuple.get());
    }
    EXPECT_EQ(py::gc::collect(), 2) << "test_gc.test_tuple: the list's clear breaks the cycle";
    EXPECT_EQ(baseline.growth(), 0);
}

TEST(MarkSweep, Step09_ALongRingIsCollected) {
    fresh_collector();
    const RefchainBaseline baseline;
    constexpr int ring = 1000;
    {
        auto first = py::List::create();
        py::Ref<py::List> last = first;
        for (int i = 1; i < ring; ++i) {
            auto next = py::List::create();
            last->append(next.get());
            last = next;
        }
        last->append(first.get());  // close the ring
    }
    EXPECT_EQ(baseline.growth(), ring);
    EXPECT_EQ(py::gc::collect(), ring);
    EXPECT_EQ(baseline.growth(), 0);
}

TEST(MarkSweep, Step10_ACycleHangingOffALiveObjectIsKept) {
    fresh_collector();
    const RefchainBaseline baseline;
    auto holder = py::Dict::create();  // reachable from C++
    auto shared = py::List::create();  // a live object the cycle refers to
    {
        auto a = py::List::create();
        auto b = py::List::create();
        a->append(b.get());
        b->append(a.get());
        a->append(shared.get());
        holder->setitem(py::Str::create("cycle").get(), a.get());
    }
    EXPECT_EQ(py::gc::collect(), 0) << "a and b are reachable through holder: kept";
    EXPECT_EQ(baseline.growth(), 4 + 1) << "holder, shared, a, b and the key";
    EXPECT_EQ(py::refcount(shared.get()), 2);
    // The order of the GC list must not matter: b may be scanned before anything shows a is live.
    holder->delitem(py::Str::create("cycle").get());
    EXPECT_EQ(py::gc::collect(), 2) << "now a and b are garbage";
    EXPECT_EQ(py::refcount(shared.get()), 1) << "the live object they referred to is left alone";
    EXPECT_TRUE(py::gc::is_tracked(shared.get()));
    EXPECT_EQ(baseline.growth(), 2);
}

TEST(MarkSweep, Step11_ReachabilityDoesNotDependOnListOrder) {
    fresh_collector();
    const RefchainBaseline baseline;
    // Tracked oldest-first: c, b, a. Only `a` is held from C++, and a -> b -> c. The scan meets c
    // and b first (no outside references) and moves them to `unreachable`; meeting a must bring
    // them back.
    auto c = py::List::create();
    auto b = py::List::create();
    auto a = py::List::create();
    py::gc::untrack(a.get());
    py::gc::untrack(b.get());
    py::gc::untrack(c.get());
    py::gc::track(c.get());
    py::gc::track(b.get());
    py::gc::track(a.get());
    a->append(b.get());
    b->append(c.get());
    c->append(a.get());  // and a cycle through all three
    py::List* raw_b = b.get();
    py::List* raw_c = c.get();
    b.reset();
    c.reset();
    EXPECT_EQ(py::gc::collect(), 0) << "b and c are reachable from a";
    EXPECT_EQ(raw_b->size(), 1) << "nothing reachable was cleared";
    EXPECT_EQ(raw_c->size(), 1);
    a.reset();
    EXPECT_EQ(py::gc::collect(), 3);
    EXPECT_EQ(baseline.growth(), 0);
}

}  // namespace
