// Steps 1-10: the seed's broken singleton, then the two lock-based fixes. Lesson §1-§3.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "py/singleton.hpp"
#include "test_support.hpp"

namespace {

using py::singleton::DoubleCheckedSingleton;
using py::singleton::LockedSingleton;
using py::singleton::UnsafeSingleton;
using py::singleton::Widget;
using singleton_test::call_together;
using singleton_test::CountingFactory;
using singleton_test::distinct_widgets;
using singleton_test::errors_of;
using singleton_test::Rendezvous;
using singleton_test::runtime_error_of;
using testing::Each;
using testing::IsEmpty;

// The seed starts ten threads.
constexpr int kSeedThreads = 10;
// The stress: 64 threads released together.
constexpr int kManyThreads = 64;

// ---- §1 the seed's broken singleton ------------------------------------------------------------

TEST(Singleton, Step01_UnsafeSingletonHandsOneThreadTheSameObject) {
    CountingFactory factory;
    UnsafeSingleton singleton(factory.factory("x"));
    Widget& first = singleton.instance();
    Widget& second = singleton.instance();
    EXPECT_EQ(&first, &second) << "the second call finds the instance the first one made";
    EXPECT_EQ(first.name, "x");
    EXPECT_EQ(factory.calls(), 1) << "one thread alone: the factory runs once";
    EXPECT_EQ(singleton.objects_made(), 1U);
}

TEST(Singleton, Step02_UnsafeSingletonBreaksUnderAForcedInterleaving) {
    // The seed's 0.1-second pause (time.sleep) made the race likely; the rendezvous makes it
    // certain: no thread may create until all ten have checked and found no instance.
    CountingFactory factory;
    Rendezvous all_checked(kSeedThreads);
    UnsafeSingleton singleton(factory.factory("x"), all_checked.hook());
    const auto outcomes =
        call_together(kSeedThreads, [&]() -> Widget& { return singleton.instance(); });

    ASSERT_THAT(errors_of(outcomes), IsEmpty());
    EXPECT_FALSE(all_checked.gave_up())
        << "instance() must run between_check_and_create once the check found no instance (§1)";
    EXPECT_EQ(factory.calls(), kSeedThreads) << "every thread saw 'no instance yet' and made one";
    EXPECT_EQ(singleton.objects_made(), static_cast<std::size_t>(kSeedThreads));
    EXPECT_EQ(distinct_widgets(outcomes).size(), static_cast<std::size_t>(kSeedThreads))
        << "each thread got its own object: not a singleton";
}

// ---- §2 one lock around everything --------------------------------------------------------------

TEST(Singleton, Step03_LockedSingletonTakesTheLockOnEveryCall) {
    CountingFactory factory;
    LockedSingleton singleton(factory.factory("x"));
    Widget& first = singleton.instance();
    for (int i = 0; i < 999; ++i) {
        ASSERT_EQ(&singleton.instance(), &first);
    }
    EXPECT_EQ(first.name, "x");
    EXPECT_EQ(factory.calls(), 1);
    EXPECT_EQ(singleton.lock_acquisitions(), 1000U)
        << "every call, even after the instance exists, takes the lock: that is this version's "
           "cost";
}

TEST(Singleton, Step04_LockedSingletonRetriesAfterAThrowingConstructor) {
    CountingFactory factory(/*failures=*/1);
    LockedSingleton singleton(factory.factory("x"));
    EXPECT_EQ(runtime_error_of([&] { (void)singleton.instance(); }), "constructor failed")
        << "the factory's exception reaches the caller";
    Widget& made = singleton.instance();  // the failed attempt stored nothing: try again
    EXPECT_EQ(made.name, "x");
    EXPECT_EQ(&singleton.instance(), &made);
    EXPECT_EQ(factory.calls(), 2) << "one failed construction, one that worked, then none";
    EXPECT_EQ(singleton.lock_acquisitions(), 3U) << "the lock was released when the factory threw";
}

TEST(Singleton, Step05_LockedSingletonRefusesAFactoryThatAsksForItself) {
    // The factory asks its own singleton for the instance. The lock is recursive, so this thread
    // gets in again: instead of making a second object (or deadlocking on a plain mutex), the
    // singleton notices it is being constructed and says so.
    bool ask_for_itself = true;
    LockedSingleton* self = nullptr;
    LockedSingleton singleton([&]() -> std::unique_ptr<Widget> {
        if (ask_for_itself) {
            ask_for_itself = false;
            (void)self->instance();
        }
        return std::make_unique<Widget>("x");
    });
    self = &singleton;
    EXPECT_EQ(runtime_error_of([&] { (void)singleton.instance(); }),
              "singleton instance requested while it is being constructed");
    EXPECT_EQ(singleton.instance().name, "x")
        << "after the refused attempt the singleton is retryable";
}

TEST(Singleton, Step06_LockedSingleton64ThreadsReleasedTogetherMakeOne) {
    CountingFactory factory;
    LockedSingleton singleton(factory.factory("x"));
    const auto outcomes =
        call_together(kManyThreads, [&]() -> Widget& { return singleton.instance(); });
    ASSERT_THAT(errors_of(outcomes), IsEmpty());
    EXPECT_EQ(factory.calls(), 1) << "64 threads at once, one construction";
    EXPECT_EQ(distinct_widgets(outcomes).size(), 1U) << "every thread got the same object";
    EXPECT_EQ(singleton.lock_acquisitions(), static_cast<std::uint64_t>(kManyThreads));
}

// ---- §3 double-checked locking ------------------------------------------------------------------

TEST(Singleton, Step07_DoubleCheckedSkipsTheLockOnceTheInstanceExists) {
    CountingFactory factory;
    DoubleCheckedSingleton singleton(factory.factory("x"));
    Widget& first = singleton.instance();
    for (int i = 0; i < 999; ++i) {
        ASSERT_EQ(&singleton.instance(), &first);
    }
    EXPECT_EQ(first.name, "x");
    EXPECT_EQ(factory.calls(), 1);
    EXPECT_EQ(singleton.slow_path_entries(), 1U)
        << "only the first call finds no instance; the other 999 return after one atomic load";
}

TEST(Singleton, Step08_DoubleCheckedHoldsUnderTheSameForcedInterleaving) {
    // The interleaving that broke §1: every thread finds no instance before any goes on.
    CountingFactory factory;
    Rendezvous all_checked(kSeedThreads);
    DoubleCheckedSingleton singleton(factory.factory("x"), all_checked.hook());
    const auto outcomes =
        call_together(kSeedThreads, [&]() -> Widget& { return singleton.instance(); });

    ASSERT_THAT(errors_of(outcomes), IsEmpty());
    EXPECT_FALSE(all_checked.gave_up())
        << "instance() must run between_check_and_lock once the first look found nothing (§3)";
    EXPECT_EQ(singleton.slow_path_entries(), static_cast<std::uint64_t>(kSeedThreads))
        << "all ten found no instance on the first look";
    EXPECT_EQ(factory.calls(), 1)
        << "the second look, under the lock, let only the first one create";
    EXPECT_EQ(distinct_widgets(outcomes).size(), 1U);
}

TEST(Singleton, Step09_DoubleCheckedRetriesAfterAThrowingConstructor) {
    CountingFactory factory(/*failures=*/2);
    DoubleCheckedSingleton singleton(factory.factory("x"));
    EXPECT_EQ(runtime_error_of([&] { (void)singleton.instance(); }), "constructor failed");
    EXPECT_EQ(runtime_error_of([&] { (void)singleton.instance(); }), "constructor failed")
        << "a failed construction publishes nothing and releases the lock";
    Widget& made = singleton.instance();
    EXPECT_EQ(made.name, "x");
    EXPECT_EQ(&singleton.instance(), &made);
    EXPECT_EQ(factory.calls(), 3);
    EXPECT_EQ(singleton.slow_path_entries(), 3U);
}

TEST(Singleton, Step10_DoubleChecked64ThreadsReleasedTogetherMakeOne) {
    // Every thread reads the object's name after instance() returns. If the pointer is published
    // without release or read without acquire, ThreadSanitizer reports that read as a data race.
    CountingFactory factory;
    DoubleCheckedSingleton singleton(factory.factory("x"));
    const auto outcomes =
        call_together(kManyThreads, [&]() -> Widget& { return singleton.instance(); });
    ASSERT_THAT(errors_of(outcomes), IsEmpty());
    EXPECT_EQ(factory.calls(), 1);
    EXPECT_EQ(distinct_widgets(outcomes).size(), 1U);
    std::vector<std::string> names;
    names.reserve(outcomes.size());
    for (const auto& outcome : outcomes) {
        names.push_back(outcome.name);
    }
    EXPECT_THAT(names, Each(std::string("x")));
    EXPECT_GE(singleton.slow_path_entries(), 1U);
    EXPECT_LE(singleton.slow_path_entries(), static_cast<std::uint64_t>(kManyThreads));
}

}  // namespace
