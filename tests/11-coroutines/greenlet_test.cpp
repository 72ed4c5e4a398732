// Chapter 11, §1-§5: py::greenlet, stackful coroutines on a context switch of our own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cfenv>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "py/greenlet.hpp"

namespace {

using py::greenlet::getcurrent;
using py::greenlet::greenlet;
using py::greenlet::GreenletExit;
using py::greenlet::Value;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::MatchesRegex;

TEST(Coroutines, Step01_GetcurrentIsTheThreadsMainGreenlet) {
    greenlet main = getcurrent();
    EXPECT_TRUE(main.is_main())
        << "the first getcurrent() on a thread creates its main greenlet (§1)";
    EXPECT_TRUE(main == getcurrent()) << "getcurrent() returns the same main greenlet every time";
    EXPECT_TRUE(main.started());
    EXPECT_FALSE(main.dead());
    EXPECT_TRUE(static_cast<bool>(main)) << "bool(main greenlet) is True: started and not dead";
    EXPECT_FALSE(main.parent().has_value()) << "a main greenlet has no parent (None)";
    EXPECT_THAT(main.repr(),
                MatchesRegex("<greenlet.greenlet object at 0x[0-9a-f]+ \\(otid=[0-9]+\\) "
                             "current active started main>"));
}

TEST(Coroutines, Step02_SwitchStartsRunAndTheResultGoesToTheParent) {
    greenlet main = getcurrent();
    bool ran_inside = false;
    greenlet child([&](Value args) {
        ran_inside = !(getcurrent() == main);
        return std::any_cast<int>(args) * 2;
    });
    EXPECT_FALSE(child.started()) << "creating a greenlet does not run it";
    ASSERT_TRUE(child.parent().has_value());
    EXPECT_TRUE(*child.parent() == main) << "the parent defaults to the creating greenlet (§2)";
    Value result = child.switch_(21);
    EXPECT_TRUE(ran_inside) << "run() runs in the child greenlet, on its own stack";
    ASSERT_TRUE(result.has_value())
        << "a finished greenlet's return value goes to its parent's switch";
    EXPECT_EQ(std::any_cast<int>(result), 42);
    EXPECT_TRUE(child.dead());
    EXPECT_FALSE(static_cast<bool>(child));
    EXPECT_TRUE(getcurrent() == main) << "after the child finished, the parent runs again";
    EXPECT_THAT(child.repr(), HasSubstr(" dead>"));
}

TEST(Coroutines, Step03_SeedExampleSwitchesBackAndForth_1_3_2_4) {
    // gr1 = greenlet(func1); gr2 = greenlet(func2); gr1.switch()  (the seed's greenlet example)
    std::vector<int> printed;
    greenlet gr1;
    greenlet gr2;
    gr1 = greenlet([&] {
        printed.push_back(1);
        gr2.switch_();
        printed.push_back(2);
        gr2.switch_();
    });
    gr2 = greenlet([&] {
        printed.push_back(3);
        gr1.switch_();
        printed.push_back(4);
    });
    gr1.switch_();
    EXPECT_THAT(printed, ElementsAre(1, 3, 2, 4)) << "each switch resumes where the other left off";
    EXPECT_TRUE(gr2.dead()) << "func2 ran to its end and returned to its parent, the main greenlet";
    EXPECT_TRUE(static_cast<bool>(gr1)) << "func1 is still suspended in its second gr2.switch()";
}

TEST(Coroutines, Step04_ValuesPassBothWays) {
    greenlet main = getcurrent();
    std::vector<std::string> seen;
    greenlet echo([&](Value first) {
        Value got = std::move(first);
        for (int i = 0; i < 3; ++i) {
            seen.push_back(std::any_cast<std::string>(got));
            got = main.switch_(std::any_cast<std::string>(got) + "!");
        }
        return std::string("done");
    });
    EXPECT_EQ(std::any_cast<std::string>(echo.switch_(std::string("a"))), "a!");
    EXPECT_EQ(std::any_cast<std::string>(echo.switch_(std::string("b"))), "b!");
    EXPECT_EQ(std::any_cast<std::string>(echo.switch_(std::string("c"))), "c!");
    EXPECT_EQ(std::any_cast<std::string>(echo.switch_(std::string("end"))), "done");
    EXPECT_THAT(seen, ElementsAre("a", "b", "c"));
    EXPECT_EQ(std::any_cast<int>(main.switch_(7)), 7) << "switching to oneself returns the value";
}

TEST(Coroutines, Step07_ParentIsWritableButNeverCyclic) {
    greenlet main = getcurrent();
    greenlet a([] {});
    greenlet b([] {}, a);
    ASSERT_TRUE(b.parent().has_value());
    EXPECT_TRUE(*b.parent() == a);
    try {
        a.set_parent(b);
        FAIL() << "a -> b -> a is a cycle: ValueError (§4)";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "cyclic parent chain");
    }
    try {
        a.set_parent(a);
        FAIL() << "a greenlet cannot be its own parent";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "cyclic parent chain");
    }
    try {
        main.set_parent(a);
        FAIL() << "a main greenlet has no parent to set";
    } catch (const py::AttributeError& e) {
        EXPECT_STREQ(e.what(), "cannot set the parent of a main greenlet");
    }
    // A re-parented greenlet's result goes to its new parent.
    std::vector<std::string> order;
    greenlet last([&] { order.emplace_back("last"); });
    greenlet first([&] { order.emplace_back("first"); });
    first.set_parent(last);
    first.switch_();
    EXPECT_THAT(order, ElementsAre("first", "last"))
        << "when first finished, its parent `last` (unstarted) was started with its value";

    greenlet none;  // a handle that refers to no greenlet, as a Python name bound to None
    try {
        greenlet orphan([] {}, none);
        FAIL() << "a parent must be a greenlet";
    } catch (const py::TypeError& e) {
        EXPECT_STREQ(e.what(), "greenlet.parent must be a greenlet");
    }
    try {
        none.switch_();
        FAIL() << "None has no switch";
    } catch (const py::AttributeError& e) {
        EXPECT_STREQ(e.what(), "'NoneType' object has no attribute 'switch'");
    }
    greenlet waiting([&] { main.switch_(); });
    waiting.switch_();
    EXPECT_THAT(waiting.repr(), HasSubstr(" suspended active started>"))
        << "a greenlet that switched away is suspended, as greenlet's repr says";
    waiting.switch_();
    EXPECT_TRUE(waiting.dead());
}

