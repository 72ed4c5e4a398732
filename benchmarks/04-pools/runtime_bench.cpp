// Chapters 02-04 against CPython 3.11's C API, in one run: allocation with the free lists and
// caches of chapter 04, the collector of chapters 02-03, and the bytes each object costs.
// Run: cmake --workflow --preset bench   (see docs/benchmarks.md, "02-04 runtime")
#include <benchmark/benchmark.h>

#include <vector>

#include "cpython.hpp"
#include "py/runtime_pools.hpp"

namespace {

constexpr int kPairs = 500'000;   // 1M lists of cyclic garbage
constexpr int kLive = 1'000'000;  // 1M live tracked lists

// --- float new + free: the float free list ---------------------------------------------------

void float_new_free_ours(benchmark::State& state) {
    double value = 0.5;
    for (auto _ : state) {
        auto number = py::Float::create(value);
        benchmark::DoNotOptimize(number.get());
        value += 1.0;
    }
}
BENCHMARK(float_new_free_ours)->Name("float_new_free/ours");

void float_new_free_cpython(benchmark::State& state) {
    if (!workbook::bench::cpython_ready(state)) {
        return;
    }
#if WORKBOOK_HAVE_LIBPYTHON
    double value = 0.5;
    for (auto _ : state) {
        PyObject* number = PyFloat_FromDouble(value);
        benchmark::DoNotOptimize(number);
        Py_DECREF(number);
        value += 1.0;
    }
#endif
}
BENCHMARK(float_new_free_cpython)->Name("float_new_free/cpython");

// --- empty list new + free: the list free list, GC tracking -------------------------------------

void empty_list_new_free_ours(benchmark::State& state) {
    for (auto _ : state) {
        auto list = py::List::create();
        benchmark::DoNotOptimize(list.get());
    }
}
BENCHMARK(empty_list_new_free_ours)->Name("empty_list_new_free/ours");

void empty_list_new_free_cpython(benchmark::State& state) {
    if (!workbook::bench::cpython_ready(state)) {
        return;
    }
#if WORKBOOK_HAVE_LIBPYTHON
    for (auto _ : state) {
        PyObject* list = PyList_New(0);
        benchmark::DoNotOptimize(list);
        Py_DECREF(list);
    }
#endif
}
BENCHMARK(empty_list_new_free_cpython)->Name("empty_list_new_free/cpython");

// --- list append + free: a new list, 8 appends (two item-array growths), free
// ----------------------

void list_append_free_ours(benchmark::State& state) {
    auto item = py::None();
    for (auto _ : state) {
        auto list = py::List::create();
        for (int i = 0; i < 8; ++i) {
            list->append(item.get());
        }
        benchmark::DoNotOptimize(list.get());
    }
}
BENCHMARK(list_append_free_ours)->Name("list_append8_free/ours");

void list_append_free_cpython(benchmark::State& state) {
    if (!workbook::bench::cpython_ready(state)) {
        return;
    }
#if WORKBOOK_HAVE_LIBPYTHON
    for (auto _ : state) {
        PyObject* list = PyList_New(0);
        for (int i = 0; i < 8; ++i) {
            PyList_Append(list, Py_None);
        }
        benchmark::DoNotOptimize(list);
        Py_DECREF(list);
    }
#endif
}
BENCHMARK(list_append_free_cpython)->Name("list_append8_free/cpython");

// --- small-int fetch: the cache of [-5, 256]
// ------------------------------------------------------

void small_int_fetch_ours(benchmark::State& state) {
    long long value = 0;
    for (auto _ : state) {
        auto number = py::int_from(value & 255);
        benchmark::DoNotOptimize(number.get());
        ++value;
    }
}
BENCHMARK(small_int_fetch_ours)->Name("small_int_fetch/ours");

void small_int_fetch_cpython(benchmark::State& state) {
    if (!workbook::bench::cpython_ready(state)) {
        return;
    }
#if WORKBOOK_HAVE_LIBPYTHON
    long value = 0;
    for (auto _ : state) {
        PyObject* number = PyLong_FromLong(value & 255);
        benchmark::DoNotOptimize(number);
        Py_DECREF(number);
        ++value;
    }
#endif
}
BENCHMARK(small_int_fetch_cpython)->Name("small_int_fetch/cpython");

// --- collecting 1M objects that are all cyclic garbage (500k pairs of lists) --------------------

// Times collect() over `pairs` pairs of lists that refer to each other and to nothing else.
void collect_cyclic_pairs_ours(benchmark::State& state, int pairs) {
    py::gc::disable();
    py::gc::collect();
    for (auto _ : state) {
        state.PauseTiming();
        for (int i = 0; i < pairs; ++i) {
            auto a = py::List::create();
            auto b = py::List::create();
            a->append(b.get());
            b->append(a.get());
        }
        state.ResumeTiming();
        benchmark::DoNotOptimize(py::gc::collect());
    }
    py::gc::enable();
}

void collect_1m_garbage_ours(benchmark::State& state) {
    collect_cyclic_pairs_ours(state, kPairs);
}
BENCHMARK(collect_1m_garbage_ours)->Name("collect_1M_cyclic_garbage/ours");

// Linearity: a collection's cost grows with the number of tracked objects, not faster. 10M
// objects of garbage against 1M: the target is 10x, +-20% (benchmarks/targets.json).
void collect_10m_garbage_ours(benchmark::State& state) {
    collect_cyclic_pairs_ours(state, 10 * kPairs);
}
BENCHMARK(collect_10m_garbage_ours)
    ->Name("collect_cyclic_garbage_10M_vs_1M/ours")
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(collect_1m_garbage_ours)
    ->Name("collect_cyclic_garbage_10M_vs_1M/1M")
    ->Iterations(10)
    ->Unit(benchmark::kMillisecond);

void collect_1m_garbage_cpython(benchmark::State& state) {
    if (!workbook::bench::cpython_ready(state)) {
        return;
    }
#if WORKBOOK_HAVE_LIBPYTHON
    PyGC_Disable();
    for (auto _ : state) {
        state.PauseTiming();
        for (int i = 0; i < kPairs; ++i) {
            PyObject* a = PyList_New(0);
            PyObject* b = PyList_New(0);
            PyList_Append(a, b);
            PyList_Append(b, a);
            Py_DECREF(a);
            Py_DECREF(b);
        }
        PyGC_Enable();  // PyGC_Collect does nothing while the collector is disabled
        state.ResumeTiming();
        benchmark::DoNotOptimize(PyGC_Collect());
        state.PauseTiming();
        PyGC_Disable();
        state.ResumeTiming();
    }
    PyGC_Enable();
#endif
}
BENCHMARK(collect_1m_garbage_cpython)->Name("collect_1M_cyclic_garbage/cpython");

// --- collecting with 1M live tracked lists and no garbage -------------------------------------

void collect_1m_live_ours(benchmark::State& state) {
    py::gc::disable();
    auto holder = py::List::create();
    for (int i = 0; i < kLive; ++i) {
        holder->append(py::List::create().get());
    }
    py::gc::collect();
    for (auto _ : state) {
        benchmark::DoNotOptimize(py::gc::collect());
    }
    holder.reset();
    py::gc::enable();
}
BENCHMARK(collect_1m_live_ours)->Name("collect_1M_live_lists/ours");

void collect_1m_live_cpython(benchmark::State& state) {
    if (!workbook::bench::cpython_ready(state)) {
        return;
    }
#if WORKBOOK_HAVE_LIBPYTHON
    PyGC_Disable();
    PyObject* holder = PyList_New(0);
    for (int i = 0; i < kLive; ++i) {
        PyObject* list = PyList_New(0);
        PyList_Append(holder, list);
        Py_DECREF(list);
    }
    PyGC_Enable();   // PyGC_Collect does nothing while the collector is disabled; with 1M
    PyGC_Collect();  // objects in generation 2 the automatic trigger stays quiet here
    for (auto _ : state) {
        benchmark::DoNotOptimize(PyGC_Collect());
    }
    Py_DECREF(holder);
#endif
}
BENCHMARK(collect_1m_live_cpython)->Name("collect_1M_live_lists/cpython");

// --- bytes per object: ours (GC header + object + the list's array or the dict's keys block)
// against sys.getsizeof, which already includes CPython's 16-byte GC header for GC objects. The
// time column of these three is one allocation and free; only the "bytes" line matters.

double ours_dict_bytes(const py::Dict* dict) {
    return static_cast<double>(sizeof(py::gc::GCHead) + sizeof(py::Dict) +
                               dict->ma_keys->allocated_bytes());
}

py::Ref<py::Dict> dict_of_8() {
    auto dict = py::Dict::create();
    for (long long i = 0; i < 8; ++i) {
        dict->setitem(py::int_from(i).get(), py::None().get());
    }
    return dict;
}

void bytes_float_ours(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(py::Float::create(1.5).get());
    }
    state.counters["bytes"] = sizeof(py::Float);
}
BENCHMARK(bytes_float_ours)->Name("bytes_per_float/ours");

