// Steps 7-14: the automatic trigger, the long-lived rule, callbacks, stats, disable, freeze.
// Lesson §4 and §5. Every test decides by counting allocations, never by time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "py/gc_module.hpp"
#include "support.hpp"

namespace {

using generations_test::CollectionLog;
using generations_test::contains;
using generations_test::FreshCollector;
using testing::ElementsAre;
using testing::IsEmpty;
using Counts = std::array<int, 3>;

TEST(Generations, Step07_Generation0IsCollectedAfterThreshold0Allocations) {
    const FreshCollector fresh;
    py::gc::set_threshold(10);
    const py::ssize_t before = py::refchain::size();
    {
        auto cycle = py::List::create();  // garbage waiting in generation 0
        cycle->append(cycle.get());
    }
    const CollectionLog log;
    std::vector<py::Ref<py::List>> keep;
    keep.reserve(12);
    for (int i = 0; i < 9; ++i) {
        keep.push_back(py::List::create());
    }
    EXPECT_EQ(py::gc::get_count()[0], 10) << "the cycle and nine lists";
    keep.pop_back();  // a deallocation takes one back
    keep.push_back(py::List::create());
    EXPECT_THAT(log.started, IsEmpty()) << "count 10 is not over the threshold 10";
    keep.push_back(py::List::create());  // count 11 > 10: generation 0 is collected first
    EXPECT_THAT(log.started, ElementsAre(0));
    EXPECT_EQ(py::gc::get_count(), (Counts{0, 1, 0}))
        << "the collection resets generation 0's count and adds one to generation 1's";
    EXPECT_EQ(py::refchain::size(), before + 10)
        << "the cycle was collected, the ten live lists kept";
    EXPECT_EQ(py::gc::generation_of(keep.front().get()), 1) << "the survivors were promoted";
    EXPECT_EQ(py::gc::generation_of(keep.back().get()), 0) << "the list being allocated came after";
}

TEST(Generations, Step08_Generation1IsCollectedAfterThreshold1CollectionsOfGeneration0) {
    const FreshCollector fresh;
    py::gc::set_threshold(1, 2, 1000);
    const CollectionLog log;
    std::vector<py::Ref<py::List>> keep;
    keep.reserve(16);
    for (int i = 0; i < 16; ++i) {
        keep.push_back(py::List::create());
    }
    // Every second allocation goes over threshold 0; every third collection of generation 0
    // takes generation 1's count over 2, and then generation 1 is collected instead.
    EXPECT_THAT(log.started, ElementsAre(0, 0, 0, 1, 0, 0, 0, 1));
    EXPECT_EQ(py::gc::get_count(), (Counts{0, 0, 2}));
}

TEST(Generations, Step09_AFullCollectionWaitsForTheLongLived25PercentRule) {
    const FreshCollector fresh;
    std::vector<py::Ref<py::List>> old_objects;
    old_objects.reserve(400);
    for (int i = 0; i < 400; ++i) {
        old_objects.push_back(py::List::create());
    }
    py::gc::collect();
    const py::ssize_t total = py::gc::generations().long_lived_total;
    EXPECT_GE(total, 400) << "long_lived_total: what survived the last full collection";
    EXPECT_EQ(py::gc::generations().long_lived_pending, 0);

    py::gc::set_threshold(1, 0, 0);  // generation 2 is over its threshold after one collection of 1
    int full_collections = 0;
    py::ssize_t pending_at_full = -1;
    py::gc::callbacks().push_back([&](std::string_view phase, const py::gc::CallbackInfo& info) {
        if (phase == "start" && info.generation == 2 && full_collections++ == 0) {
            pending_at_full = py::gc::generations().long_lived_pending;
        }
    });
    const CollectionLog log;
    std::vector<py::Ref<py::List>> young_objects;
    while (full_collections == 0 && young_objects.size() < 1000) {
        young_objects.push_back(py::List::create());
    }
    ASSERT_EQ(full_collections, 1) << "the full collection does come, once enough is pending";
    EXPECT_GE(pending_at_full, total / 4)
        << "not before long_lived_pending reaches 25% of long_lived_total";
    const auto gen1 = std::count(log.started.begin(), log.started.end(), 1);
    EXPECT_GT(gen1, 20)
        << "until then generation 1 was collected instead, though generation 2's count was over";
    EXPECT_EQ(py::gc::generations().long_lived_pending, 0)
        << "a full collection starts the count again";
    EXPECT_GE(py::gc::generations().long_lived_total, total + pending_at_full);
}

TEST(Generations, Step10_CallbacksHearStartAndStopWithTheirInfo) {
    const FreshCollector fresh;
    struct Call {
        std::string phase;
        int generation;
        py::ssize_t collected;
        py::ssize_t uncollectable;
        py::ssize_t inner_collect;
    };
    std::vector<Call> calls;
    py::gc::callbacks().push_back([&](std::string_view phase, const py::gc::CallbackInfo& info) {
        calls.push_back({std::string(phase), info.generation, info.collected, info.uncollectable,
                         py::gc::collect()});
    });
    static py::Class legacy(
        "LegacyDel", [](py::Instance&) {}, py::Class::FinalizerKind::Legacy);
    {
        auto cycle = py::List::create();
        cycle->append(cycle.get());
        auto stuck = py::Instance::create(legacy);
        stuck->setattr("self", stuck.get());
    }
    EXPECT_EQ(py::gc::collect(1), 3);
    ASSERT_EQ(calls.size(), 2U);
    EXPECT_EQ(calls[0].phase, "start");
    EXPECT_EQ(calls[0].generation, 1);
    EXPECT_EQ(calls[0].collected, 0);
    EXPECT_EQ(calls[1].phase, "stop");
    EXPECT_EQ(calls[1].generation, 1);
    EXPECT_EQ(calls[1].collected, 1) << "the list";
    EXPECT_EQ(calls[1].uncollectable, 2) << "the instance with tp_del and its dict";
    EXPECT_EQ(calls[0].inner_collect, 0) << "gc.collect() inside a callback does nothing";
    EXPECT_EQ(py::gc::garbage().size(), 1U);
    static_cast<py::Instance*>(py::gc::garbage()[0].get())->delattr("self");
    py::gc::garbage().clear();

    // A callback that throws is reported; the others and the collection go on.
    std::vector<std::string> reports;
    py::gc::set_unraisable_hook(
        [&](const py::gc::Unraisable& report) { reports.push_back(report.exc_value); });
    py::gc::callbacks().insert(py::gc::callbacks().begin(),
                               [](std::string_view, const py::gc::CallbackInfo&) {
                                   throw py::RuntimeError("bad callback");
                               });
    calls.clear();
    EXPECT_EQ(py::gc::collect(), 0);
    EXPECT_THAT(reports, ElementsAre("bad callback", "bad callback"));
    EXPECT_EQ(calls.size(), 2U);
    py::gc::set_unraisable_hook(nullptr);

    // The protocol, mocked: a callback may add or remove callbacks while it runs. Ours calls the
    // list as it was when the phase began; a change counts from the next phase on.
    py::gc::callbacks().clear();
    using Info = py::gc::CallbackInfo;
    testing::MockFunction<void(std::string_view, const Info&)> first;
    testing::MockFunction<void(std::string_view, const Info&)> second;
    testing::MockFunction<void(std::string_view, const Info&)> added;
    py::gc::callbacks().push_back(first.AsStdFunction());
    py::gc::callbacks().push_back(second.AsStdFunction());
    {
        auto cycle = py::List::create();
        cycle->append(cycle.get());
    }
    const auto generation_2 = testing::Field(&Info::generation, 2);
    {
        const testing::InSequence in_order;
        EXPECT_CALL(first, Call(std::string_view("start"), generation_2))
            .WillOnce([&added](std::string_view, const Info&) {
                py::gc::callbacks().erase(py::gc::callbacks().begin());  // removes itself
                py::gc::callbacks().push_back(added.AsStdFunction());
                py::gc::callbacks().push_back(added.AsStdFunction());
            });
        EXPECT_CALL(second, Call(std::string_view("start"), generation_2));
        EXPECT_CALL(second,
                    Call(std::string_view("stop"),
                         testing::AllOf(generation_2, testing::Field(&Info::collected, 1))));
        EXPECT_CALL(added, Call(std::string_view("stop"), testing::Field(&Info::collected, 1)))
            .Times(2);
    }
    EXPECT_EQ(py::gc::collect(), 1);
    EXPECT_EQ(py::gc::callbacks().size(), 3U);
    py::gc::callbacks().clear();
}

TEST(Generations, Step11_StatsCountCollectionsPerGeneration) {
    const FreshCollector fresh;
    const auto before = py::gc::get_stats();
    {
        auto cycle = py::List::create();
        cycle->append(cycle.get());
    }
    py::gc::collect(0);
    auto after = py::gc::get_stats();
    EXPECT_EQ(after[0].collections, before[0].collections + 1) << "test_gc.test_get_stats";
    EXPECT_EQ(after[0].collected, before[0].collected + 1);
    EXPECT_EQ(after[1], before[1]);
    EXPECT_EQ(after[2], before[2]);
    py::gc::collect(1);
    after = py::gc::get_stats();
    EXPECT_EQ(after[0].collections, before[0].collections + 1)
        << "generation 1's collection counts as 1 only";
    EXPECT_EQ(after[1].collections, before[1].collections + 1);
}

TEST(Generations, Step12_DisableStopsOnlyTheAutomaticTrigger) {
    const FreshCollector fresh;
    py::gc::set_threshold(5);
    py::gc::disable();
    const CollectionLog log;
    std::vector<py::Ref<py::List>> keep;
    keep.reserve(41);
    for (int i = 0; i < 20; ++i) {
        keep.push_back(py::List::create());
    }
    EXPECT_THAT(log.started, IsEmpty()) << "gc.disable(): no automatic collection";
    EXPECT_EQ(py::gc::get_count()[0], 20) << "but the counting goes on";
    EXPECT_EQ(py::gc::collect(0), 0) << "gc.collect() works while disabled";
    EXPECT_THAT(log.started, ElementsAre(0));
    py::gc::enable();
    py::gc::set_threshold(0);  // threshold 0 also means never
    for (int i = 0; i < 20; ++i) {
        keep.push_back(py::List::create());
    }
    EXPECT_THAT(log.started, ElementsAre(0));
    py::gc::set_threshold(5);
    keep.push_back(py::List::create());
    EXPECT_THAT(log.started, ElementsAre(0, 0)) << "enabled, over the threshold: collected";
}

TEST(Generations, Step13_FreezeHidesObjectsFromTheCollector) {
    const FreshCollector fresh;
    const py::ssize_t before = py::refchain::size();
    py::List* raw = nullptr;
    {
        auto cycle = py::List::create();
        cycle->append(cycle.get());
        raw = cycle.get();
    }
    py::gc::freeze();
    EXPECT_GT(py::gc::get_freeze_count(), 0) << "test_gc.test_freeze";
    EXPECT_EQ(py::gc::generation_of(raw), 3) << "the permanent generation";
    EXPECT_FALSE(contains(py::gc::get_objects(), raw))
        << "get_objects does not list frozen objects";
    EXPECT_EQ(py::gc::get_count()[0], 0);
    EXPECT_EQ(py::gc::collect(), 0) << "no collection looks at frozen objects";
    EXPECT_EQ(py::refchain::size(), before + 1);
    py::gc::unfreeze();
    EXPECT_EQ(py::gc::get_freeze_count(), 0);
    EXPECT_EQ(py::gc::generation_of(raw), 2) << "unfreeze moves them to the oldest generation";
    EXPECT_EQ(py::gc::collect(), 1);
    EXPECT_EQ(py::refchain::size(), before);
}

TEST(Generations, Step14_GetReferrersFindsWhoHoldsAnObject) {
    const FreshCollector fresh;
    auto target = py::Str::create("target");
    auto list = py::List::create();
    list->append(target.get());
    auto tuple = py::Tuple::pack({target.get()});
    auto dict = py::Dict::create();
    dict->setitem(py::Int::create(1).get(), py::Int::create(2).get());
    auto referrers = py::gc::get_referrers(target.get());
    EXPECT_TRUE(contains(referrers, list.get()));
    EXPECT_TRUE(contains(referrers, tuple.get()));
    EXPECT_FALSE(contains(referrers, dict.get()));
    EXPECT_THAT(py::gc::get_referents(list.get()), ElementsAre(target.get())) << "gc.get_referents";
}

}  // namespace
