// Steps 14-16: the compact, insertion-ordered dict. Lesson §8.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "py/runtime.hpp"
#include "test_support.hpp"

namespace {

using refcount_test::RefchainBaseline;
using testing::ElementsAre;

// The keys of `dict` as Python would print them, in iteration order.
std::vector<std::string> key_reprs(const py::Ref<py::Dict>& dict) {
    std::vector<std::string> out;
    for (py::Object* key : dict->keys()) {
        out.push_back(py::repr(key));
    }
    return out;
}

TEST(Refcount, Step14_DictKeepsInsertionOrderAndReplacesValues) {
    const RefchainBaseline baseline;
    {
        auto d = py::Dict::create();
        auto c = py::Str::create("c");
        auto a = py::Str::create("a");
        auto b = py::Str::create("b");
        auto one = py::Int::create(1);
        auto two = py::Int::create(2);
        d->setitem(c.get(), one.get());
        d->setitem(a.get(), one.get());
        d->setitem(b.get(), two.get());
        EXPECT_EQ(d->size(), 3);
        EXPECT_THAT(key_reprs(d), ElementsAre("'c'", "'a'", "'b'"))
            << "insertion order, not sorted";
        EXPECT_EQ(py::refcount(one.get()), 3) << "the dict holds a reference to each value";
        EXPECT_EQ(py::refcount(c.get()), 2) << "... and to each key";

        d->setitem(py::Str::create("a").get(), two.get());  // an equal key: replace the value
        EXPECT_EQ(d->size(), 3);
        EXPECT_THAT(key_reprs(d), ElementsAre("'c'", "'a'", "'b'")) << "replacing keeps the place";
        EXPECT_EQ(d->getitem(a.get()), two.get());
        EXPECT_EQ(py::refcount(one.get()), 2) << "the replaced value lost the dict's reference";
        EXPECT_TRUE(d->contains(b.get()));
        EXPECT_EQ(d->items().front().second, one.get());

        // Many items: the tables are rebuilt several times, and the order survives.
        for (int i = 0; i < 1000; ++i) {
            d->setitem(py::Int::create(i).get(),
                       py::Int::create(static_cast<long long>(i) * i).get());
        }
        EXPECT_EQ(d->size(), 1003);
        EXPECT_EQ(py::repr(d->keys()[3]), "0");
        EXPECT_EQ(py::repr(d->keys().back()), "999");
        EXPECT_EQ(static_cast<py::Int*>(d->getitem(py::Int::create(777).get()))->value(),
                  777 * 777);
        const py::DictKeys* keys = d->ma_keys;
        EXPECT_GE(keys->size() * 2 / 3, keys->dk_nentries)
            << "at most two thirds of the slots in use";
        EXPECT_EQ(keys->size(), 2048) << "CPython 3.11 holds 1003 items in 2048 slots too";
    }
    EXPECT_EQ(baseline.growth(), 0) << "a freed dict drops its keys and values";

    // The bytes, as sys.getsizeof counts them in CPython 3.11: a dict of 8 ints has 16 slots of
    // ONE byte each (int8 indices up to 128 slots) and room for 10 entries, in one block after a
    // header. CPython's block: 32 + 16 + 10 * 24 = 288 bytes (_PyDict_KeysSize); ours is 8 bytes
    // smaller because our keys are never shared between dicts (no dk_refcnt). CPython's
    // sys.getsizeof says 352 = 16 (GC header) + 48 (PyDictObject) + 288; ours, with chapter 02's
    // 16-byte GC header and refchain off, is 16 + 32 + 280 = 328.
    {
        auto d = py::Dict::create();
        for (long long i = 0; i < 8; ++i) {
            d->setitem(py::Int::create(i).get(), py::None().get());
        }
        const py::DictKeys* keys = d->ma_keys;
        EXPECT_EQ(keys->size(), 16) << "8 items: grown once, to used * 3 = 15 -> 16 slots";
        EXPECT_EQ(keys->dk_usable + keys->dk_nentries, 10) << "two thirds of 16 slots";
        EXPECT_EQ(keys->dk_log2_index_bytes, 4) << "16 slots of 1 byte";
        EXPECT_EQ(keys->allocated_bytes(), 24U + 16U + 10U * 24U);
        EXPECT_EQ(sizeof(py::Dict), sizeof(py::Object) + 16) << "ma_used and ma_keys";

        // 85 items fill 128 slots of 1 byte; the 86th grows the table to 85 * 3 -> 256 slots,
        // whose indices need 2 bytes (CPython: getsizeof 2264, then 4688).
        for (long long i = 8; i < 85; ++i) {
            d->setitem(py::Int::create(i).get(), py::None().get());
        }
        EXPECT_EQ(d->ma_keys->size(), 128);
        EXPECT_EQ(d->ma_keys->allocated_bytes(), 24U + 128U + 85U * 24U);
        d->setitem(py::Int::create(85).get(), py::None().get());
        EXPECT_EQ(d->ma_keys->size(), 256);
        EXPECT_EQ(d->ma_keys->dk_log2_index_bytes, 9) << "256 slots of 2 bytes";
        EXPECT_EQ(d->ma_keys->allocated_bytes(), 24U + 512U + 170U * 24U);
        for (long long i = 0; i < 86; ++i) {
            EXPECT_EQ(d->get(py::Int::create(i).get()), py::None().get()) << i;
        }
    }
}

TEST(Refcount, Step15_DictTreatsEqualNumbersAsOneKey) {
    auto d = py::Dict::create();
    auto one = py::Int::create(1);
    d->setitem(one.get(), py::Str::create("a").get());
    d->setitem(py::Float::create(1.0).get(), py::Str::create("b").get());
    d->setitem(py::True().get(), py::Str::create("c").get());
    // Python: {1: 'a', 1.0: 'b', True: 'c'} == {1: 'c'}
    EXPECT_EQ(d->size(), 1);
    EXPECT_EQ(d->keys().front(), one.get()) << "the first key object stays";
    EXPECT_EQ(py::repr(d.get()), "{1: 'c'}");
    EXPECT_TRUE(d->contains(py::Float::create(1.0).get()));
    EXPECT_FALSE(d->contains(py::Float::create(1.5).get()));

    auto key = py::Tuple::pack({one.get(), py::Float::create(2.0).get()});
    auto same = py::Tuple::pack({py::True().get(), py::Int::create(2).get()});
    d->setitem(key.get(), py::None().get());
    EXPECT_EQ(d->get(same.get()), py::None().get()) << "(1, 2.0) and (True, 2) are one key";
}

TEST(Refcount, Step16_DictMissingKeysAndDeletion) {
    const RefchainBaseline baseline;
    {
        auto d = py::Dict::create();
        for (const char* name : {"a", "b", "c", "d"}) {
            d->setitem(py::Str::create(name).get(), py::Str::create(name).get());
        }
        auto b = py::Str::create("b");
        d->delitem(b.get());
        EXPECT_EQ(d->size(), 3);
        EXPECT_FALSE(d->contains(b.get()));
        EXPECT_EQ(d->get(b.get()), nullptr);
        EXPECT_TRUE(d->contains(py::Str::create("d").get()))
            << "probing must go on past a deleted slot";
        d->setitem(b.get(), py::None().get());
        EXPECT_THAT(key_reprs(d), ElementsAre("'a'", "'c'", "'d'", "'b'"))
            << "a key inserted again goes to the end";

        // Colliding int keys: 1, 9 and 17 all start at slot 1 of 8. Probing does
        // `perturb >>= 5` first, then slot = slot*5 + perturb + 1 (mod 8): 9 lands in slot 6,
        // 17 in slot 7. Deleting 9 leaves a DUMMY in slot 6 that 17's lookup must walk past.
        auto ints = py::Dict::create();
        for (long long n : {1, 9, 17}) {
            ints->setitem(py::Int::create(n).get(), py::None().get());
        }
        ASSERT_EQ(ints->ma_keys->size(), 8);
        EXPECT_EQ(ints->ma_keys->index(1), 0) << "1 takes its home slot";
        EXPECT_EQ(ints->ma_keys->index(6), 1) << "9 probes 1 -> 6 (perturb >>= 5 before the step)";
        EXPECT_EQ(ints->ma_keys->index(7), 2) << "17 probes 1 -> 6 -> 7";
        ints->delitem(py::Int::create(9).get());
        EXPECT_EQ(ints->ma_keys->index(6), py::Dict::DUMMY);
        EXPECT_TRUE(ints->contains(py::Int::create(17).get()))
            << "17's probe chain passes the deleted 9's slot: a DUMMY, not EMPTY";
        ints->delitem(py::Int::create(1).get());
        EXPECT_TRUE(ints->contains(py::Int::create(17).get()));
        EXPECT_FALSE(ints->contains(py::Int::create(9).get()));
        EXPECT_EQ(ints->size(), 1);

        try {
            (void)d->getitem(py::Str::create("missing").get());
            ADD_FAILURE() << "d['missing'] must raise KeyError";
        } catch (const py::KeyError& error) {
            EXPECT_STREQ(error.what(), "'missing'") << "KeyError's message is repr(key)";
        }
        try {
            d->delitem(py::Int::create(7).get());
            ADD_FAILURE() << "del d[7] must raise KeyError";
        } catch (const py::KeyError& error) {
            EXPECT_STREQ(error.what(), "7");
        }
        auto unhashable = py::List::create();
        EXPECT_THROW(d->setitem(unhashable.get(), unhashable.get()), py::TypeError);
        EXPECT_EQ(py::refcount(unhashable.get()), 1) << "a failed setitem takes no reference";
        EXPECT_EQ(d->size(), 4);
    }
    EXPECT_EQ(baseline.growth(), 0);
}

}  // namespace
