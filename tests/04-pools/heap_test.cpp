// Steps 12-14: the heap picture. Lesson §4.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "py/runtime_pools.hpp"

namespace {

using testing::HasSubstr;
using testing::Not;
using testing::UnorderedElementsAre;

// Sets WORKBOOK_HEAP_DOT for the scope of a test.
class HeapDotVariable {
  public:
    explicit HeapDotVariable(const std::string& value) {
        if (const char* old = std::getenv("WORKBOOK_HEAP_DOT")) {
            old_ = old;
        }
        ::setenv("WORKBOOK_HEAP_DOT", value.c_str(), 1);
    }
    ~HeapDotVariable() {
        if (old_.empty()) {
            ::unsetenv("WORKBOOK_HEAP_DOT");
        } else {
            ::setenv("WORKBOOK_HEAP_DOT", old_.c_str(), 1);
        }
    }
    HeapDotVariable(const HeapDotVariable&) = delete;
    HeapDotVariable& operator=(const HeapDotVariable&) = delete;

  private:
    std::string old_;
};

std::string read(const std::string& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

TEST(Pools, Step12_UnreachableObjectsAreFoundWithoutCollecting) {
    py::gc::collect();
    auto live = py::List::create();
    live->append(live.get());  // a cycle, but still named
    py::List* a_raw = nullptr;
    py::List* b_raw = nullptr;
    {
        auto a = py::List::create();
        auto b = py::List::create();
        a->append(b.get());
        b->append(a.get());
        a_raw = a.get();
        b_raw = b.get();
    }
    EXPECT_THAT(py::heap::unreachable_objects(), UnorderedElementsAre(a_raw, b_raw));
    EXPECT_EQ(py::refcount(a_raw), 1) << "a look, not a collection: nothing changed";
    EXPECT_EQ(a_raw->size(), 1);
    EXPECT_EQ(py::gc::collect(), 2);
    EXPECT_THAT(py::heap::unreachable_objects(), testing::IsEmpty());
    live->clear();
}

TEST(Pools, Step13_TheHeapPictureShowsTypesRefcountsGenerationsAndReferences) {
    py::gc::collect();
    auto root = py::List::create();  // v1 = [11, 22, 33]
    for (long long n : {11, 22, 33}) {
        root->append(py::int_from(n).get());
    }
    {
        auto cycle = py::List::create();
        cycle->append(cycle.get());
    }
    auto long_text = py::Str::create("a string far too long to show in full");
    auto pair = py::Tuple::pack({long_text.get(), py::None().get()});
    root->append(pair.get());
    py::heap::DotOptions options;
    options.roots = {root.get()};
    options.title = "v1 and a lost cycle";
    const std::string dot = py::heap::to_dot(options);
    EXPECT_THAT(dot, HasSubstr("digraph heap {"));
    EXPECT_THAT(dot, HasSubstr("label=\"v1 and a lost cycle\""));
    EXPECT_THAT(dot, HasSubstr("list len 4\\nrefcnt 1 · gen 0"))
        << "type, size, refcount, generation";
    EXPECT_THAT(dot, HasSubstr("tuple len 2"));
    EXPECT_THAT(dot, HasSubstr("str 'a string far too lon...")) << "long values are cut";
    EXPECT_THAT(dot, HasSubstr("int 11\\nrefcnt")) << "scalars show their value";
    EXPECT_THAT(dot, HasSubstr("untracked"));
    EXPECT_THAT(dot, HasSubstr("o0 -> o")) << "one edge per reference";
    EXPECT_THAT(dot, HasSubstr("fillcolor=\"#f4a6a6\"")) << "the unreachable cycle is highlighted";
    EXPECT_THAT(dot, HasSubstr("penwidth=2.5")) << "roots are drawn bold";
    options.unreachable = false;
    EXPECT_THAT(py::heap::to_dot(options), Not(HasSubstr("#f4a6a6")));
    py::gc::collect();
    EXPECT_THAT(py::heap::to_dot({}), Not(HasSubstr("->"))) << "nothing to draw: an empty graph";
    options.roots = {};
    options.all_objects = true;
    EXPECT_THAT(py::heap::to_dot(options), HasSubstr("int 256")) << "all_objects draws refchain";
}

TEST(Pools, Step14_ASnapshotFromATestIsOneLine) {
    const auto directory =
        std::filesystem::temp_directory_path() / ("heap-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory);
    auto list = py::List::create();
    list->append(py::str_from("x").get());
    {
        const HeapDotVariable variable(directory.string());
        const std::string path = py::heap::snapshot("my-test", {list.get()});
        EXPECT_EQ(path, (directory / "my-test.dot").string());
        EXPECT_THAT(read(path), HasSubstr("str 'x'"));
    }
    {
        const HeapDotVariable variable((directory / "exact.dot").string());
        EXPECT_EQ(py::heap::snapshot("ignored", {list.get()}), (directory / "exact.dot").string());
        EXPECT_THAT(read((directory / "exact.dot").string()), HasSubstr("label=\"ignored\""));
    }
    ::unsetenv("WORKBOOK_HEAP_DOT");
    EXPECT_EQ(py::heap::snapshot("nothing", {list.get()}), "")
        << "without the variable: nothing written";
    EXPECT_THROW(py::heap::write_dot((directory / "missing" / "x.dot").string(), {}), py::OSError);
    std::filesystem::remove_all(directory);
}

}  // namespace
