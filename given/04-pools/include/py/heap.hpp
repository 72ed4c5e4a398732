// The heap picture: the runtime's object graph as Graphviz DOT.
//
// Each object is a node labelled with its type, its value for scalars, its refcount and its
// generation; each reference a container holds (what its tp_traverse visits) is an edge. Objects
// a full collection would find unreachable right now are filled red, without collecting anything.
//
// From any test, in one line:   py::heap::snapshot("after-del", {v1.get()});
// and run it with WORKBOOK_HEAP_DOT=some/dir (or =picture.dot); then  dot -Tsvg x.dot -o x.svg
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "py/object.hpp"

namespace py::heap {

struct DotOptions {
    std::vector<Object*> roots;  // drawn with everything they reach; marked as roots
    bool unreachable = true;     // also draw every unreachable tracked object (and what it reaches)
    bool all_objects = false;    // draw every object on refchain (large!; PY_TRACE_REFS only)
    std::string title;           // graph label
};

// The objects a full collection would find unreachable now (borrowed), found on a side copy of
// the refcounts: nothing is moved, cleared or finalized.
std::vector<Object*> unreachable_objects();

// The DOT text of the picture.
std::string to_dot(const DotOptions& options);

// Writes to_dot(options) to `path`. Throws py::OSError when the file cannot be written.
void write_dot(const std::string& path, const DotOptions& options);

// If the environment variable WORKBOOK_HEAP_DOT is set, writes the picture there and returns
// the path: a value ending in ".dot" is the file, anything else a directory that gets
// "<name>.dot". Does nothing and returns "" when it is not set.
std::string snapshot(std::string_view name, const std::vector<Object*>& roots = {},
                     std::string_view title = {});

}  // namespace py::heap