void bytes_empty_list_ours(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(py::List::create().get());
    }
    state.counters["bytes"] = sizeof(py::gc::GCHead) + sizeof(py::List);
}
BENCHMARK(bytes_empty_list_ours)->Name("bytes_per_empty_list/ours");

void bytes_dict8_ours(benchmark::State& state) {
    double bytes = 0;
    for (auto _ : state) {
        auto dict = dict_of_8();
        bytes = ours_dict_bytes(dict.get());
    }
    state.counters["bytes"] = bytes;
}
BENCHMARK(bytes_dict8_ours)->Name("bytes_per_dict_of_8/ours");

#if WORKBOOK_HAVE_LIBPYTHON
double getsizeof(PyObject* op) {
    PyObject* sys = PyImport_ImportModule("sys");
    PyObject* size = PyObject_CallMethod(sys, "getsizeof", "O", op);
    const double bytes = PyFloat_AsDouble(size);
    Py_DECREF(size);
    Py_DECREF(sys);
    return bytes;
}
#endif

void bytes_float_cpython(benchmark::State& state) {
    if (!workbook::bench::cpython_ready(state)) {
        return;
    }
#if WORKBOOK_HAVE_LIBPYTHON
    for (auto _ : state) {
        PyObject* number = PyFloat_FromDouble(1.5);
        benchmark::DoNotOptimize(number);
        Py_DECREF(number);
    }
    PyObject* number = PyFloat_FromDouble(1.5);
    state.counters["bytes"] = getsizeof(number);
    Py_DECREF(number);
#endif
}
BENCHMARK(bytes_float_cpython)->Name("bytes_per_float/cpython");

