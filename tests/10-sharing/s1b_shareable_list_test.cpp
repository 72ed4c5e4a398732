// Chapter 10, §1: ShareableList in CPython 3.11's layout, shared with python3 both ways.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "py/bytes.hpp"
#include "py/containers.hpp"
#include "py/exceptions.hpp"
#include "py/scalars.hpp"
#include "py/shared_memory.hpp"

namespace {

using py::multiprocessing::shared_memory::ShareableList;
using Items = std::vector<py::Ref<py::Object>>;

py::Ref<py::Object> I(long long v) {
    return py::Int::create(v);
}
py::Ref<py::Object> F(double v) {
    return py::Float::create(v);
}
py::Ref<py::Object> S(std::string_view s) {
    return py::Str::create(s);
}
py::Ref<py::Object> B(std::string_view s) {
    return py::Bytes::create(s);
}
std::string R(const py::Ref<py::Object>& obj) {
    return py::repr(obj.get());
}

// Unlinks a list's block at the end of a test, whatever happened (CI checks /dev/shm).
struct UnlinkAtEnd {
    std::string name;
    ~UnlinkAtEnd() { ::shm_unlink(("/" + name).c_str()); }
};

// The block's bytes, to compare with the layout written out by hand or by python3.
std::string block_bytes(const ShareableList& list) {
    const auto buf = list.shm().buf();
    return {reinterpret_cast<const char*>(buf.data()), list.shm().size()};
}
std::string q(std::int64_t value) {  // struct.pack("q", value): native, 8 bytes
    std::string out(8, '\0');
    std::memcpy(out.data(), &value, 8);
    return out;
}
std::string padded(std::string_view bytes, std::size_t n) {
    std::string out(bytes);
    out.resize(n, '\0');
    return out;
}

TEST(Sharing, Step06_ShareableListPacksCPythonsLayout) {
    ShareableList list(Items{I(7), S("hi"), py::None()});
    const UnlinkAtEnd cleanup{list.shm().name()};
    EXPECT_THAT(list.shm().name(), testing::MatchesRegex("psm_[0-9a-f]{8}"));
    // N, the N + 1 offsets into the data area, the data, the formats ("8s" each), the codes.
    const std::string expected = q(3) + q(0) + q(8) + q(16) + q(24) +             // header
                                 q(7) + padded("hi", 8) + std::string(8, '\0') +  // data
                                 padded("q", 8) + padded("8s", 8) + "xxxxxx?x" +  // formats
                                 std::string("\x00\x01\x03", 3);                  // codes
    EXPECT_EQ(list.shm().size(), expected.size()) << "struct.calcsize of the whole layout (§1)";
    EXPECT_EQ(block_bytes(list), expected) << "shared_memory.py's layout, byte for byte";
    EXPECT_EQ(list.len(), 3);
    EXPECT_EQ(R(list.getitem(0)), "7");
    EXPECT_EQ(R(list.getitem(1)), "'hi'");
    EXPECT_EQ(R(list.getitem(-1)), "None") << "negative positions count from the end";
    EXPECT_EQ(list.format(), "q8sxxxxxx?x");
    EXPECT_EQ(list.repr(), "ShareableList([7, 'hi', None], name='" + list.shm().name() + "')");
    try {
        (void)list.getitem(3);
        FAIL() << "position 3 of 3";
    } catch (const py::IndexError& e) {
        EXPECT_STREQ(e.what(), "index out of range");
    }
    EXPECT_THROW((void)list.getitem(-4), py::IndexError);

    // Every type, and the room a str or bytes gets: len(item) // 8 * 8 + 8, counted in code
    // points for a str ('武' is one, stored as three UTF-8 bytes). Trailing NULs of bytes are
    // lost on the way back (rstrip(b'\x00')): a quirk of CPython's kept here.
    ShareableList all(Items{I(-1), F(2.5), py::True(), S("12345678"), S("武"),
                            B(std::string("a\0\0", 3)), py::None(), py::False()});
    const UnlinkAtEnd all_cleanup{all.shm().name()};
    EXPECT_EQ(all.format(), "qdxxxxxxx?16s8s8sxxxxxx?xxxxxxxx?");
    EXPECT_EQ(all.repr(),
              "ShareableList([-1, 2.5, True, '12345678', '武', b'a', None, False], name='" +
                  all.shm().name() + "')");
    EXPECT_EQ(all.shm().size(), 8U + 9 * 8 + (8 * 7 + 16) + 8 * 8 + 8);

    // Attaching by name (ShareableList(name=...)) reads N and the offsets from the block.
    ShareableList attached(std::nullopt, all.shm().name());
    EXPECT_EQ(attached.len(), 8);
    EXPECT_EQ(attached.repr(), all.repr());

    ShareableList empty(Items{});
    const UnlinkAtEnd empty_cleanup{empty.shm().name()};
    EXPECT_EQ(empty.len(), 0);
    EXPECT_EQ(empty.shm().size(), 16U) << "an empty list is N and one offset";
    EXPECT_EQ(empty.repr(), "ShareableList([], name='" + empty.shm().name() + "')");

    // What CPython refuses: a type with no format (_types_mapping[type(item)]: KeyError), and a
    // str or bytes whose format would not fit in 8 characters ("100000000s": an assert).
    try {
        ShareableList lists(Items{py::List::create()});
        FAIL() << "a list cannot be an item";
    } catch (const py::KeyError& e) {
        EXPECT_STREQ(e.what(), "<class 'list'>");
    }
    // (Not under TSan, which runs every test 100 times: 200 MB of copying take it seconds.)
#ifndef __SANITIZE_THREAD__
    std::string huge;
    huge.resize(99999992, 'x');
    EXPECT_THROW(ShareableList(Items{B(huge)}), py::AssertionError);
#endif
}

TEST(Sharing, Step07_ShareableListItemsAreReplacedInPlace) {
    ShareableList list(Items{I(1), S("hello"), py::None(), F(0.5)});
    const UnlinkAtEnd cleanup{list.shm().name()};
    list.setitem(0, S("x").get());
    EXPECT_EQ(R(list.getitem(0)), "'x'") << "a str in an int's 8 bytes: format 8s (§1)";
    list.setitem(1, I(42).get());
    EXPECT_EQ(R(list.getitem(1)), "42");
    list.setitem(1, S("goodbye").get());
    EXPECT_EQ(R(list.getitem(1)), "'goodbye'");
    list.setitem(2, py::True().get());
    list.setitem(-1, py::None().get());
    EXPECT_EQ(list.format(), "8s8sxxxxxxx?xxxxxx?x");
    EXPECT_EQ(list.repr(),
              "ShareableList(['x', 'goodbye', True, None], name='" + list.shm().name() + "')");
    try {
        list.setitem(1, S("too long for 8").get());
        FAIL() << "a str never gets more room than the list gave its item";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "bytes/str item exceeds available storage");
    }
    try {
        list.setitem(4, I(0).get());
        FAIL() << "position 4 of 4";
    } catch (const py::IndexError& e) {
        EXPECT_STREQ(e.what(), "assignment index out of range");
    }
    EXPECT_THROW(list.setitem(-5, I(0).get()), py::IndexError);
    EXPECT_THROW(list.setitem(0, py::List::create().get()), py::KeyError);

