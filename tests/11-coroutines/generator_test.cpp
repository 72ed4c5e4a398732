// Chapter 11, §6-§7: py::Generator, Python's generators on C++20 coroutines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "py/generator.hpp"

namespace {

using py::Generator;
using testing::ElementsAre;

Generator<int> count_to(int n) {
    for (int i = 1; i <= n; ++i) {
        co_yield i;
    }
}

TEST(Coroutines, Step13_CoYieldProducesValuesInOrder) {
    Generator<int> gen = count_to(3);
    EXPECT_FALSE(gen.finished()) << "creating a generator runs nothing of its body (§6)";
    EXPECT_EQ(gen.next(), 1) << "next() runs the body to the first co_yield";
    EXPECT_EQ(gen.next(), 2);
    EXPECT_EQ(gen.next(), 3);
    EXPECT_THROW(gen.next(), py::StopIteration) << "falling off the end raises StopIteration";
    EXPECT_TRUE(gen.finished());
    EXPECT_THROW(gen.next(), py::StopIteration) << "and so does every next() after it";
}

TEST(Coroutines, Step14_RangeForIteratesTheGenerator) {
    std::vector<int> seen;
    for (int item : count_to(4)) {
        seen.push_back(item);
    }
    EXPECT_THAT(seen, ElementsAre(1, 2, 3, 4)) << "for-in calls next() until StopIteration (§6)";
    std::vector<int> none;
    for (int item : count_to(0)) {
        none.push_back(item);
    }
    EXPECT_TRUE(none.empty());
}

Generator<int, std::string> with_return() {
    co_yield 1;
    co_return "finished";
}

TEST(Coroutines, Step15_TheReturnValueRidesOnStopIteration) {
    Generator<int, std::string> gen = with_return();
    EXPECT_EQ(gen.next(), 1);
    try {
        gen.next();
        FAIL() << "the end of a generator is StopIteration";
    } catch (const py::StopIteration& stop) {
        ASSERT_TRUE(stop.value().has_value())
            << "co_return's value is StopIteration.value (PEP 380, §6)";
        EXPECT_EQ(std::any_cast<std::string>(stop.value()), "finished");
    }
}

Generator<int, void, int> accumulator() {
    int total = 0;
    for (;;) {
        std::optional<int> got = co_yield total;
        total += got.value_or(0);
    }
}

TEST(Coroutines, Step16_SendResumesTheYieldWithAValue) {
    Generator<int, void, int> acc = accumulator();
    try {
        acc.send(5);
        FAIL() << "a just-started generator has no co_yield to receive a value (§7)";
    } catch (const py::TypeError& e) {
        EXPECT_STREQ(e.what(), "can't send non-None value to a just-started generator");
    }
    Generator<int, void, int> fresh = accumulator();
    EXPECT_EQ(fresh.next(), 0) << "next() first: it is send(None)";
    EXPECT_EQ(fresh.send(5), 5) << "the sent value is what co_yield returns";
    EXPECT_EQ(fresh.send(10), 15);
    EXPECT_EQ(fresh.next(), 15) << "next() sends None (nullopt)";
}

// The seed's generator example: yield 1; yield from func2(); yield 2.
Generator<int> func2() {
    co_yield 3;
    co_yield 4;
}
Generator<int> func1() {
    co_yield 1;
    co_yield py::yield_from(func2());
    co_yield 2;
}

Generator<int, int> inner_returning() {
    co_yield 10;
    co_return 42;
}
Generator<int> outer_using_result(int& got) {
    got = co_yield py::yield_from(inner_returning());
    co_yield got + 1;
}
Generator<int, int> returns_at_once() {
    co_return 7;
}
Generator<int> outer_of_empty() {
    int value = co_yield py::yield_from(returns_at_once());
    co_yield value;
}

TEST(Coroutines, Step17_YieldFromDelegatesToANestedGenerator_1_3_4_2) {
    std::vector<int> printed;
    for (int item : func1()) {
        printed.push_back(item);
    }
    EXPECT_THAT(printed, ElementsAre(1, 3, 4, 2)) << "the seed's output: yield from (§7)";
    int got = 0;
    Generator<int> gen = outer_using_result(got);
    EXPECT_EQ(gen.next(), 10) << "the subgenerator's values come out of the outer one";
    EXPECT_EQ(gen.next(), 43) << "and its return value is the value of the yield from";
    EXPECT_EQ(got, 42);
    Generator<int> empty_inner = outer_of_empty();
    EXPECT_EQ(empty_inner.next(), 7)
        << "a subgenerator that returns at once yields nothing: its value is the result";
}

Generator<std::string> catcher() {
    for (;;) {
        std::string caught;
        try {
            co_yield "waiting";
        } catch (const py::KeyError& e) {
            caught = e.what();  // C++ allows no co_yield inside a handler
        }
        if (!caught.empty()) {
            co_yield "caught " + caught;
        }
    }
}
Generator<std::string> delegating_catcher() {
    co_yield py::yield_from(catcher());
}

TEST(Coroutines, Step18_ThrowRaisesAtTheYield) {
    Generator<std::string> gen = catcher();
    EXPECT_EQ(gen.next(), "waiting");
    EXPECT_EQ(gen.throw_(py::KeyError("k")), "caught k")
        << "throw_ raises at the suspended co_yield and returns the next value yielded (§7)";
    EXPECT_EQ(gen.next(), "waiting");
    EXPECT_THROW(gen.throw_(py::ValueError("v")), py::ValueError)
        << "an exception the generator does not catch comes back out";
    EXPECT_TRUE(gen.finished());

    Generator<std::string> outer = delegating_catcher();
    EXPECT_EQ(outer.next(), "waiting");
    EXPECT_EQ(outer.throw_(py::KeyError("deep")), "caught deep")
        << "yield from passes throw_ on to the subgenerator";

    Generator<int> unstarted = count_to(3);
    EXPECT_THROW(unstarted.throw_(py::KeyError("x")), py::KeyError);
    EXPECT_THROW(unstarted.next(), py::StopIteration) << "thrown into before it ran: closed";
    EXPECT_THROW(unstarted.throw_(py::KeyError("again")), py::KeyError)
        << "throwing into a finished generator raises the exception at once";

    Generator<int> through = func1();
    EXPECT_EQ(through.next(), 1);
    EXPECT_EQ(through.next(), 3) << "now inside func2";
    EXPECT_THROW(through.throw_(py::ValueError("v")), py::ValueError)
        << "what the subgenerator does not catch is raised at the outer yield from, and out";
    EXPECT_TRUE(through.finished());
}

Generator<int> with_cleanup(std::vector<std::string>& log) {
    try {
        co_yield 1;
        co_yield 2;
    } catch (const py::GeneratorExit&) {
        log.emplace_back("GeneratorExit");
        throw;
    }
}
Generator<int> stubborn() {
    for (;;) {
        try {
            co_yield 1;
        } catch (const py::GeneratorExit&) {
        }
    }
}
Generator<int> delegating_cleanup(std::vector<std::string>& log) {
    co_yield py::yield_from(with_cleanup(log));
}
Generator<int> returns_on_exit(std::vector<std::string>& log) {
    try {
        co_yield 1;
    } catch (const py::GeneratorExit&) {
        log.emplace_back("returned");
    }
}
Generator<int> fails_on_exit() {
    try {
        co_yield 1;
    } catch (const py::GeneratorExit&) {
        throw py::KeyError("while closing");
    }
}
Generator<int> delegating_failure() {
    co_yield py::yield_from(fails_on_exit());
}

TEST(Coroutines, Step19_CloseThrowsGeneratorExit) {
    std::vector<std::string> log;
    Generator<int> gen = with_cleanup(log);
    gen.close();
    EXPECT_TRUE(log.empty()) << "closing a generator that never ran runs nothing (§7)";
    EXPECT_TRUE(gen.finished());
    Generator<int> running = with_cleanup(log);
    EXPECT_EQ(running.next(), 1);
    running.close();
    EXPECT_THAT(log, ElementsAre("GeneratorExit"))
        << "close() raises GeneratorExit at the co_yield";
    EXPECT_THROW(running.next(), py::StopIteration);
    Generator<int> bad = stubborn();
    bad.next();
    try {
        bad.close();
        FAIL() << "a generator that yields after GeneratorExit is an error";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "generator ignored GeneratorExit");
    }
    log.clear();
    {
        Generator<int> outer = delegating_cleanup(log);
        outer.next();
    }
    EXPECT_THAT(log, ElementsAre("GeneratorExit"))
        << "a generator freed while suspended is closed, and closing closes its subgenerator";
    Generator<int> quits = returns_on_exit(log);
    quits.next();
    quits.close();
    EXPECT_EQ(log.back(), "returned") << "returning after GeneratorExit is a clean close";
    Generator<int> failing = delegating_failure();
    failing.next();
    EXPECT_THROW(failing.close(), py::KeyError)
        << "what the subgenerator raises on close is raised at the yield from, and out";
}

Generator<int> reentrant(Generator<int>*& self) {
    co_yield self->next();
}
Generator<int> raises_stop_iteration() {
    co_yield 1;
    throw py::StopIteration();
}

TEST(Coroutines, Step20_AGeneratorCannotResumeItself) {
    Generator<int>* self = nullptr;
    Generator<int> gen = reentrant(self);
    self = &gen;
    try {
        gen.next();
        FAIL() << "next() on a running generator is an error (§7)";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "generator already executing");
    }
    Generator<int> pep479 = raises_stop_iteration();
    pep479.next();
    try {
        pep479.next();
        FAIL() << "StopIteration escaping a generator's body becomes RuntimeError (PEP 479)";
    } catch (const py::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "generator raised StopIteration");
    }
}

}  // namespace
