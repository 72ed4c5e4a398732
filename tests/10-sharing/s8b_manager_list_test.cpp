// Chapter 10, §7: a manager's list as CPython's ListProxy exposes it (BaseListProxy, 3.11):
// slices, sort, +=, *=, in, and python3's own proxy using them on our server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "helpers.hpp"
#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/managers.hpp"
#include "py/scalars.hpp"
#include "values.hpp"

namespace {

using py::multiprocessing::managers::ListProxy;
using py::multiprocessing::managers::Slice;
using py::multiprocessing::managers::SyncManager;
using sharing_test::error_of;
using sharing_test::I;
using sharing_test::R;
using sharing_test::S;

py::Ref<py::Object> range_list(long long n) {
    auto list = py::List::create();
    for (long long i = 0; i < n; ++i) {
        list->append(I(i).get());
    }
    return list;
}

// python3's own ListProxy, through our server: test_list's slices, then sort, in, +=, *=, del.
const char* const kPythonListClient = R"(
import sys
from multiprocessing.managers import SyncManager
manager = SyncManager(address=sys.argv[1], authkey=sys.argv[2].encode())
manager.connect()
a = manager.list(list(range(10)))
b = manager.list()
b.extend(list(range(5)))
print(a[:], b[:], b[2], b[2:10], flush=True)
b *= 2
b[1:3] = ["x", "y", "z"]
del b[::2]
print(b[:], "z" in b, len(b), flush=True)
c = manager.list([3, 1, 2])
c.sort(reverse=True)
c += [0]
print(c[::-1], flush=True)
try:
    c[::0]
except ValueError as e:
    print("ValueError", e, flush=True)
try:
    c["a":]
except TypeError as e:
    print("TypeError", e, flush=True)
)";

void python_list_client_checks() {
    SyncManager manager(std::nullopt, std::string("py key"));
    manager.start();
    sharing_test::Python python(kPythonListClient,
                                {std::get<std::string>(manager.address()), "py key"});
    EXPECT_EQ(python.read_line(), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9] [0, 1, 2, 3, 4] 2 [2, 3, 4]")
        << "python3's slice(...) arrived as CPython pickles it (§7)";
    EXPECT_EQ(python.read_line(), "['x', 'z', 4, 1, 3] True 5");
    EXPECT_EQ(python.read_line(), "[0, 1, 2, 3]") << "sort(reverse=True), +=, c[::-1]";
    EXPECT_EQ(python.read_line(), "ValueError slice step cannot be zero");
    EXPECT_EQ(python.read_line(),
              "TypeError slice indices must be integers or None or have an __index__ method");
    EXPECT_EQ(python.wait(), 0);
}