    // count and index compare with ==, so True counts as 1.
    EXPECT_EQ(list.count(I(1).get()), 1);
    EXPECT_EQ(list.count(S("x").get()), 1);
    EXPECT_EQ(list.index(py::None().get()), 3);
    try {
        (void)list.index(I(5).get());
        FAIL() << "5 is not there";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "5 not in this container");
    }

    // The pages are shared: a child attaches by name and writes, the parent reads.
    const pid_t child = sharing_test::fork_child([name = list.shm().name()] {
        ShareableList same(std::nullopt, name);
        same.setitem(0, F(1.25).get());
    });
    ASSERT_EQ(sharing_test::wait_child(child), 0);
    EXPECT_EQ(R(list.getitem(0)), "1.25") << "the child's write, seen by the parent";

    // A format no ShareableList writes (a corrupted block) is refused, not read out of bounds.
    auto buf = list.shm().buf();
    const std::size_t formats_at = buf.size() - 4 - std::size_t{4} * 8;  // N = 4
    std::memcpy(buf.data() + formats_at + std::size_t{2} * 8, "zz\0\0\0\0\0\0", 8);
    try {
        (void)list.getitem(2);
        FAIL() << "format 'zz'";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "bad char in struct format") << "struct.error's text";
    }
}

// python3 attaches to our list by name, reads it, writes two items; builds the same list itself
// to show its bytes; then leaves a list of its own for us. Attaching registers a block with
// python's resource tracker (3.11), which would unlink it at exit: unregister keeps ours (and
// leaves its own) alive, and we unlink.
constexpr const char* kPythonShareableList = R"(
import sys
from multiprocessing import resource_tracker, shared_memory
ours = shared_memory.ShareableList(name=sys.argv[1])
print(repr(list(ours)))
print(ours.format)
ours[0] = 99
ours[3] = 'xyz'
ours.shm.close()
resource_tracker.unregister(ours.shm._name, 'shared_memory')
same = shared_memory.ShareableList([-7, 2.5, True, 'abc', b'xy', None, '\u6b66'])
print(bytes(same.shm.buf).hex())
same.shm.close()
same.shm.unlink()
theirs = shared_memory.ShareableList([3, 'from python', None, 1.5, False, b'\x01\x02'])
print(theirs.shm.name)
theirs.shm.close()
resource_tracker.unregister(theirs.shm._name, 'shared_memory')
)";

