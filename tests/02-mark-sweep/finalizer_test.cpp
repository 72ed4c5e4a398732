// Steps 12-19: instances, finalizers (PEP 442), resurrection, uncollectable garbage and misuse.
// Lesson §4, §5 and §6.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "py/mark_sweep.hpp"
#include "support.hpp"

namespace {

using mark_sweep_test::fresh_collector;
using mark_sweep_test::RefchainBaseline;
using testing::HasSubstr;

TEST(MarkSweep, Step12_InstancesHaveAttributesAndCanFormCycles) {
    fresh_collector();
    const RefchainBaseline baseline;
    static py::Class node("Node");
    {
        auto a = py::Instance::create(node);
        EXPECT_TRUE(py::gc::is_tracked(a.get()));
        EXPECT_TRUE(py::Instance::check(a.get()));
        EXPECT_FALSE(py::Instance::check(py::List::create().get()));
        EXPECT_STREQ(py::type_name(a.get()), "Node");
        EXPECT_THAT(py::repr(a.get()), HasSubstr("<Node object at 0x"));
        auto value = py::Int::create(42);
        a->setattr("value", value.get());
        EXPECT_EQ(a->getattr("value"), value.get());
        EXPECT_TRUE(a->hasattr("value"));
        EXPECT_THAT(py::gc::referents(a.get()), testing::ElementsAre(a->in_dict))
            << "traverse visits __dict__";
        try {
            (void)a->getattr("missing");
            ADD_FAILURE() << "getattr of a missing attribute must throw";
        } catch (const py::AttributeError& error) {
            EXPECT_STREQ(error.what(), "'Node' object has no attribute 'missing'");
        }
        a->delattr("value");
        EXPECT_FALSE(a->hasattr("value"));
        EXPECT_THROW(a->delattr("value"), py::AttributeError);
        EXPECT_EQ(py::hash(a.get()), py::hash(a.get())) << "instances hash by identity";
        a->setattr("a", a.get());  // a.a = a; del a
    }
    EXPECT_EQ(py::gc::collect(), 2) << "the instance and its __dict__ (test_gc.test_instance)";
    EXPECT_EQ(baseline.growth(), 0);
}

TEST(MarkSweep, Step13_AFinalizerRunsOnceWhenTheLastReferenceGoes) {
    fresh_collector();
    static std::vector<std::string> log;
    log.clear();
    static py::Class logged("Logged", [](py::Instance& self) {
        log.push_back("del " + std::to_string(py::refcount(&self)));
    });
    const RefchainBaseline baseline;
    {
        auto a = py::Instance::create(logged);
        EXPECT_FALSE(py::gc::is_finalized(a.get()));
    }
    EXPECT_EQ(log, std::vector<std::string>{"del 1"})
        << "__del__ runs with the object alive (refcount 1)";
    EXPECT_EQ(baseline.growth(), 0) << "and then the object is freed";
}

TEST(MarkSweep, Step14_FinalizersInACycleRunOnceEach) {
    fresh_collector();
    static int calls = 0;
    static bool saw_partner = false;
    calls = 0;
    static py::Class finalized("Finalized", [](py::Instance& self) {
        ++calls;
        // PEP 442: when a finalizer runs, the cycle is still intact.
        saw_partner = saw_partner || self.hasattr("partner");
    });
    const RefchainBaseline baseline;
    {
        auto a = py::Instance::create(finalized);
        auto b = py::Instance::create(finalized);
        a->setattr("partner", b.get());
        b->setattr("partner", a.get());
    }
    EXPECT_EQ(py::gc::collect(), 4) << "two instances and their two dicts";
    EXPECT_EQ(calls, 2) << "one finalizer call per instance";
    EXPECT_TRUE(saw_partner);
    EXPECT_EQ(baseline.growth(), 0);
    EXPECT_EQ(py::gc::collect(), 0);
    EXPECT_EQ(calls, 2) << "never twice";
}

TEST(MarkSweep, Step15_AResurrectedObjectSurvivesAndIsNotFinalizedAgain) {
    fresh_collector();
    static py::Ref<py::Object> saved;
    static int calls = 0;
    calls = 0;
    static py::Class phoenix("Phoenix", [](py::Instance& self) {
        ++calls;
        saved = py::Ref<py::Object>::borrow(&self);  // global = self
    });
    const RefchainBaseline baseline;
    py::Object* raw = nullptr;
    {
        auto a = py::Instance::create(phoenix);
        a->setattr("self", a.get());
        raw = a.get();
    }
    EXPECT_EQ(py::gc::collect(), 0) << "the finalizer made the cycle reachable: nothing collected";
    EXPECT_EQ(calls, 1);
    ASSERT_EQ(saved.get(), raw);
    EXPECT_TRUE(py::gc::is_finalized(raw));
    EXPECT_TRUE(py::gc::is_tracked(raw)) << "a resurrected object goes back to the GC list";
    EXPECT_EQ(static_cast<py::Instance*>(raw)->getattr("self"), raw) << "and was not cleared";
    saved.reset();
    EXPECT_EQ(py::gc::collect(), 2) << "garbage again: now it is collected";
    EXPECT_EQ(calls, 1) << "PEP 442: a finalizer never runs twice";
    EXPECT_EQ(baseline.growth(), 0);

    // The same by reference counting alone: __del__ stores self, the object lives on.
    {
        auto b = py::Instance::create(phoenix);
        raw = b.get();
    }
    EXPECT_EQ(saved.get(), raw) << "resurrected from its dealloc";
    EXPECT_EQ(py::refcount(raw), 1);
    EXPECT_TRUE(py::refchain::contains(raw)) << "back on refchain";
    saved.reset();  // dies for good, without a second call
    EXPECT_EQ(calls, 2);
    EXPECT_EQ(baseline.growth(), 0);
}

TEST(MarkSweep, Step16_AFinalizerThatThrowsIsReportedAndTheCollectionGoesOn) {
    fresh_collector();
    // sys.unraisablehook, mocked: the protocol is one call per failed finalizer, with the
    // exception's type and message and the object whose finalizer failed.
    testing::MockFunction<void(const py::gc::Unraisable&)> hook;
    py::gc::set_unraisable_hook(hook.AsStdFunction());
    static py::Class angry("Angry", [](py::Instance&) { throw py::RuntimeError("boom"); });
    const RefchainBaseline baseline;
    std::vector<py::Object*> angry_ones;
    {
        auto a = py::Instance::create(angry);
        auto b = py::Instance::create(angry);
        a->setattr("b", b.get());
        b->setattr("a", a.get());
        angry_ones = {a.get(), b.get()};
    }
    using py::gc::Unraisable;
    EXPECT_CALL(hook, Call(testing::AllOf(
                          testing::Field(&Unraisable::err_msg, "Exception ignored in"),
                          testing::Field(&Unraisable::exc_type, "RuntimeError"),
                          testing::Field(&Unraisable::exc_value, "boom"),
                          testing::Field(&Unraisable::object, testing::AnyOfArray(angry_ones)))))
        .Times(2);
    EXPECT_EQ(py::gc::collect(), 4) << "an exception in __del__ does not stop the collection";
    testing::Mock::VerifyAndClearExpectations(&hook);
    EXPECT_EQ(baseline.growth(), 0);
    // Not even a C++ exception of a standard type escapes.
    static py::Class odd("Odd", [](py::Instance&) { throw 42; });
    EXPECT_CALL(hook, Call(testing::Field(&Unraisable::exc_value, "unknown C++ exception")));
    (void)py::Instance::create(odd);
    testing::Mock::VerifyAndClearExpectations(&hook);
    py::gc::set_unraisable_hook(nullptr);
    // The default hook prints to stderr, like CPython's "Exception ignored in: ...".
    testing::internal::CaptureStderr();
    (void)py::Instance::create(angry);
    const std::string printed = testing::internal::GetCapturedStderr();
    EXPECT_THAT(printed, HasSubstr("Exception ignored in: <Angry object at"));
    EXPECT_THAT(printed, HasSubstr("RuntimeError: boom"));
}

TEST(MarkSweep, Step17_CollectFromInsideACollectionDoesNothing) {
    fresh_collector();
    static std::vector<py::ssize_t> inner;
    inner.clear();
    static py::Class reentrant("Reentrant", [](py::Instance&) {
        // Make fresh garbage first, so that a collection that did run here would find some.
        auto loop = py::List::create();
        loop->append(loop.get());
        loop.reset();
        inner.push_back(py::gc::collect());
    });
    const RefchainBaseline baseline;
    {
        auto a = py::Instance::create(reentrant);
        a->setattr("a", a.get());
    }
    EXPECT_EQ(py::gc::collect(), 2) << "the outer collection is intact: the instance and its dict";
    EXPECT_EQ(inner, std::vector<py::ssize_t>{0})
        << "CPython's gc_collect_impl: already collecting, so collect() returns 0 and does nothing";
    EXPECT_FALSE(py::gc::state().collecting) << "the flag is down again after the collection";
    EXPECT_EQ(baseline.growth(), 1) << "the list the finalizer made is still waiting";
    EXPECT_EQ(py::gc::collect(), 1) << "the next collection finds it";
    EXPECT_EQ(baseline.growth(), 0);
}

TEST(MarkSweep, Step18_UncollectableGarbageIsReported) {
    fresh_collector();
    static int calls = 0;
    calls = 0;
    static py::Class legacy(
        "Legacy", [](py::Instance&) { ++calls; }, py::Class::FinalizerKind::Legacy);
    const RefchainBaseline baseline;
    py::Object* raw = nullptr;
    {
        auto a = py::Instance::create(legacy);
        a->setattr("a", a.get());  // test_gc.test_legacy_finalizer
        raw = a.get();
    }
    EXPECT_EQ(py::gc::collect(), 2) << "found: the instance (uncollectable) and its dict";
    ASSERT_EQ(py::gc::garbage().size(), 1U)
        << "gc.garbage holds the object with the legacy finalizer";
    EXPECT_EQ(py::gc::garbage()[0].get(), raw);
    EXPECT_EQ(calls, 0) << "a legacy finalizer is never called on a cycle";
    EXPECT_EQ(baseline.growth(), 3) << "nothing was freed: the instance, its dict and the key 'a'";
    // The program may break the cycle itself: del gc.garbage[:] after clearing the attribute.
    static_cast<py::Instance*>(raw)->delattr("a");
    py::gc::garbage().clear();
    EXPECT_EQ(calls, 1) << "freed by reference counting, which does call tp_del";
    EXPECT_EQ(baseline.growth(), 0);

    // DEBUG_SAVEALL: every unreachable object goes to gc.garbage instead of being freed.
    py::gc::set_debug(py::gc::DEBUG_SAVEALL);
    EXPECT_EQ(py::gc::get_debug(), py::gc::DEBUG_SAVEALL);
    {
        auto list = py::List::create();
        list->append(list.get());
    }
    EXPECT_EQ(py::gc::collect(), 1);
    ASSERT_EQ(py::gc::garbage().size(), 1U);
    EXPECT_STREQ(py::type_name(py::gc::garbage()[0].get()), "list");
    py::gc::set_debug(0);
    static_cast<py::List*>(py::gc::garbage()[0].get())->clear();
    py::gc::garbage().clear();
    EXPECT_EQ(baseline.growth(), 0);
}

TEST(MarkSweep, Step19_RefcountBugsAreFatalAndNameTheType) {
    static py::Class victim("Victim");
    // One decref too many: the count goes below zero (_Py_NegativeRefcount).
    EXPECT_DEATH(
        {
            auto a = py::Instance::create(victim);
            a->ob_refcnt = 0;  // what an extra decref of a borrowed pointer leaves behind
            py::decref(a.get());
        },
        "negative ref count.*Victim");
    // One incref too few: a container holds more references than the count says. The collector
    // finds gc_refs below zero and stops, as a debug build of CPython does.
    EXPECT_DEATH(
        {
            auto holder = py::List::create();
            auto item = py::Instance::create(victim);
            holder->append(item.get());
            holder->append(item.get());
            item->ob_refcnt = 1;  // two references from holder, one from `item`: should be 3
            py::gc::collect();
        },
        "refcount is too small.*Victim");
}

}  // namespace
