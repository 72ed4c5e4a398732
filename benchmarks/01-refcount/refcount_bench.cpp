// Chapter 01's hot operations against CPython 3.11's C API, in one run.
#include <benchmark/benchmark.h>

#include "cpython.hpp"
#include "py/runtime.hpp"

namespace {

// One incref and one decref of a live object: Py_INCREF/Py_DECREF.
void incref_decref_ours(benchmark::State& state) {
    auto object = py::Int::create(12345);
    for (auto _ : state) {
        py::incref(object.get());
        benchmark::DoNotOptimize(object.get());
        py::decref(object.get());
    }
}
BENCHMARK(incref_decref_ours)->Name("incref_decref/ours");

void incref_decref_cpython(benchmark::State& state) {
    if (!workbook::bench::cpython_ready(state)) {
        return;
    }
#if WORKBOOK_HAVE_LIBPYTHON
    PyObject* object = PyLong_FromLong(12345);
    for (auto _ : state) {
        Py_INCREF(object);
        benchmark::DoNotOptimize(object);
        Py_DECREF(object);
    }
    Py_DECREF(object);
#endif
}
BENCHMARK(incref_decref_cpython)->Name("incref_decref/cpython");

// A new int outside the small-int cache, then its deallocation.
void int_new_free_ours(benchmark::State& state) {
    for (auto _ : state) {
        auto value = py::Int::create(100000);
        benchmark::DoNotOptimize(value.get());
    }
}
BENCHMARK(int_new_free_ours)->Name("int_new_free/ours");

void int_new_free_cpython(benchmark::State& state) {
    if (!workbook::bench::cpython_ready(state)) {
        return;
    }
#if WORKBOOK_HAVE_LIBPYTHON
    for (auto _ : state) {
        PyObject* value = PyLong_FromLong(100000);
        benchmark::DoNotOptimize(value);
        Py_DECREF(value);
    }
#endif
}
BENCHMARK(int_new_free_cpython)->Name("int_new_free/cpython");

// Build a 1000-item list by appending one shared item, then free it.
void list_append_1000_ours(benchmark::State& state) {
    auto item = py::None();
    for (auto _ : state) {
        auto list = py::List::create();
        for (int i = 0; i < 1000; ++i) {
            list->append(item.get());
        }
        benchmark::DoNotOptimize(list.get());
    }
}
BENCHMARK(list_append_1000_ours)->Name("list_append_1000/ours");

void list_append_1000_cpython(benchmark::State& state) {
    if (!workbook::bench::cpython_ready(state)) {
        return;
    }
#if WORKBOOK_HAVE_LIBPYTHON
    for (auto _ : state) {
        PyObject* list = PyList_New(0);
        for (int i = 0; i < 1000; ++i) {
            PyList_Append(list, Py_None);
        }
        benchmark::DoNotOptimize(list);
        Py_DECREF(list);
    }
#endif
}
BENCHMARK(list_append_1000_cpython)->Name("list_append_1000/cpython");

// d[i] = i for 1000 int keys, then d[i] lookups, then free.
void dict_set_get_1000_ours(benchmark::State& state) {
    std::vector<py::Ref<py::Int>> keys;
    for (int i = 0; i < 1000; ++i) {
        keys.push_back(py::Int::create(i * 7919));
    }
    for (auto _ : state) {
        auto dict = py::Dict::create();
        for (const auto& key : keys) {
            dict->setitem(key.get(), key.get());
        }
        for (const auto& key : keys) {
            benchmark::DoNotOptimize(dict->get(key.get()));
        }
    }
}
BENCHMARK(dict_set_get_1000_ours)->Name("dict_set_get_1000/ours");

void dict_set_get_1000_cpython(benchmark::State& state) {
    if (!workbook::bench::cpython_ready(state)) {
        return;
    }
#if WORKBOOK_HAVE_LIBPYTHON
    std::vector<PyObject*> keys;
    for (int i = 0; i < 1000; ++i) {
        keys.push_back(PyLong_FromLong(i * 7919));
    }
    for (auto _ : state) {
        PyObject* dict = PyDict_New();
        for (PyObject* key : keys) {
            PyDict_SetItem(dict, key, key);
        }
        for (PyObject* key : keys) {
            benchmark::DoNotOptimize(PyDict_GetItem(dict, key));
        }
        Py_DECREF(dict);
    }
    for (PyObject* key : keys) {
        Py_DECREF(key);
    }
#endif
}
BENCHMARK(dict_set_get_1000_cpython)->Name("dict_set_get_1000/cpython");

}  // namespace