std::string hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        out += digits[static_cast<unsigned char>(c) >> 4];
        out += digits[static_cast<unsigned char>(c) & 0xf];
    }
    return out;
}

TEST(Sharing, Step08_PythonAndWeShareOneShareableList) {
    ShareableList ours(Items{I(-7), F(2.5), py::True(), S("abc"), B("xy"), py::None(), S("武")});
    const UnlinkAtEnd cleanup{ours.shm().name()};
    const std::string ours_before = hex(block_bytes(ours));
    sharing_test::Python python(kPythonShareableList, {ours.shm().name()});
    EXPECT_EQ(python.read_line(), "[-7, 2.5, True, 'abc', b'xy', None, '武']")
        << "python3 attached to our list by name and read it (§1)";
    EXPECT_EQ(python.read_line(), "qdxxxxxxx?8s8sxxxxxx?x8s");
    EXPECT_EQ(python.read_line(), ours_before)
        << "python3's ShareableList of the same items has our bytes, byte for byte";
    const std::string theirs_name = python.read_line();
    const UnlinkAtEnd theirs_cleanup{theirs_name};
    ASSERT_EQ(python.wait(), 0) << "the script failed (its traceback is on stderr)";
    EXPECT_EQ(R(ours.getitem(0)), "99") << "python3's writes land in our block";
    EXPECT_EQ(R(ours.getitem(3)), "'xyz'");
    ASSERT_THAT(theirs_name, testing::MatchesRegex("psm_[0-9a-f]+"));
    ShareableList theirs(std::nullopt, theirs_name);
    EXPECT_EQ(theirs.repr(),
              "ShareableList([3, 'from python', None, 1.5, False, b'\\x01\\x02'], "
              "name='" +
                  theirs_name + "')")
        << "we attach to python3's list and read it";
    theirs.setitem(1, S("from C++").get());
    EXPECT_EQ(R(ShareableList(std::nullopt, theirs_name).getitem(1)), "'from C++'");
}

}  // namespace