TEST(Sharing, Step50_AManagerListTakesSlicesSortAndInPlaceOperators) {
    SyncManager manager;
    manager.start();
    // test_list: a = self.list(list(range(10))); self.assertEqual(a[:], list(range(10)))
    auto a = manager.list();
    a.extend(range_list(10).get());
    EXPECT_EQ(R(a.getitem(Slice{})), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]")
        << "a[:] is a plain list, sent as CPython pickles slice(None, None, None) (§7)";
    auto b = manager.list();
    EXPECT_EQ(R(b.getitem(Slice{})), "[]");
    b.extend(range_list(5).get());
    EXPECT_EQ(R(b.getitem(2)), "2");
    EXPECT_EQ(R(b.getitem(Slice{2, 10})), "[2, 3, 4]") << "b[2:10]: a stop past the end is cut";
    ListProxy& same = (b *= 2);
    EXPECT_EQ(&same, &b) << "ListProxy.__imul__ returns the proxy";
    EXPECT_EQ(R(b.getitem(Slice{})), "[0, 1, 2, 3, 4, 0, 1, 2, 3, 4]");
    EXPECT_EQ(&(b += py::Tuple::pack({I(5).get()}).get()), &b)
        << "ListProxy.__iadd__ sends extend and returns the proxy";
    EXPECT_EQ(R(b.getitem(Slice{-3, {}})), "[3, 4, 5]") << "b[-3:]";
    EXPECT_EQ(R(b.getitem(Slice{{}, {}, -4})), "[5, 1, 2]") << "b[::-4]";
    EXPECT_EQ(R(b.getitem(Slice{8, 2, -2})), "[3, 1, 4]") << "b[8:2:-2]";
    EXPECT_EQ(R(b.getitem(Slice{7, 3})), "[]") << "an empty slice";
    EXPECT_EQ(R(b.getitem(Slice{-100, 2})), "[0, 1]") << "a start before the front is 0";

    b.setitem(Slice{1, 3}, py::Tuple::pack({S("x").get(), S("y").get(), S("z").get()}).get());
    EXPECT_EQ(b.str(), "[0, 'x', 'y', 'z', 3, 4, 0, 1, 2, 3, 4, 5]")
        << "b[1:3] = ('x', 'y', 'z'): a plain slice may change the length";
    b.delitem(Slice{{}, {}, 2});
    EXPECT_EQ(b.str(), "['x', 'z', 4, 1, 3, 5]") << "del b[::2]";
    b.setitem(Slice{{}, {}, 3}, py::Tuple::pack({I(7).get(), I(8).get()}).get());
    EXPECT_EQ(b.str(), "[7, 'z', 4, 8, 3, 5]") << "an extended slice takes as many as it has";
    b.delitem(Slice{1, 2});
    b.setitem(Slice{0, 0}, py::List::create().get());
    EXPECT_EQ(b.str(), "[7, 4, 8, 3, 5]");
    EXPECT_TRUE(b.contains(I(8).get())) << "8 in b";
    EXPECT_FALSE(b.contains(S("z").get()));

    b.sort();
    EXPECT_EQ(b.str(), "[3, 4, 5, 7, 8]") << "b.sort()";
    b.sort(true);
    EXPECT_EQ(b.str(), "[8, 7, 5, 4, 3]") << "b.sort(reverse=True)";
    auto pairs = manager.list();
    for (const auto& [key, tag] : {std::pair{1, "a"}, {0, "b"}, {1, "c"}, {0, "d"}}) {
        pairs.append(py::Tuple::pack({I(key).get(), S(tag).get()}).get());
    }
    pairs.sort();
    EXPECT_EQ(pairs.str(), "[(0, 'b'), (0, 'd'), (1, 'a'), (1, 'c')]") << "tuples compare in order";
    auto mixed = manager.list();
    mixed.extend(py::Tuple::pack({I(2).get(), py::Float::create(1.5).get(), I(1).get()}).get());
    mixed.sort(true);
    EXPECT_EQ(mixed.str(), "[2, 1.5, 1]") << "int and float compare as numbers";

    // Every error path, with CPython's exception and message.
    mixed.append(S("s").get());
    EXPECT_EQ(error_of<py::TypeError>([&] { mixed.sort(); }),
              "'<' not supported between instances of 'str' and 'int'");
    EXPECT_EQ(mixed.str(), "[2, 1.5, 1, 's']") << "a failed sort leaves the list as it was";
    EXPECT_EQ(error_of<py::ValueError>([&] {
                  (void)b.getitem(Slice{{}, {}, 0});
              }),
              "slice step cannot be zero");
    EXPECT_EQ(error_of<py::ValueError>([&] {
                  b.setitem(Slice{{}, {}, 2}, py::Tuple::pack({I(1).get()}).get());
              }),
              "attempt to assign sequence of size 1 to extended slice of size 3");
    EXPECT_EQ(error_of<py::TypeError>([&] {
                  b.setitem(Slice{1, 3}, I(5).get());
              }),
              "can only assign an iterable");
    EXPECT_EQ(error_of<py::TypeError>([&] {
                  b.setitem(Slice{{}, {}, 2}, I(5).get());
              }),
              "must assign iterable to extended slice");
    EXPECT_EQ(error_of<py::TypeError>([&] { (void)b._callmethod("__getitem__", {S("k")}); }),
              "list indices must be integers or slices, not str");
    EXPECT_EQ(error_of<py::TypeError>([&] { (void)b._callmethod("sort", {py::True()}); }),
              "sort() takes no positional arguments");
    EXPECT_EQ(error_of<py::TypeError>([&] {
                  (void)b._callmethod("sort", {}, {{"cmp", py::None()}});
              }),
              "'cmp' is an invalid keyword argument for sort()");
    EXPECT_EQ(error_of<py::TypeError>([&] {
                  (void)b._callmethod("sort", {}, {{"key", S("len")}});
              }),
              "the manager's list sorts with key=None only");
    EXPECT_EQ(error_of<py::TypeError>([&] { b += I(5).get(); }), "'int' object is not iterable");
    EXPECT_EQ(error_of<py::TypeError>([&] { (void)b._callmethod("__imul__", {S("2")}); }),
              "can't multiply sequence by non-int of type 'str'");
    EXPECT_EQ(error_of<py::TypeError>([&] {
                  (void)b._callmethod("index", {I(8), S("a")});
              }),
              "slice indices must be integers or have an __index__ method");
    EXPECT_EQ(error_of<py::ValueError>([&] {
                  (void)b._callmethod("index", {I(8), I(1)});
              }),
              "8 is not in list")
        << "b.index(8, 1): 8 is at 0, before the start";
    EXPECT_EQ(R(b._callmethod("index", {I(4), I(-2), I(100)})), "3")
        << "b.index(4, -2, 100): negative from the end, a stop past the end is cut";
    EXPECT_EQ(b.str(), "[8, 7, 5, 4, 3]") << "and the list is unchanged by all of them";

    python_list_client_checks();
}

}  // namespace
