// The CPython peer: an embedded interpreter (libpython) started once per benchmark process, so
// a benchmark can time CPython's own C API next to ours in the same run.
#pragma once

#include <benchmark/benchmark.h>

#include <string>

#if WORKBOOK_HAVE_LIBPYTHON
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#endif

namespace workbook::bench {

// Starts the interpreter on first use. False (after SkipWithError) when this build has no
// libpython: such a benchmark must return at once.
bool cpython_ready(benchmark::State& state);

// Runs python3 with `code` and returns what it printed on stdout (for stdlib peers such as
// concurrent.futures). Throws std::runtime_error when python3 is missing or fails.
std::string run_python(const std::string& code);

}  // namespace workbook::bench
