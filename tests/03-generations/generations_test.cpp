// Steps 1-6: three generations, counts, thresholds, promotion. Lesson §1-§3.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <string>

#include "py/gc_module.hpp"
#include "support.hpp"

namespace {

using generations_test::contains;
using generations_test::FreshCollector;
using Counts = std::array<int, 3>;

TEST(Generations, Step01_ThreeGenerationsWithCPythonsThresholds) {
    // The defaults as a fresh process has them, before any set_threshold: "threadsafe" death
    // tests re-run this test in a new process, where nothing has touched the collector yet.
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(std::exit(py::gc::get_threshold() == Counts{700, 10, 10} ? 0 : 1),
                testing::ExitedWithCode(0), "")
        << "a new process starts with gc.get_threshold() == (700, 10, 10)";
    const FreshCollector fresh;
    EXPECT_EQ(py::gc::NUM_GENERATIONS, 3);
    EXPECT_EQ(py::gc::get_threshold(), (Counts{700, 10, 10})) << "CPython's defaults up to 3.12";
    EXPECT_TRUE(py::gc::isenabled());
    EXPECT_EQ(py::gc::state().young, &py::gc::generations().generations[0].head)
        << "new objects are tracked in generation 0";
    auto list = py::List::create();
    EXPECT_EQ(py::gc::generation_of(list.get()), 0);
    EXPECT_TRUE(contains(py::gc::get_objects(0), list.get()));
    EXPECT_FALSE(contains(py::gc::get_objects(1), list.get()));
    EXPECT_FALSE(contains(py::gc::get_objects(2), list.get()));
    EXPECT_TRUE(contains(py::gc::get_objects(), list.get())) << "no argument: every generation";
    EXPECT_EQ(py::gc::get_objects().size(), py::gc::get_objects(-1).size())
        << "-1 is CPython's 'None'";
    EXPECT_EQ(py::gc::generation_of(py::Int::create(3).get()), -1) << "an int is never tracked";
}

TEST(Generations, Step02_SetThresholdChangesOnlyWhatItIsGiven) {
    const FreshCollector fresh;
    py::gc::set_threshold(100);
    EXPECT_EQ(py::gc::get_threshold(), (Counts{100, 10, 10}));
    py::gc::set_threshold(5, 6);
    EXPECT_EQ(py::gc::get_threshold(), (Counts{5, 6, 10}));
    py::gc::set_threshold(7, 8, 9);
    EXPECT_EQ(py::gc::get_threshold(), (Counts{7, 8, 9}));
    py::gc::disable();
    EXPECT_FALSE(py::gc::isenabled());
    py::gc::enable();
    EXPECT_TRUE(py::gc::isenabled());
}

TEST(Generations, Step03_CountIsAllocationsMinusDeallocations) {
    const FreshCollector fresh;
    EXPECT_EQ(py::gc::get_count(), (Counts{0, 0, 0})) << "a full collection resets every count";
    auto a = py::List::create();
    auto b = py::Dict::create();
    auto c = py::Tuple::pack({a.get()});
    EXPECT_EQ(py::gc::get_count(), (Counts{3, 0, 0}))
        << "one per GC object allocated (test_gc.test_get_count)";
    auto number = py::Int::create(10);
    auto text = py::Str::create("not a container");
    EXPECT_EQ(py::gc::get_count()[0], 3) << "scalars are not GC objects: not counted";
    c.reset();
    EXPECT_EQ(py::gc::get_count()[0], 2) << "a deallocation of a GC object counts down";
    static py::Class thing("Thing");
    auto instance = py::Instance::create(thing);
    EXPECT_EQ(py::gc::get_count()[0], 4) << "an instance and its __dict__";
    instance.reset();
    a.reset();
    b.reset();
    EXPECT_EQ(py::gc::get_count()[0], 0);
    b = py::Dict::create();
    b.reset();
    EXPECT_EQ(py::gc::get_count()[0], 0) << "and never below zero";
}

TEST(Generations, Step04_SurvivorsMoveUpOneGenerationPerCollection) {
    const FreshCollector fresh;
    auto list = py::List::create();  // l = []; l.append(l)
    list->append(list.get());
    EXPECT_EQ(py::gc::generation_of(list.get()), 0);
    EXPECT_EQ(py::gc::collect(0), 0) << "reachable from `list`: kept";
    EXPECT_EQ(py::gc::generation_of(list.get()), 1) << "a survivor of generation 0 moves to 1";
    EXPECT_TRUE(contains(py::gc::get_objects(1), list.get()));
    EXPECT_FALSE(contains(py::gc::get_objects(0), list.get()));
    EXPECT_EQ(py::gc::get_count(), (Counts{0, 1, 0})) << "test_gc.test_collect_generations";
    py::gc::collect(1);
    EXPECT_EQ(py::gc::generation_of(list.get()), 2);
    EXPECT_EQ(py::gc::get_count(), (Counts{0, 0, 1}));
    py::gc::collect(2);
    EXPECT_EQ(py::gc::generation_of(list.get()), 2) << "generation 2 is the last: it stays";
    EXPECT_EQ(py::gc::get_count(), (Counts{0, 0, 0}));
    list->clear();
}

TEST(Generations, Step05_CollectingAGenerationCollectsTheYoungerOnesToo) {
    const FreshCollector fresh;
    const py::ssize_t before = py::refchain::size();
    {
        auto a = py::List::create();
        auto b = py::List::create();
        a->append(b.get());
        b->append(a.get());
        py::gc::collect(0);  // both survive into generation 1 while they have names
        EXPECT_EQ(py::gc::generation_of(a.get()), 1);
    }  // now they are garbage in generation 1
    {
        auto young = py::List::create();
        young->append(young.get());  // garbage in generation 0
    }
    EXPECT_EQ(py::gc::collect(0), 1) << "generation 0 holds only the young self-cycle";
    EXPECT_EQ(py::refchain::size(), before + 2) << "the older cycle is not looked at";
    EXPECT_EQ(py::gc::collect(1), 2) << "collecting generation 1 finds it";
    EXPECT_EQ(py::refchain::size(), before);
    {
        auto a = py::List::create();
        a->append(a.get());
        py::gc::collect(1);
        EXPECT_EQ(py::gc::generation_of(a.get()), 2);
    }
    {
        auto b = py::List::create();
        b->append(b.get());
    }
    EXPECT_EQ(py::gc::collect(), 2) << "a full collection merges 0 and 1 into 2 first";
    EXPECT_EQ(py::refchain::size(), before);
}

TEST(Generations, Step06_BadGenerationArgumentsRaiseCPythonsValueErrors) {
    const FreshCollector fresh;
    const auto stats_before = py::gc::get_stats();
    const auto message_of = [](auto action) -> std::string {
        try {
            action();
        } catch (const py::ValueError& error) {
            return error.what();
        }
        return "no ValueError";
    };
    EXPECT_EQ(message_of([] { py::gc::collect(3); }), "invalid generation");
    EXPECT_EQ(message_of([] { py::gc::collect(-1); }), "invalid generation");
    EXPECT_EQ(message_of([] { (void)py::gc::get_objects(3); }),
              "generation parameter must be less than the number of available generations (3)");
    EXPECT_EQ(message_of([] { (void)py::gc::get_objects(1000); }),
              "generation parameter must be less than the number of available generations (3)");
    EXPECT_EQ(message_of([] { (void)py::gc::get_objects(-1000); }),
              "generation parameter cannot be negative");
    EXPECT_EQ(message_of([] { (void)py::gc::get_objects(-2); }),
              "generation parameter cannot be negative");
    EXPECT_EQ(py::gc::get_stats(), stats_before) << "the failed calls collected nothing";
}

}  // namespace