TEST(Coroutines, Step08_AnExceptionGoesToTheParent) {
    greenlet child([] { throw py::KeyError("'x'"); });
    try {
        child.switch_();
        FAIL() << "an exception run() does not catch is raised in the parent's switch (§4)";
    } catch (const py::KeyError& e) {
        EXPECT_STREQ(e.what(), "'x'");
    }
    EXPECT_TRUE(child.dead()) << "a greenlet that raised is dead";
}

TEST(Coroutines, Step09_ThrowRaisesInsideAndGreenletExitComesBackAsAValue) {
    greenlet main = getcurrent();
    std::string caught;
    greenlet worker([&] {
        try {
            main.switch_();
        } catch (const py::RuntimeError& e) {
            caught = e.what();
            main.switch_();
        }
    });
    worker.switch_();
    worker.throw_(py::RuntimeError("stop"));
    EXPECT_EQ(caught, "stop") << "throw_ raises the exception at the switch where it waits (§4)";
    Value value = worker.throw_();
    EXPECT_TRUE(worker.dead()) << "throw_() with no argument raises GreenletExit, which kills it";
    EXPECT_TRUE(value.type() == typeid(GreenletExit))
        << "GreenletExit is not re-raised in the parent: its switch returns it as a value";

    greenlet never([] { ADD_FAILURE() << "a greenlet killed before it started never runs"; });
    Value unstarted = never.throw_();
    EXPECT_TRUE(never.dead());
    EXPECT_TRUE(unstarted.type() == typeid(GreenletExit));
    greenlet raising([] {});
    EXPECT_THROW(raising.throw_(py::ValueError("v")), py::ValueError)
        << "any other exception thrown into an unstarted greenlet comes back out to its parent";
}

