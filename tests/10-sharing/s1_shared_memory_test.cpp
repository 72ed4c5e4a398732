// Chapter 10, §1: multiprocessing.shared_memory.SharedMemory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "helpers.hpp"
#include "py/exceptions.hpp"
#include "py/shared_memory.hpp"

namespace {

using py::multiprocessing::shared_memory::SharedMemory;
using sharing_test::exists_in_dev_shm;
using sharing_test::expect_in_child;
using sharing_test::fork_child;
using sharing_test::wait_child;

// A name no other test run uses, so tests running side by side do not meet.
std::string unique_name(const char* what) {
    return std::string("wb10_") + what + "_" + std::to_string(::getpid());
}

// Unlinks at the end of a test, whatever happened, so a failing test leaves nothing behind.
struct UnlinkAtEnd {
    std::string name;
    ~UnlinkAtEnd() { ::shm_unlink(("/" + name).c_str()); }
};

TEST(Sharing, Step01_CreateWriteAndAttachByName) {
    SharedMemory created(std::nullopt, true, 10);
    UnlinkAtEnd cleanup{created.name()};
    EXPECT_THAT(created.name(), testing::MatchesRegex("psm_[0-9a-f]{8}"))
        << "without a name, create picks '/psm_' + 8 hex digits and name() drops the slash (§1)";
    EXPECT_EQ(created.size(), 10U);
    ASSERT_EQ(created.buf().size(), 10U);
    EXPECT_TRUE(exists_in_dev_shm(created.name())) << "on Linux a block is a file in /dev/shm";
    std::memcpy(created.buf().data(), "howdy", 5);

    SharedMemory attached(created.name());
    EXPECT_EQ(attached.size(), 10U) << "attaching maps the whole block";
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(attached.buf().data()), 5), "howdy")
        << "two mappings of one block see the same bytes";
    attached.buf()[0] = std::byte{'H'};
    EXPECT_EQ(static_cast<char>(created.buf()[0]), 'H');

    SharedMemory small(created.name(), false, 3);
    EXPECT_EQ(small.size(), 10U) << "size is the block's, not the argument (CPython fstat()s it)";
    EXPECT_EQ(small.repr(), "SharedMemory('" + created.name() + "', size=10)")
        << "SharedMemory.__repr__ shows the name and the block's size";
    created.unlink();
}

TEST(Sharing, Step02_AChildProcessWritesTheParentReads) {
    // The seed's pattern: the parent creates by name, a child attaches by name and writes.
    const std::string name = unique_name("child");
    SharedMemory block(name, true, 4096);
    UnlinkAtEnd cleanup{name};
    const pid_t child = sharing_test::fork_child([&] {
        SharedMemory mine(name);
        std::memcpy(mine.buf().data(), "from the child", 15);
    });
    ASSERT_EQ(sharing_test::wait_child(child), 0) << "the child could not attach by name (§1)";
    EXPECT_STREQ(reinterpret_cast<const char*>(block.buf().data()), "from the child");
    block.close();
    block.unlink();
}

TEST(Sharing, Step03_ArgumentErrorsAreCPythons) {
    auto expect_value_error = [](auto call, const char* message) {
        try {
            call();
            ADD_FAILURE() << "expected ValueError(\"" << message << "\")";
        } catch (const py::ValueError& e) {
            EXPECT_STREQ(e.what(), message) << "shared_memory.py's message (§1)";
        }
    };
    expect_value_error([] { SharedMemory(std::nullopt, true, 0); },
                       "'size' must be a positive number different from zero");
    expect_value_error([] { SharedMemory(std::nullopt, true, -1); },
                       "'size' must be a positive integer");
    expect_value_error([] { SharedMemory(); }, "'name' can only be None if create=True");
}

TEST(Sharing, Step04_MissingOrTakenNamesAreOSErrors) {
    const std::string name = unique_name("missing");
    try {
        SharedMemory attached(name);
        FAIL() << "attaching to a name nobody created must fail";
    } catch (const py::FileNotFoundError& e) {
        EXPECT_EQ(std::string(e.what()), "[Errno 2] No such file or directory: '/" + name + "'")
            << "CPython's OSError text, with the slashed name (§1)";
    }
    SharedMemory block(name, true, 16);
    UnlinkAtEnd cleanup{name};
    try {
        SharedMemory again(name, true, 16);
        FAIL() << "create=True on a taken name must fail (O_EXCL)";
    } catch (const py::FileExistsError& e) {
        EXPECT_EQ(std::string(e.what()), "[Errno 17] File exists: '/" + name + "'");
    }
    block.unlink();
    EXPECT_THROW(block.unlink(), py::FileNotFoundError) << "a second unlink finds nothing";
    try {
        SharedMemory gone(name);
        FAIL() << "after unlink the name is gone";
    } catch (const py::OSError& e) {
        EXPECT_THAT(e.what(), testing::HasSubstr("No such file or directory"));
    }
}

