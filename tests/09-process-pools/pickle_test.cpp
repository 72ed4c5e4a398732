// Chapter 09, §1-§3: pickle. Every expected byte string below is what CPython 3.11's
// `pickle.dumps(value, protocol)` returns (written here as hex; the interop step checks the
// same against the python3 on this machine at run time).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "py/exceptions.hpp"
#include "py/pickle.hpp"
#include "values.hpp"

namespace {

using namespace testing_values;
namespace pickle = py::pickle;

std::string dumps_hex(const Obj& value, int protocol) {
    return hex(pickle::dumps(value, protocol));
}

// The message of the py:: exception `loads(data)` throws, prefixed with its Python name.
std::string load_error(std::string_view data) {
    try {
        (void)pickle::loads(data);
    } catch (const py::BaseException& error) {
        return error.formatted();
    }
    return "no error";
}

TEST(ProcessPools, Step01_DumpsScalarsLikeCPython) {
    EXPECT_EQ(dumps_hex(py::None(), 2), "80 02 4e 2e");
    EXPECT_EQ(dumps_hex(py::True(), 2), "80 02 88 2e");
    EXPECT_EQ(dumps_hex(py::False(), 3), "80 03 89 2e");
    // BININT1, BININT2, BININT, then LONG1 with the fewest two's-complement bytes.
    EXPECT_EQ(dumps_hex(I(0), 2), "80 02 4b 00 2e");
    EXPECT_EQ(dumps_hex(I(255), 2), "80 02 4b ff 2e");
    EXPECT_EQ(dumps_hex(I(256), 2), "80 02 4d 00 01 2e");
    EXPECT_EQ(dumps_hex(I(65535), 2), "80 02 4d ff ff 2e");
    EXPECT_EQ(dumps_hex(I(65536), 2), "80 02 4a 00 00 01 00 2e");
    EXPECT_EQ(dumps_hex(I(-1), 2), "80 02 4a ff ff ff ff 2e");
    EXPECT_EQ(dumps_hex(I(-129), 2), "80 02 4a 7f ff ff ff 2e");
    EXPECT_EQ(dumps_hex(I(2147483647), 2), "80 02 4a ff ff ff 7f 2e");
    EXPECT_EQ(dumps_hex(I(-2147483648LL), 2), "80 02 4a 00 00 00 80 2e");
    EXPECT_EQ(dumps_hex(I(2147483648LL), 2), "80 02 8a 05 00 00 00 80 00 2e");
    EXPECT_EQ(dumps_hex(I(-2147483649LL), 2), "80 02 8a 05 ff ff ff 7f ff 2e");
    EXPECT_EQ(dumps_hex(I(1LL << 40), 3), "80 03 8a 06 00 00 00 00 00 01 2e");
    EXPECT_EQ(dumps_hex(I(-(1LL << 40)), 3), "80 03 8a 06 00 00 00 00 00 ff 2e");
    EXPECT_EQ(dumps_hex(I(-(1LL << 55)), 2), "80 02 8a 07 00 00 00 00 00 00 80 2e");
    EXPECT_EQ(dumps_hex(I(std::numeric_limits<long long>::max()), 2),
              "80 02 8a 08 ff ff ff ff ff ff ff 7f 2e");
    EXPECT_EQ(dumps_hex(I(std::numeric_limits<long long>::min()), 2),
              "80 02 8a 08 00 00 00 00 00 00 00 80 2e");
    // BINFLOAT: big-endian IEEE 754.
    EXPECT_EQ(dumps_hex(F(1.5), 2), "80 02 47 3f f8 00 00 00 00 00 00 2e");
    EXPECT_EQ(dumps_hex(F(-0.0), 3), "80 03 47 80 00 00 00 00 00 00 00 2e");
    EXPECT_EQ(dumps_hex(F(std::numeric_limits<double>::infinity()), 2),
              "80 02 47 7f f0 00 00 00 00 00 00 2e");
}

TEST(ProcessPools, Step02_DumpsStrAndBytes) {
    // str: BINUNICODE with UTF-8 bytes, then BINPUT (str is memoized).
    EXPECT_EQ(dumps_hex(S("ab"), 2), "80 02 58 02 00 00 00 61 62 71 00 2e");
    EXPECT_EQ(dumps_hex(S(""), 3), "80 03 58 00 00 00 00 71 00 2e");
    EXPECT_EQ(dumps_hex(S("h\xc3\xa9llo \xe2\x82\xac"), 3),
              "80 03 58 0a 00 00 00 68 c3 a9 6c 6c 6f 20 e2 82 ac 71 00 2e");
    // bytes, protocol 3: SHORT_BINBYTES up to 255 bytes, then BINBYTES.
    EXPECT_EQ(dumps_hex(B("ab"), 3), "80 03 43 02 61 62 71 00 2e");
    EXPECT_EQ(dumps_hex(B(""), 3), "80 03 43 00 71 00 2e");
    const std::string three_hundred(300, 'z');
    EXPECT_EQ(dumps_hex(B(three_hundred), 3).substr(0, 20), "80 03 42 2c 01 00 00");
    // bytes, protocol 2: _codecs.encode(latin-1 text, 'latin1'), or bytes() for b''.
    EXPECT_EQ(dumps_hex(B("a\xff"), 2),
              "80 02 63 5f 63 6f 64 65 63 73 0a 65 6e 63 6f 64 65 0a 71 00 58 03 00 00 00 61 c3 "
              "bf 71 01 58 06 00 00 00 6c 61 74 69 6e 31 71 02 86 71 03 52 71 04 2e");
    EXPECT_EQ(dumps_hex(B(""), 2),
              "80 02 63 5f 5f 62 75 69 6c 74 69 6e 5f 5f 0a 62 79 74 65 73 0a 71 00 29 52 71 01 "
              "2e");
}

// A type pickle knows nothing about, standing in for a lock or an open file.
py::TypeObject lock_type = {.tp_name = "_thread.lock",
                            .tp_basicsize = sizeof(py::Object),
                            .tp_dealloc = [](py::Object* self) { py::free_object(self); }};

TEST(ProcessPools, Step03_DumpsContainersInBatches) {
    EXPECT_EQ(dumps_hex(T({}), 2), "80 02 29 2e");
    EXPECT_EQ(dumps_hex(T({I(1)}), 2), "80 02 4b 01 85 71 00 2e");
    EXPECT_EQ(dumps_hex(T({I(1), I(2), I(3)}), 2), "80 02 4b 01 4b 02 4b 03 87 71 00 2e");
    EXPECT_EQ(dumps_hex(T({I(1), I(2), I(3), I(4)}), 2),
              "80 02 28 4b 01 4b 02 4b 03 4b 04 74 71 00 2e");
    EXPECT_EQ(dumps_hex(L({}), 2), "80 02 5d 71 00 2e");
    EXPECT_EQ(dumps_hex(L({I(1)}), 2), "80 02 5d 71 00 4b 01 61 2e");
    EXPECT_EQ(dumps_hex(L({I(1), I(2), I(3)}), 2), "80 02 5d 71 00 28 4b 01 4b 02 4b 03 65 2e");
    EXPECT_EQ(dumps_hex(D({}), 2), "80 02 7d 71 00 2e");
    EXPECT_EQ(dumps_hex(D({{I(1), I(2)}}), 2), "80 02 7d 71 00 4b 01 4b 02 73 2e");
    EXPECT_EQ(dumps_hex(D({{I(1), I(2)}, {I(3), py::None()}}), 3),
              "80 03 7d 71 00 28 4b 01 4b 02 4b 03 4e 75 2e");
    EXPECT_EQ(dumps_hex(L({T({I(1), L({})}), D({{S("k"), T({py::None(), py::True()})}})}), 3),
              "80 03 5d 71 00 28 4b 01 5d 71 01 86 71 02 7d 71 03 58 01 00 00 00 6b 71 04 4e 88 "
              "86 71 05 73 65 2e");

    // 2500 items: three batches of MARK ... APPENDS (1000, 1000, 500).
    auto big = py::List::create();
    for (int i = 0; i < 2500; ++i) {
        big->append(py::None().get());
    }
    const std::string data = pickle::dumps(big, 2);
    EXPECT_EQ(std::count(data.begin(), data.end(), '('), 3);
    EXPECT_EQ(data.substr(data.size() - 2), "e.");

    // What cannot be pickled says so, as CPython does; so does nesting deeper than its limit.
    Obj lock = Obj::steal(py::alloc_object(&lock_type));
    try {
        (void)pickle::dumps(L({I(1), lock}), 4);
        ADD_FAILURE() << "dumps of an unpicklable object did not throw";
    } catch (const py::TypeError& error) {
        EXPECT_STREQ(error.what(), "cannot pickle '_thread.lock' object");
    }
    Obj deep = L({});
    for (int i = 0; i < 600; ++i) {
        deep = L({deep});
    }
    EXPECT_THROW((void)pickle::dumps(deep, 4), py::RecursionError);
    Obj fine = L({});
    for (int i = 0; i < 400; ++i) {
        fine = L({fine});
    }
    EXPECT_NO_THROW((void)pickle::dumps(fine, 4));
    EXPECT_THROW((void)pickle::dumps(I(1), 6), py::ValueError);
}

TEST(ProcessPools, Step04_MemoKeepsSharedAndCyclicReferences) {
    // One str object three times: stored once, then fetched with BINGET.
    Obj shared = S("shared");
    EXPECT_EQ(dumps_hex(L({shared, shared, T({shared})}), 3),
              "80 03 5d 71 00 28 58 06 00 00 00 73 68 61 72 65 64 71 01 68 01 68 01 85 71 02 65 "
              "2e");
    // l.append(l): the list is memoized before its items, so the item is a BINGET of it.
    auto self_list = py::List::create();
    self_list->append(self_list.get());
    EXPECT_EQ(dumps_hex(self_list, 2), "80 02 5d 71 00 68 00 61 2e");
    self_list->clear();  // break the cycle: chapter 09 has no cycle collector
    auto self_dict = py::Dict::create();
    self_dict->setitem(S("me").get(), self_dict.get());
    EXPECT_EQ(dumps_hex(self_dict, 3), "80 03 7d 71 00 58 02 00 00 00 6d 65 71 01 68 00 73 2e");
    self_dict->delitem(S("me").get());
    // A tuple that reaches itself through a list: its items are popped again (POP, or POP_MARK
    // for a long tuple) and the memoized tuple is fetched instead.
    auto inner = py::List::create();
    Obj tuple = T({inner});
    inner->append(tuple.get());
    EXPECT_EQ(dumps_hex(tuple, 2), "80 02 5d 71 00 68 00 85 71 01 61 30 68 01 2e");
    inner->clear();
    auto inner4 = py::List::create();
    Obj tuple4 = T({inner4, I(1), I(2), I(3)});
    inner4->append(tuple4.get());
    EXPECT_EQ(dumps_hex(tuple4, 2),
              "80 02 28 5d 71 00 28 68 00 4b 01 4b 02 4b 03 74 71 01 61 4b 01 4b 02 4b 03 31 68 "
              "01 2e");
    inner4->clear();
    // Past 255 memo entries: LONG_BINPUT and LONG_BINGET with 4-byte indices.
    auto many = py::List::create();
    Obj last;
    for (int i = 0; i < 300; ++i) {
        last = S("s" + std::to_string(i));
        many->append(last.get());
    }
    many->append(last.get());
    const std::string data = pickle::dumps(many, 2);
    EXPECT_EQ(hex(data.substr(data.size() - 12)), "72 2c 01 00 00 6a 2c 01 00 00 65 2e");
}

TEST(ProcessPools, Step05_Protocol4FramesTheOutput) {
    // Too small for a frame: PROTO, the value, STOP.
    EXPECT_EQ(dumps_hex(py::None(), 4), "80 04 4e 2e");
    // FRAME with the 8-byte length of everything after it; SHORT_BINUNICODE; MEMOIZE.
    EXPECT_EQ(dumps_hex(L({I(1), S("ab"), B("c")}), 4),
              "80 04 95 10 00 00 00 00 00 00 00 5d 94 28 4b 01 8c 02 61 62 94 43 01 63 94 65 2e");
    EXPECT_EQ(dumps_hex(L({I(1), S("ab"), B("c")}), 5),
              "80 05 95 10 00 00 00 00 00 00 00 5d 94 28 4b 01 8c 02 61 62 94 43 01 63 94 65 2e");
    Obj shared = S("shared");
    EXPECT_EQ(dumps_hex(L({shared, shared}), 4),
              "80 04 95 10 00 00 00 00 00 00 00 5d 94 28 8c 06 73 68 61 72 65 64 94 68 01 65 2e");
    // A frame closes once it holds 64 KiB, at the next object boundary.
    auto numbers = py::List::create();
    for (int i = 0; i < 40000; ++i) {
        numbers->append(I(i).get());
    }
    const std::string data = pickle::dumps(numbers, 4);
    EXPECT_EQ(hex(data.substr(0, 11)), "80 04 95 01 00 01 00 00 00 00 00");  // 65537 bytes
    EXPECT_EQ(static_cast<unsigned char>(data[2 + 9 + 65537]), 0x95);        // the next frame
    // A payload of 64 KiB or more is written outside any frame.
    const std::string big(70000, 'y');
    const std::string big_pickle = pickle::dumps(B(big), 4);
    EXPECT_EQ(hex(big_pickle.substr(0, 7)), "80 04 42 70 11 01 00");
    EXPECT_EQ(big_pickle.substr(big_pickle.size() - 2), "\x94.");
    EXPECT_EQ(pickle::dumps(S(big), -1).size(), 2 + 5 + 70000 + 2);  // -1: the highest, 5
}

TEST(ProcessPools, Step06_LoadsScalarsStrAndBytes) {
    for (int protocol = 2; protocol <= 5; ++protocol) {
        for (const Obj& value :
             {Obj(py::None()), Obj(py::True()), Obj(py::False()), I(0), I(255), I(65536), I(-1),
              I(1LL << 40), I(-(1LL << 40)), I(std::numeric_limits<long long>::min()),
              I(std::numeric_limits<long long>::max()), F(2.5), F(-1e300), S(""), S("h\xc3\xa9"),
              S(std::string(300, 'x')), B(""), B("\x00\xff")}) {
            const std::string data = pickle::dumps(value, protocol);
            Obj loaded = pickle::loads(data);
            EXPECT_TRUE(py::equal(loaded.get(), value.get()))
                << "protocol " << protocol << ": loads(dumps(" << py::repr(value.get())
                << ")) gave " << py::repr(loaded.get());
            EXPECT_EQ(loaded->ob_type, value->ob_type) << py::repr(value.get());
        }
    }
    EXPECT_EQ(py::repr(pickle::loads(unhex("80 04 4e 2e")).get()), "None");
    // bytes is a runtime type of its own: repr as Python writes it, hashable, never equal to str.
    EXPECT_EQ(py::repr(B(unhex("61 27 0a 09 0d 5c 00 ff")).get()),
              "b\"a'\\n\\t\\r\\\\\\x00\\xff\"");
    EXPECT_EQ(py::repr(B("say \"hi\"").get()), "b'say \"hi\"'");
    EXPECT_FALSE(py::equal(B("a").get(), S("a").get()));
    auto keys = D({{B("k"), I(1)}});
    EXPECT_EQ(py::repr(keys->getitem(B("k").get())), "1");
    EXPECT_EQ(py::hash(B("k").get()), py::hash(B("k").get()));
    EXPECT_TRUE(py::is_none(pickle::loads(unhex("4e 2e 67 61 72 62 61 67 65")).get()))
        << "bytes after STOP are ignored";
    // LONG1 with more than 8 bytes that still fit, and LONG4.
    EXPECT_EQ(py::repr(pickle::loads(unhex("8a 09 ff ff ff ff ff ff ff ff ff 2e")).get()), "-1");
    EXPECT_EQ(py::repr(pickle::loads(unhex("8b 02 00 00 00 00 01 2e")).get()), "256");
    EXPECT_EQ(py::repr(pickle::loads(unhex("8a 00 2e")).get()), "0");
    EXPECT_THROW((void)pickle::loads(unhex("8a 09 00 00 00 00 00 00 00 00 01 2e")),
                 py::OverflowError);
    // Python 2 str (BINSTRING, SHORT_BINSTRING) as ASCII.
    EXPECT_EQ(py::repr(pickle::loads(unhex("55 02 61 62 2e")).get()), "'ab'");
    EXPECT_EQ(py::repr(pickle::loads(unhex("54 01 00 00 00 61 2e")).get()), "'a'");
    // BINBYTES8 and BINUNICODE8.
    EXPECT_EQ(py::repr(pickle::loads(unhex("8e 01 00 00 00 00 00 00 00 61 2e")).get()), "b'a'");
    EXPECT_EQ(py::repr(pickle::loads(unhex("8d 01 00 00 00 00 00 00 00 61 2e")).get()), "'a'");
}

TEST(ProcessPools, Step07_LoadsContainersWithMarks) {
    for (int protocol = 2; protocol <= 5; ++protocol) {
        Obj value = L({T({}), T({I(1)}), T({I(1), I(2)}), T({I(1), I(2), I(3)}),
                       T({I(1), I(2), I(3), I(4)}), L({}), L({S("a")}), D({}),
                       D({{S("k"), L({I(1), I(2)})}, {I(7), T({py::None()})}})});
        const std::string data = pickle::dumps(value, protocol);
        EXPECT_EQ(py::repr(pickle::loads(data).get()),
                  "[(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), [], ['a'], {}, {'k': [1, 2], 7: "
                  "(None,)}]")
            << "protocol " << protocol;
    }
    // The protocol 0/1 container opcodes: MARK ... LIST / DICT / TUPLE, and the stack opcodes.
    EXPECT_EQ(py::repr(pickle::loads(unhex("28 4e 4e 6c 2e")).get()), "[None, None]");
    EXPECT_EQ(py::repr(pickle::loads(unhex("28 4b 01 4b 02 64 2e")).get()), "{1: 2}");
    EXPECT_EQ(py::repr(pickle::loads(unhex("28 74 2e")).get()), "()");
    EXPECT_EQ(py::repr(pickle::loads(unhex("4e 32 86 2e")).get()), "(None, None)");      // DUP
    EXPECT_EQ(py::repr(pickle::loads(unhex("4e 4b 01 30 2e")).get()), "None");           // POP
    EXPECT_EQ(py::repr(pickle::loads(unhex("4e 28 4b 01 4b 02 31 2e")).get()), "None");  // POP_MARK
    EXPECT_EQ(py::repr(pickle::loads(unhex("4e 28 30 2e")).get()), "None");  // POP of a mark
    // 2500 items come back in batches.
    auto big = py::List::create();
    for (int i = 0; i < 2500; ++i) {
        big->append(I(i).get());
    }
    auto loaded = pickle::loads(pickle::dumps(big, 2));
    ASSERT_EQ(loaded->ob_type, &py::List::Type);
    EXPECT_EQ(static_cast<py::List*>(loaded.get())->size(), 2500);
}

TEST(ProcessPools, Step08_LoadsSharedAndCyclicStructures) {
    for (int protocol = 2; protocol <= 5; ++protocol) {
        // Sharing survives: the loaded list holds the same str object twice.
        Obj shared = S("shared");
        Obj loaded = pickle::loads(pickle::dumps(L({shared, shared}), protocol));
        auto* list = static_cast<py::List*>(loaded.get());
        ASSERT_EQ(list->size(), 2);
        EXPECT_EQ(list->item(0), list->item(1)) << "protocol " << protocol;
        // l.append(l) round-trips: the loaded list contains itself.
        auto self_list = py::List::create();
        self_list->append(self_list.get());
        Obj copy = pickle::loads(pickle::dumps(self_list, protocol));
        auto* copied = static_cast<py::List*>(copy.get());
        ASSERT_EQ(copied->size(), 1);
        EXPECT_EQ(copied->item(0), copy.get()) << "protocol " << protocol;
        EXPECT_EQ(py::repr(copy.get()), "[[...]]");
        copied->clear();
        self_list->clear();
        // A tuple reached from itself through a list.
        auto inner = py::List::create();
        Obj tuple = T({inner, I(1), I(2), I(3)});
        inner->append(tuple.get());
        Obj tuple_copy = pickle::loads(pickle::dumps(tuple, protocol));
        auto* t = static_cast<py::Tuple*>(tuple_copy.get());
        ASSERT_EQ(t->ob_type, &py::Tuple::Type);
        auto* inner_copy = static_cast<py::List*>(t->item(0));
        EXPECT_EQ(inner_copy->item(0), tuple_copy.get());
        inner_copy->clear();
        inner->clear();
    }
    // LONG_BINGET past 255 entries.
    auto many = py::List::create();
    Obj last;
    for (int i = 0; i < 300; ++i) {
        last = S("s" + std::to_string(i));
        many->append(last.get());
    }
    many->append(last.get());
    Obj loaded = pickle::loads(pickle::dumps(many, 2));
    auto* list = static_cast<py::List*>(loaded.get());
    EXPECT_EQ(list->item(299), list->item(300));
}

TEST(ProcessPools, Step09_MalformedInputRaisesCPythonErrors) {
    EXPECT_EQ(load_error(""), "EOFError: Ran out of input");
    EXPECT_EQ(load_error(unhex("80 04")), "EOFError: Ran out of input");
    EXPECT_EQ(load_error(unhex("80")), "UnpicklingError: pickle data was truncated");
    EXPECT_EQ(load_error(unhex("ff")), "UnpicklingError: invalid load key, '\\xff'.");
    EXPECT_EQ(load_error("z"), "UnpicklingError: invalid load key, 'z'.");
    EXPECT_EQ(load_error(unhex("80 09 4e 2e")), "ValueError: unsupported pickle protocol: 9");
    EXPECT_EQ(load_error("a."), "UnpicklingError: unpickling stack underflow");
    EXPECT_EQ(load_error("0."), "UnpicklingError: unpickling stack underflow");
    EXPECT_EQ(load_error("(."), "UnpicklingError: unexpected MARK found");
    EXPECT_EQ(load_error(unhex("28 85 2e")), "UnpicklingError: unexpected MARK found");
    EXPECT_EQ(load_error("1."), "UnpicklingError: could not find MARK");
    EXPECT_EQ(load_error("e."), "UnpicklingError: could not find MARK");
    EXPECT_EQ(load_error("(e."), "UnpicklingError: unpickling stack underflow");
    EXPECT_EQ(load_error(unhex("68 05 2e")), "UnpicklingError: Memo value not found at index 5");
    EXPECT_EQ(load_error(unhex("6a 05 00 00 00 2e")),
              "UnpicklingError: Memo value not found at index 5");
    EXPECT_EQ(load_error(unhex("71 00 2e")), "UnpicklingError: unpickling stack underflow");
    EXPECT_EQ(load_error(unhex("58 05 00 00 00 61 62")),
              "UnpicklingError: pickle data was truncated");
    EXPECT_EQ(load_error(unhex("8c 02 61")), "UnpicklingError: pickle data was truncated");
    EXPECT_EQ(load_error(unhex("95 10 00 00 00 00 00 00 00 4e 2e")),
              "UnpicklingError: pickle data was truncated");
    EXPECT_EQ(load_error(unhex("95 ff ff ff ff ff ff ff 7f 4e 2e")),
              "UnpicklingError: read would overflow (invalid bytecode)");
    EXPECT_EQ(load_error(unhex("8b ff ff ff ff")),
              "UnpicklingError: LONG pickle has negative byte count");
    EXPECT_EQ(load_error(unhex("8e 00 00 00 00 00 00 00 80")),
              "OverflowError: BINBYTES exceeds system's maximum size of 9223372036854775807 "
              "bytes");
    EXPECT_EQ(load_error("}(Nu."), "UnpicklingError: odd number of items for SETITEMS");
    EXPECT_EQ(load_error("(Nd."), "UnpicklingError: odd number of items for DICT");
    EXPECT_EQ(load_error("}]Ns."), "TypeError: unhashable type: 'list'");
    EXPECT_EQ(load_error("N(Ne."), "AttributeError: 'NoneType' object has no attribute 'append'");
    EXPECT_EQ(load_error(unhex("58 02 00 00 00 ff fe 2e")),
              "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0: invalid "
              "start byte");
    EXPECT_EQ(load_error(unhex("58 03 00 00 00 e2 82 78 2e")),
              "UnicodeDecodeError: 'utf-8' codec can't decode bytes in position 0-1: invalid "
              "continuation byte");
    EXPECT_EQ(load_error(unhex("58 02 00 00 00 61 c3 2e")),
              "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xc3 in position 1: "
              "unexpected end of data");
    EXPECT_EQ(load_error(unhex("55 01 ff 2e")),
              "UnicodeDecodeError: 'ascii' codec can't decode byte 0xff in position 0: ordinal "
              "not in range(128)");
    // A lone surrogate written by Python ('surrogatepass') loads.
    EXPECT_EQ(load_error(unhex("58 03 00 00 00 ed a0 80 2e")), "no error");
    // A pickle may name any global; this one names only the two that bytes need.
    EXPECT_THAT(load_error("cos\nsystem\n."),
                testing::StartsWith("UnpicklingError: py::pickle refuses"));
    EXPECT_EQ(load_error(unhex("93 2e")), "UnpicklingError: STACK_GLOBAL requires str");
    EXPECT_EQ(load_error("NNR."), "TypeError: argument list must be a tuple");
    EXPECT_EQ(load_error("I5\n."), "UnpicklingError: py::pickle does not load the opcode 0x49");
    EXPECT_EQ(load_error(unhex("95 00 00 00 00 00 00 00 80 4e 2e")),
              "OverflowError: FRAME length exceeds system's maximum of 9223372036854775807 bytes");
    EXPECT_EQ(load_error(unhex("8a 09 00 00 00 00 00 00 00 80 00 2e")),
              "OverflowError: int too large for the runtime's 64-bit int");
    EXPECT_EQ(load_error(unhex("54 ff ff ff ff")),
              "UnpicklingError: BINSTRING pickle has negative byte count");
    EXPECT_EQ(load_error("2."), "UnpicklingError: unpickling stack underflow");
    EXPECT_EQ(load_error(unhex("4e 86 2e")), "UnpicklingError: unpickling stack underflow");
    EXPECT_EQ(load_error("s."), "UnpicklingError: unpickling stack underflow");
    EXPECT_EQ(load_error("N(u."), "no error") << "nothing to set: the target is not looked at";
    EXPECT_EQ(load_error(unhex("4e 72 ff ff ff 00 6a ff ff ff 00 2e")), "no error")
        << "a huge memo index is kept without allocating for every index below it";
    EXPECT_EQ(load_error("N)R."), "TypeError: 'NoneType' object is not callable");
    EXPECT_EQ(load_error("c_codecs\nencode\n)R."),
              "TypeError: py::pickle calls _codecs.encode(str, 'latin1') only");
    EXPECT_THAT(load_error(unhex("63 5f 63 6f 64 65 63 73 0a 65 6e 63 6f 64 65 0a 58 03 00 00 00 "
                                 "e2 82 ac 58 06 00 00 00 6c 61 74 69 6e 31 86 52 2e")),
                testing::StartsWith("UnicodeError: 'latin-1' codec can't encode"));
    EXPECT_EQ(load_error("c_codecs"), "UnpicklingError: pickle data was truncated");
    EXPECT_EQ(py::repr(pickle::loads("c_codecs\nencode\n.").get()), "<built-in function encode>");
    EXPECT_EQ(py::repr(pickle::loads("c__builtin__\nbytes\n.").get()), "<class 'bytes'>");
    EXPECT_EQ(py::repr(pickle::loads(
                           unhex("8c 08 62 75 69 6c 74 69 6e 73 8c 05 62 79 74 65 73 93 29 52 2e"))
                           .get()),
              "b''");
    EXPECT_EQ(
        py::repr(
            pickle::loads(
                unhex("8c 08 62 75 69 6c 74 69 6e 73 8c 05 62 79 74 65 73 93 43 01 61 85 52 2e"))
                .get()),
        "b'a'");
    EXPECT_EQ(
        load_error(unhex("8c 08 62 75 69 6c 74 69 6e 73 8c 05 62 79 74 65 73 93 4e 85 52 2e")),
        "TypeError: cannot convert 'NoneType' object to bytes");
    // Every prefix of a valid pickle fails cleanly (the truncation the issue asks for).
    const std::string whole =
        pickle::dumps(L({I(1), S("two"), B("three"), T({F(4.0), D({{I(5), py::None()}})})}), 4);
    for (std::size_t cut = 0; cut < whole.size(); ++cut) {
        const std::string error = load_error(whole.substr(0, cut));
        EXPECT_THAT(error, testing::AnyOf(testing::StartsWith("EOFError"),
                                          testing::StartsWith("UnpicklingError")))
            << "cut at " << cut;
    }
}

}  // namespace
