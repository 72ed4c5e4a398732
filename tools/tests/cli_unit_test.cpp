// Unit tests of the CLI's parts that need no build: reading ninja's output after a failed build,
// which chapters a broken one stops, where a failure points and how to rerun it, watching folders
// created after the watch started, and starting processes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "build.hpp"
#include "file_watcher.hpp"
#include "process.hpp"
#include "report.hpp"

namespace workbook {
namespace {

namespace fs = std::filesystem;

Chapter chapter(const std::string& number, const std::string& slug,
                std::vector<std::string> depends = {}) {
    Chapter result;
    result.number = number;
    result.folder = number + "-" + slug;
    result.depends = std::move(depends);
    return result;
}

BuildIndex three_chapters() {
    BuildIndex index;
    index.source_dir = "/src";
    index.build_dir = "/src/build/learn";
    index.chapters = {chapter("01", "refcount"), chapter("02", "mark-sweep", {"01"}),
                      chapter("03", "generations", {"02"}), chapter("05", "threads")};
    return index;
}

// What ninja prints (NINJA_STATUS "[%f/%t] ", -k 0) when list.cpp of chapter 01 has a typo.
const std::vector<std::string> kTypoInChapter01 = {
    "[1/9] Building CXX object chapters/05-threads/CMakeFiles/ch05_threads.dir/a.cpp.o",
    "[2/9] Building CXX object chapters/01-refcount/CMakeFiles/ch01_refcount.dir/list.cpp.o",
    "FAILED: chapters/01-refcount/CMakeFiles/ch01_refcount.dir/__/__/skeletons/list.cpp.o ",
    "/usr/bin/c++ -I/src/skeletons/01-refcount/include -c /src/skeletons/01-refcount/src/list.cpp",
    "/src/skeletons/01-refcount/src/list.cpp: In member function 'void py::List::append()':",
    "/src/skeletons/01-refcount/src/list.cpp:42:5: error: expected ';' before '}' token",
    "   42 |     x = 1",
    "      |          ^",
    "/src/skeletons/01-refcount/src/list.cpp:50:1: error: 'y' was not declared in this scope",
    "[3/9] Linking CXX shared library lib/libch05_threads.so",
    "ninja: build stopped: cannot make progress due to previous errors.",
};

TEST(BuildLog, ACompileErrorBreaksItsChapterOnly) {
    const BuildOutcome outcome = parse_build_log(kTypoInChapter01, "/src");
    EXPECT_FALSE(outcome.ok);
    EXPECT_TRUE(outcome.unowned_failure.empty()) << outcome.unowned_failure;
    ASSERT_EQ(outcome.broken.size(), 1U);
    const CompileError& error = outcome.broken.at("01");
    EXPECT_EQ(error.location, "skeletons/01-refcount/src/list.cpp:42:5");
    EXPECT_EQ(error.message, "error: expected ';' before '}' token");
    EXPECT_NE(error.excerpt.find("42 |     x = 1"), std::string::npos) << error.excerpt;
    EXPECT_EQ(error.excerpt.find("'y' was not declared"), std::string::npos)
        << "the excerpt stops at the next error: " << error.excerpt;
    EXPECT_NE(error.output.find("'y' was not declared"), std::string::npos);
    EXPECT_EQ(error.output.find("/src/skeletons"), std::string::npos) << "paths are relative";
    EXPECT_NE(error.output.find("\nskeletons/01-refcount/src/list.cpp:42:5: error"),
              std::string::npos)
        << error.output;
}

TEST(BuildLog, DependantsWaitTheOthersRun) {
    const BuildIndex index = three_chapters();
    const BuildOutcome outcome = parse_build_log(kTypoInChapter01, "/src");
    EXPECT_EQ(outcome.blocker(index, index.chapters[0]), "01");  // does not compile
    EXPECT_EQ(outcome.blocker(index, index.chapters[1]), "01");  // waits on 01
    EXPECT_EQ(outcome.blocker(index, index.chapters[2]), "01");  // through 02
    EXPECT_EQ(outcome.blocker(index, index.chapters[3]), "");    // runs as usual
    const ChapterProgress waiting = blocked_chapter(index, index.chapters[2], outcome);
    EXPECT_EQ(waiting.blocked_by, "01");
    ASSERT_TRUE(waiting.compile_error.has_value());
    EXPECT_EQ(waiting.compile_error->location, "skeletons/01-refcount/src/list.cpp:42:5");
}

TEST(BuildLog, AnUndefinedReferenceNamesItsPlace) {
    const BuildOutcome outcome = parse_build_log(
        {"[7/9] Linking CXX shared library lib/libch02_mark_sweep.so",
         "FAILED: lib/libch02_mark_sweep.so ", "/usr/bin/c++ -shared -o lib/libch02_mark_sweep.so",
         "/usr/bin/ld: gc.cpp.o: in function `py::gc::collect()':",
         "/src/skeletons/02-mark-sweep/src/gc.cpp:17: undefined reference to `py::Instance::get()'",
         "collect2: error: ld returned 1 exit status"},
        "/src");
    ASSERT_EQ(outcome.broken.count("02"), 1U);
    EXPECT_EQ(outcome.broken.at("02").location, "skeletons/02-mark-sweep/src/gc.cpp:17");
    EXPECT_EQ(outcome.broken.at("02").message, "undefined reference to `py::Instance::get()'");
}

TEST(BuildLog, AFailureOutsideTheChaptersIsShownWhole) {
    const BuildOutcome outcome = parse_build_log(
        {"[0/2] Re-running CMake...",
         "CMake Error at CMakeLists.txt:3 (oops):", "  something is wrong", "FAILED: build.ninja ",
         "/usr/bin/cmake ...", "ninja: error: rebuilding 'build.ninja': subcommand failed"},
        "/src");
    EXPECT_TRUE(outcome.broken.empty());
    EXPECT_NE(outcome.unowned_failure.find("build.ninja"), std::string::npos);
}

TEST(FailurePlace, TheTodoThatThrewComesFirst) {
    // GoogleTest's text for an exception escaping the test body, and the TODO's "(at FILE:LINE)".
    EXPECT_EQ(failure_place("unknown file\nC++ exception with description \"void py::f() is not "
                            "written yet: read chapters/01-refcount/README.md §5 (at "
                            "/src/skeletons/01-refcount/src/list.cpp:42)\" thrown in the test "
                            "body.",
                            "/src"),
              "skeletons/01-refcount/src/list.cpp:42");
    EXPECT_EQ(failure_place("/src/tests/01-refcount/list_test.cpp:17\nExpected equality", "/src"),
              "tests/01-refcount/list_test.cpp:17");
    EXPECT_EQ(failure_place("crashed (killed by signal Segmentation fault)", "/src"), "");
}

TEST(Rerun, OneCommandRunsJustThatTest) {
    BuildIndex index = three_chapters();
    Chapter& first = index.chapters[0];
    first.binary = "/src/build/learn/tests/01-refcount/ch01_refcount_tests";
    TestResult result;
    result.name = "Refcount.Step03_Overflow";
    result.outcome = Outcome::Failed;
    EXPECT_EQ(rerun_command(index, first, result, 10),
              "build/learn/tests/01-refcount/ch01_refcount_tests "
              "--gtest_filter=Refcount.Step03_Overflow");
    result.outcome = Outcome::TimedOut;
    EXPECT_EQ(rerun_command(index, first, result, 10),
              "WORKBOOK_TEST_TIMEOUT=10 build/learn/tests/01-refcount/ch01_refcount_tests "
              "--gtest_filter=Refcount.Step03_Overflow");
}

class TempDir : public testing::Test {
  protected:
    void SetUp() override {
        std::string name = (fs::temp_directory_path() / "workbook-unit-XXXXXX").string();
        ASSERT_NE(mkdtemp(name.data()), nullptr);
        dir_ = name;
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

using Watcher = TempDir;

TEST_F(Watcher, SeesFilesInFoldersCreatedAfterItStarted) {
    FileWatcher watcher;
    watcher.add_tree(dir_);
    fs::create_directory(dir_ / "detail");
    const auto created = watcher.wait_for_changes();
    ASSERT_FALSE(created.empty());
    EXPECT_EQ(created.front(), dir_ / "detail");
    std::ofstream(dir_ / "detail" / "helper.cpp") << "// new\n";
    const auto written = watcher.wait_for_changes();
    EXPECT_NE(std::find(written.begin(), written.end(), dir_ / "detail" / "helper.cpp"),
              written.end());
}

using Process = TempDir;

TEST_F(Process, CapturesOutputAndReportsWhatCannotStart) {
    EXPECT_EQ(capture({"echo", "a b", "'c'"}), "a b 'c'") << "arguments are never re-quoted";
    EXPECT_EQ(capture({"false"}), std::nullopt);
    EXPECT_EQ(run({"sh", "-c", "exit 7"}), 7);
    EXPECT_THROW(spawn({"/no/such/program"}), SpawnError);
    SpawnOptions in_dir;
    in_dir.working_dir = dir_;
    EXPECT_EQ(capture({"pwd"}, in_dir), fs::canonical(dir_).string());
}

}  // namespace
}  // namespace workbook