void bytes_empty_list_cpython(benchmark::State& state) {
    if (!workbook::bench::cpython_ready(state)) {
        return;
    }
#if WORKBOOK_HAVE_LIBPYTHON
    for (auto _ : state) {
        PyObject* list = PyList_New(0);
        benchmark::DoNotOptimize(list);
        Py_DECREF(list);
    }
    PyObject* list = PyList_New(0);
    state.counters["bytes"] = getsizeof(list);
    Py_DECREF(list);
#endif
}
BENCHMARK(bytes_empty_list_cpython)->Name("bytes_per_empty_list/cpython");

void bytes_dict8_cpython(benchmark::State& state) {
    if (!workbook::bench::cpython_ready(state)) {
        return;
    }
#if WORKBOOK_HAVE_LIBPYTHON
    double bytes = 0;
    for (auto _ : state) {
        PyObject* dict = PyDict_New();
        for (long i = 0; i < 8; ++i) {
            PyObject* key = PyLong_FromLong(i);
            PyDict_SetItem(dict, key, Py_None);
            Py_DECREF(key);
        }
        bytes = getsizeof(dict);
        Py_DECREF(dict);
    }
    state.counters["bytes"] = bytes;
#endif
}
BENCHMARK(bytes_dict8_cpython)->Name("bytes_per_dict_of_8/cpython");

}  // namespace
