// Steps 1-3: the object header, refchain, and allocation. Lesson §2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "py/runtime.hpp"
#include "test_support.hpp"

namespace {

using refcount_test::ProbeType;
using refcount_test::VarProbeType;
using testing::ElementsAre;

TEST(Refcount, Step01_NewReferenceLinksIntoRefchain) {
    // Only what step 1 writes: new_reference, forget_reference and contains. (refchain::size is
    // step 2's, refcount() is §3's; the fields are read directly here.)
    py::Object probe{};
    probe.ob_type = &ProbeType;
    py::Object* const old_first = py::refchain::head().ob_next;

    py::new_reference(&probe);
    EXPECT_EQ(probe.ob_refcnt, 1) << "a new object starts with one reference: its creator's";
    EXPECT_TRUE(py::refchain::contains(&probe))
        << "new_reference must link the object into refchain";
    EXPECT_EQ(probe.ob_prev, &py::refchain::head()) << "new objects go right after the sentinel";
    EXPECT_EQ(probe.ob_next, old_first) << "...and before the object that was first until now";
    EXPECT_EQ(old_first->ob_prev, &probe) << "both neighbours must point back at the new object";

    py::forget_reference(&probe);
    EXPECT_FALSE(py::refchain::contains(&probe)) << "forget_reference must unlink the object";
    EXPECT_EQ(probe.ob_next, nullptr) << "an unlinked object keeps no stale links";
    EXPECT_EQ(probe.ob_prev, nullptr);
    EXPECT_EQ(py::refchain::head().ob_next, old_first) << "the neighbours are linked again";
    EXPECT_EQ(old_first->ob_prev, &py::refchain::head());

    py::forget_reference(&probe);  // an object that is not linked: nothing to do, nothing broken
    EXPECT_EQ(py::refchain::head().ob_next, old_first);
}

TEST(Refcount, Step02_RefchainIsCircularAroundItsSentinel) {
    py::Object& head = py::refchain::head();
    py::Object a{}, b{}, c{};
    a.ob_type = b.ob_type = &ProbeType;
    c.ob_type = &VarProbeType;
    py::new_reference(&a);
    py::new_reference(&b);
    py::new_reference(&c);

    // Walking forward from the sentinel meets the newest object first ...
    EXPECT_THAT(py::refchain::objects(3), ElementsAre(&c, &b, &a));
    EXPECT_THAT(py::refchain::objects(2), ElementsAre(&c, &b)) << "objects(limit) stops at limit";
    EXPECT_EQ(head.ob_next, &c);
    // ... and the links are symmetric all the way round, back to the sentinel.
    py::ssize_t steps = 0;
    for (py::Object* op = head.ob_next; op != &head; op = op->ob_next, ++steps) {
        ASSERT_EQ(op->ob_next->ob_prev, op) << "broken back link after " << steps << " steps";
    }
    EXPECT_EQ(steps, py::refchain::size());
    EXPECT_THAT(py::refchain::objects(0, &VarProbeType), ElementsAre(&c))
        << "objects(limit, type) keeps only objects of that exact type";

    py::forget_reference(&b);  // from the middle
    EXPECT_THAT(py::refchain::objects(2), ElementsAre(&c, &a));
    py::forget_reference(&c);
    py::forget_reference(&a);
    EXPECT_FALSE(py::refchain::contains(&a));
}

TEST(Refcount, Step03_AllocObjectGivesZeroedMemoryOnRefchain) {
    py::Object* op = py::alloc_object(&ProbeType);
    EXPECT_EQ(op->ob_type, &ProbeType);
    EXPECT_EQ(py::refcount(op), 1);
    EXPECT_TRUE(py::refchain::contains(op));
    EXPECT_EQ(static_cast<refcount_test::Probe*>(op)->payload, 0) << "memory must be zero-filled";
    EXPECT_STREQ(py::type_name(op), "probe");

    auto* var = static_cast<py::VarObject*>(py::alloc_object(&VarProbeType, 5));
    EXPECT_EQ(var->ob_size, 5) << "a variable-size object records its item count in ob_size";
    const auto* bytes = reinterpret_cast<const unsigned char*>(var + 1);
    for (int i = 0; i < 5 * 8; ++i) {
        ASSERT_EQ(bytes[i], 0) << "item byte " << i << " is not zero";
    }

    EXPECT_THROW(
        {
            try {
                (void)py::alloc_object(&VarProbeType, -1);
            } catch (const py::ValueError& error) {
                EXPECT_THAT(error.what(), testing::HasSubstr("negative"));
                throw;
            }
        },
        py::ValueError);

    // More memory than exists: a clear py::MemoryError, not a crash and not a wrapped-around size.
    const py::ssize_t before = py::refchain::size();
    EXPECT_THROW((void)py::alloc_object(&VarProbeType, std::numeric_limits<py::ssize_t>::max() / 4),
                 py::MemoryError)
        << "the byte count would overflow";
    EXPECT_THROW((void)py::alloc_object(&VarProbeType, py::ssize_t{1} << 42), py::MemoryError)
        << "32 TiB cannot be allocated";
    EXPECT_EQ(py::refchain::size(), before) << "a failed allocation leaves nothing on refchain";

    for (py::Object* each : {op, static_cast<py::Object*>(var)}) {
        py::forget_reference(each);
        py::free_object(each);
    }
}

}  // namespace