TEST(Coroutines, Step10_SwitchingToADeadGreenletGoesToItsParent) {
    greenlet main = getcurrent();
    std::vector<int> order;
    greenlet done([] { return 1; });
    done.switch_();
    ASSERT_TRUE(done.dead());
    EXPECT_EQ(std::any_cast<int>(done.switch_(5)), 5)
        << "a switch to a dead greenlet goes to its parent (here: ourselves) with the value (§4)";
    // A dead greenlet's parent that is suspended is resumed with the value.
    greenlet dead_child([] { return 0; });
    dead_child.switch_();
    greenlet waiting([&](Value first) {
        order.push_back(std::any_cast<int>(first));
        order.push_back(std::any_cast<int>(main.switch_()));
    });
    dead_child.set_parent(waiting);
    waiting.switch_(1);
    Value back = dead_child.switch_(7);
    EXPECT_THAT(order, ElementsAre(1, 7)) << "the switch went past dead_child to `waiting`";
    EXPECT_FALSE(back.has_value()) << "`waiting` then finished and returned nothing to main";
    EXPECT_TRUE(waiting.dead());
}

TEST(Coroutines, Step11_ADestroyedSuspendedGreenletRunsItsDestructors) {
    greenlet main = getcurrent();
    struct Flag {
        bool& destroyed;
        ~Flag() { destroyed = true; }
    };
    bool destroyed = false;
    bool saw_exit = false;
    {
        greenlet g([&] {
            Flag flag{destroyed};
            try {
                main.switch_();
            } catch (const GreenletExit&) {
                saw_exit = true;
                throw;
            }
        });
        g.switch_();
        EXPECT_FALSE(destroyed) << "g is suspended inside main.switch_()";
    }
    EXPECT_TRUE(saw_exit) << "the last handle went away: GreenletExit is thrown into g (§4)";
    EXPECT_TRUE(destroyed) << "so that g's destructors run before its stack is freed";
    EXPECT_TRUE(getcurrent() == main) << "and the killer goes on afterwards";
}

TEST(Coroutines, Step12_SwitchingToAnotherThreadsGreenletIsAnError) {
    greenlet here([] {});
    std::string message;
    std::string parent_message;
    std::thread other([&] {
        try {
            here.switch_();
        } catch (const py::greenlet::error& e) {
            message = e.what();
        }
        greenlet there([] {});
        try {
            there.set_parent(here);
        } catch (const py::ValueError& e) {
            parent_message = e.what();
        }
    });
    other.join();
    EXPECT_EQ(message, "cannot switch to a different thread") << "greenlet.error (§5)";
    EXPECT_EQ(parent_message, "parent cannot be on a different thread");
    here.switch_();
    EXPECT_TRUE(here.dead()) << "its own thread can still run it";
}

double add_and_round(double a, double b) {
    volatile double x = a;
    volatile double y = b;
    return x + y;
}

TEST(Coroutines, Step05_EachGreenletKeepsItsOwnFloatingPointModes) {
    greenlet main = getcurrent();
    int inner_mode = -1;
    greenlet upward([&] {
        std::fesetround(FE_UPWARD);
        main.switch_();
        inner_mode = std::fegetround();
        return add_and_round(1.0, 1e-30);
    });
    upward.switch_();
    EXPECT_EQ(std::fegetround(), FE_TONEAREST)
        << "MXCSR and the x87 control word are callee-saved: the switch restores ours (§3)";
    EXPECT_EQ(add_and_round(1.0, 1e-30), 1.0);
    Value result = upward.switch_();
    EXPECT_EQ(inner_mode, FE_UPWARD) << "and gives the greenlet its own back";
    EXPECT_GT(std::any_cast<double>(result), 1.0);
    EXPECT_EQ(std::fegetround(), FE_TONEAREST);
}

int recurse_forever(int depth) {
    volatile char frame[512];
    frame[0] = static_cast<char>(depth);
    if (depth < 0) {  // never: only there so that the compiler sees a way out
        return 0;
    }
    return recurse_forever(depth + 1) + frame[0];
}

TEST(Coroutines, Step06_StackOverflowIsACleanCrashNamingTheGreenlet) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            greenlet deep([] { return recurse_forever(0); }, std::nullopt, std::size_t{64} * 1024);
            deep.switch_();
        },
        "greenlet stack overflow in <greenlet.greenlet object at 0x")
        << "the guard page below the stack turns an overflow into a clean crash (§3)";
}

}  // namespace
