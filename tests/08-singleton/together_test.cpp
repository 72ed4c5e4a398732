// Step 20: every correct variant, 64 threads released together, and the first construction
// throws. Lesson §7.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "py/singleton.hpp"
#include "test_support.hpp"

namespace {

using py::singleton::Widget;
using singleton_test::call_together;
using singleton_test::CountingFactory;
using singleton_test::distinct_widgets;
using singleton_test::errors_of;
using testing::ElementsAre;

constexpr int kManyThreads = 64;

// A singleton made with §5's OnceFlag: what CPython's _PyOnceFlag guards in its own code.
class OnceFlagSingleton {
  public:
    explicit OnceFlagSingleton(py::singleton::Factory factory) : factory_(std::move(factory)) {}
    Widget& instance() {
        py::singleton::call_once(once_, [this] { instance_ = factory_(); });
        return *instance_;
    }

  private:
    py::singleton::Factory factory_;
    py::singleton::OnceFlag once_;
    std::unique_ptr<Widget> instance_;
};

// Runs 64 threads against `singleton` whose factory throws once, and checks the outcome.
template <class Singleton>
void expect_one_failure_then_one_object(const char* variant) {
    SCOPED_TRACE(variant);
    CountingFactory factory(/*failures=*/1);
    Singleton singleton(factory.factory("x"));
    const auto outcomes =
        call_together(kManyThreads, [&]() -> Widget& { return singleton.instance(); });
    EXPECT_THAT(errors_of(outcomes), ElementsAre("constructor failed"))
        << "exactly one thread (the one whose construction failed) sees the exception";
    EXPECT_EQ(factory.calls(), 2) << "one failed construction, then one that worked";
    EXPECT_EQ(distinct_widgets(outcomes).size(), 1U) << "the other 63 threads share one object";
}

// For local_static (§6): its first construction ever throws; a static cannot be reset, so on a
// repeated run of the test it is already built and nobody sees an exception.
struct CrowdedFragile : Widget {
    static inline std::atomic<int> attempts{0};
    CrowdedFragile() : Widget(name_or_throw()) {}
    static std::string name_or_throw() {
        if (attempts.fetch_add(1) == 0) {
            throw py::RuntimeError("constructor failed");
        }
        return "x";
    }
};

void expect_local_static_to_recover() {
    SCOPED_TRACE("local_static<T>() (§6)");
    const bool first_time = CrowdedFragile::attempts.load() == 0;
    const auto outcomes = call_together(
        kManyThreads, []() -> Widget& { return py::singleton::local_static<CrowdedFragile>(); });
    if (first_time) {
        EXPECT_THAT(errors_of(outcomes), ElementsAre("constructor failed"));
    } else {
        EXPECT_THAT(errors_of(outcomes), testing::IsEmpty());
    }
    EXPECT_EQ(CrowdedFragile::attempts.load(), 2);
    EXPECT_EQ(distinct_widgets(outcomes).size(), 1U);
}

TEST(Singleton, Step20_EveryVariantRecoversFromAThrowingConstructorUnderContention) {
    expect_one_failure_then_one_object<py::singleton::LockedSingleton>("LockedSingleton (§2)");
    expect_one_failure_then_one_object<py::singleton::DoubleCheckedSingleton>(
        "DoubleCheckedSingleton (§3)");
    expect_one_failure_then_one_object<OnceFlagSingleton>("call_once with OnceFlag (§5)");
    // ThreadSanitizer's own pthread_once and __cxa_guard_abort do not wake the threads waiting
    // when the function or constructor throws, so these two would hang under TSan (lesson §4, §6).
    if (!singleton_test::kUnderThreadSanitizer) {
        expect_one_failure_then_one_object<py::singleton::CallOnceSingleton>(
            "CallOnceSingleton (§4)");
        expect_local_static_to_recover();
    }
}

}  // namespace
