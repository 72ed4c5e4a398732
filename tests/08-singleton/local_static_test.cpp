// Steps 17-19: the function-local static. Lesson §6.
//
// A function-local static lives until the program exits and cannot be reset, and the test binary
// may run every test many times in a row (the TSan preset runs them 100 times). So each type here
// counts for the whole process, and each test checks what stays true on every repetition.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "py/singleton.hpp"
#include "test_support.hpp"

namespace {

using py::singleton::local_static;
using py::singleton::Widget;
using singleton_test::call_together;
using singleton_test::distinct_widgets;
using singleton_test::errors_of;
using singleton_test::runtime_error_of;
using testing::IsEmpty;

constexpr int kManyThreads = 64;

struct Config {
    static inline std::atomic<int> constructed{0};
    Config() { constructed.fetch_add(1); }
    std::string name = "config";
};
struct Registry {
    static inline std::atomic<int> constructed{0};
    Registry() { constructed.fetch_add(1); }
    std::string name = "registry";
};
struct Crowded : Widget {
    static inline std::atomic<int> constructed{0};
    Crowded() : Widget("crowded") { constructed.fetch_add(1); }
};
// Its constructor fails the first time it ever runs, then works. It fails before it has written
// anything into the object: ThreadSanitizer does not treat __cxa_guard_abort as a release, so
// writes made by a failed construction would be reported as racing with the retry (lesson §6).
struct Fragile : Widget {
    static inline std::atomic<int> attempts{0};
    static inline std::atomic<int> failures{0};
    Fragile() : Widget(name_or_throw()) {}

    static std::string name_or_throw() {
        if (attempts.fetch_add(1) == 0) {
            failures.fetch_add(1);
            throw py::RuntimeError("constructor failed");
        }
        return "fragile";
    }
};

TEST(Singleton, Step17_LocalStaticIsOnePerType) {
    Config& config = local_static<Config>();
    EXPECT_EQ(&local_static<Config>(), &config) << "the same function, the same static";
    EXPECT_EQ(config.name, "config");
    Registry& registry = local_static<Registry>();
    EXPECT_NE(static_cast<void*>(&registry), static_cast<void*>(&config))
        << "each instantiation of the template has its own static";
    EXPECT_EQ(Config::constructed.load(), 1) << "constructed by the first call, never again";
    EXPECT_EQ(Registry::constructed.load(), 1);
}

TEST(Singleton, Step18_LocalStatic64ThreadsReleasedTogetherConstructOne) {
    const auto outcomes =
        call_together(kManyThreads, []() -> Widget& { return local_static<Crowded>(); });
    ASSERT_THAT(errors_of(outcomes), IsEmpty());
    EXPECT_EQ(Crowded::constructed.load(), 1) << "the compiler's guard lets one thread construct";
    EXPECT_EQ(distinct_widgets(outcomes).size(), 1U);
}

TEST(Singleton, Step19_LocalStaticRetriesAfterAThrowingConstructor) {
    // The first construction of Fragile ever made in this process throws (on a repeated run of
    // this test it has already happened, so every call just returns the object).
    const int failures_before = Fragile::failures.load();
    const std::string error = runtime_error_of([] { (void)local_static<Fragile>(); });
    const bool failed_now = Fragile::failures.load() > failures_before;
    EXPECT_EQ(error, failed_now ? "constructor failed" : "")
        << "the constructor's exception reaches the caller of local_static<Fragile>()";
    Fragile& made = local_static<Fragile>();
    EXPECT_EQ(made.name, "fragile") << "after a failed construction the next call constructs it";
    EXPECT_EQ(&local_static<Fragile>(), &made);
    EXPECT_EQ(Fragile::failures.load(), 1) << "the first construction ever fails";
    EXPECT_EQ(Fragile::attempts.load(), 2) << "the guard was released by the exception, so the "
                                              "next call constructed it, and no call after that";
}

}  // namespace