TEST(Sharing, Step05_CloseAndUnlinkLeaveNothingInDevShm) {
    SharedMemory block(std::nullopt, true, 100);
    const std::string name = block.name();
    UnlinkAtEnd cleanup{name};
    block.buf()[99] = std::byte{7};
    block.close();
    EXPECT_TRUE(block.buf().empty()) << "close() unmaps: buf() is empty afterwards (§1)";
    block.close();  // twice is harmless
    EXPECT_TRUE(exists_in_dev_shm(name)) << "close() keeps the block for other processes";
    {
        SharedMemory again(name);
        EXPECT_EQ(again.buf()[99], std::byte{7}) << "the bytes outlive every mapping";
    }
    block.unlink();
    EXPECT_FALSE(exists_in_dev_shm(name)) << "unlink() removes /dev/shm/" << name;

    // Moving hands the mapping over; the moved-from object owns nothing.
    SharedMemory first(std::nullopt, true, 8);
    UnlinkAtEnd first_cleanup{first.name()};
    first.buf()[0] = std::byte{42};
    SharedMemory moved(std::move(first));
    EXPECT_EQ(moved.buf()[0], std::byte{42});
    SharedMemory assigned(std::nullopt, true, 8);
    UnlinkAtEnd assigned_cleanup{assigned.name()};
    assigned.unlink();
    assigned = std::move(moved);
    EXPECT_EQ(assigned.size(), 8U);
    EXPECT_EQ(assigned.buf()[0], std::byte{42});
    assigned.unlink();

    // A block of size 0 (made by someone else) cannot be mapped: mmap's ValueError.
    const std::string empty = unique_name("empty");
    UnlinkAtEnd empty_cleanup{empty};
    const int fd = ::shm_open(("/" + empty).c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    ASSERT_GE(fd, 0);
    ::close(fd);
    try {
        SharedMemory zero(empty);
        FAIL() << "an empty block cannot be attached";
    } catch (const py::ValueError& e) {
        EXPECT_STREQ(e.what(), "cannot mmap an empty file");
    }

    // A constructor that fails after shm_open unlinks the block it created. mmap of 2**62 bytes
    // fails as python3's SharedMemory(create=True, size=2**62) does:
    const std::string huge = unique_name("huge");
    UnlinkAtEnd huge_cleanup{huge};
    try {
        SharedMemory too_big(huge, true, std::int64_t{1} << 62);
        FAIL() << "mapping 2**62 bytes cannot succeed";
    } catch (const py::OSError& e) {
        EXPECT_STREQ(e.what(), "[Errno 12] Cannot allocate memory") << "mmap's errno (§1)";
    }
    EXPECT_FALSE(exists_in_dev_shm(huge)) << "a failed create unlinks what it made (§1)";

    // ... and so does a failing ftruncate: a child whose files may not grow past 4 KiB
    // (RLIMIT_FSIZE; SIGXFSZ ignored, so ftruncate returns EFBIG).
    const std::string limited = unique_name("limited");
    UnlinkAtEnd limited_cleanup{limited};
    const pid_t child = fork_child([&] {
        ::signal(SIGXFSZ, SIG_IGN);
        rlimit saved{};
        ::getrlimit(RLIMIT_FSIZE, &saved);
        const rlimit limit{4096, saved.rlim_max};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        expect_in_child<py::OSError>([&] { SharedMemory block(limited, true, 8192); },
                                     "[Errno 27] File too large");
        ::setrlimit(RLIMIT_FSIZE, &saved);  // (a coverage build's child writes its counters)
    });
    EXPECT_EQ(wait_child(child), 0) << "ftruncate's EFBIG is OSError (see the child's stderr)";
    EXPECT_FALSE(exists_in_dev_shm(limited)) << "a failed create unlinks what it made (§1)";
}

}  // namespace
