// Generational collection: three generations, thresholds, the automatic trigger, and the rest of
// Python's gc module.
//
// CPython 3.11/3.12: Modules/gcmodule.c (gc_collect_main, gc_collect_generations,
// gc_collect_with_callback, invoke_gc_callback, _PyObject_GC_Link, PyObject_GC_Del, gc_freeze_impl,
// gc_get_objects_impl), Include/internal/pycore_gc.h (struct gc_generation, GCState).
// 3.13 replaced this with an incremental collector (see the lesson, §6).
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "py/gc.hpp"
#include "py/object.hpp"
#include "py/ref.hpp"

namespace py::gc {

constexpr int NUM_GENERATIONS = 3;

// struct gc_generation: the objects of one generation and when to collect it. For generation 0,
// `count` is allocations minus deallocations of GC objects since its last collection; for
// generation n > 0 it is the number of collections of generation n - 1 since its last collection.
struct Generation {
    GCHead head;
    int threshold;
    int count;
};

// gc.get_stats() entries.
struct GenerationStats {
    ssize_t collections = 0;
    ssize_t collected = 0;
    ssize_t uncollectable = 0;
    bool operator==(const GenerationStats&) const = default;
};

// What a gc.callbacks entry receives: the phase ("start" or "stop") and this.
struct CallbackInfo {
    int generation;
    ssize_t collected;      // 0 in the "start" phase
    ssize_t uncollectable;  // 0 in the "start" phase
};
using Callback = std::function<void(std::string_view phase, const CallbackInfo& info)>;

// The generational part of GCState.
struct Generations {
    Generations() noexcept;
    Generations(const Generations&) = delete;
    Generations& operator=(const Generations&) = delete;

    std::array<Generation, NUM_GENERATIONS> generations;  // (700, 10, 10)
    Generation permanent;                                 // gc.freeze() puts objects here
    bool enabled = true;
    ssize_t long_lived_total = 0;    // objects in generation 2 after the last full collection
    ssize_t long_lived_pending = 0;  // objects promoted into generation 2 since then
    std::array<GenerationStats, NUM_GENERATIONS> stats{};
    std::vector<Callback> callbacks;  // gc.callbacks
};
Generations& generations() noexcept;

// gc.collect(generation): collects `generation` and every younger one. Throws
// py::ValueError("invalid generation") outside [0, 2]. Returns 0 without collecting while a
// collection is running. (py::gc::collect() with no argument, from chapter 02, is collect(2).)
ssize_t collect(int generation);

// gc.enable / gc.disable / gc.isenabled: the automatic trigger only; collect() always works.
void enable() noexcept;
void disable() noexcept;
bool isenabled() noexcept;

// gc.get_threshold / gc.set_threshold. A threshold 0 of 0 turns automatic collection off.
std::array<int, NUM_GENERATIONS> get_threshold() noexcept;
void set_threshold(int threshold0, std::optional<int> threshold1 = std::nullopt,
                   std::optional<int> threshold2 = std::nullopt);

// gc.get_count: the three `count` fields.
std::array<int, NUM_GENERATIONS> get_count() noexcept;

// gc.get_objects(generation=None): the tracked objects of one generation, or of all three for
// nullopt (or -1, CPython's default value). Throws py::ValueError("generation parameter cannot be
// negative") below -1 and py::ValueError("generation parameter must be less than the number of
// available generations (3)") above 2. The frozen objects are not listed.
std::vector<Ref<Object>> get_objects(std::optional<int> generation = std::nullopt);

// gc.get_stats: per generation, since the program started.
std::array<GenerationStats, NUM_GENERATIONS> get_stats() noexcept;

// gc.callbacks: called with "start" before and "stop" after every collection, automatic or not.
// A callback that throws is reported through the unraisable hook; the others still run.
std::vector<Callback>& callbacks() noexcept;

// gc.freeze / gc.unfreeze / gc.get_freeze_count: move every tracked object to the permanent
// generation, which no collection looks at; unfreeze moves them back into generation 2.
void freeze() noexcept;
void unfreeze() noexcept;
ssize_t get_freeze_count() noexcept;

// gc.get_referrers(op): the tracked objects whose tp_traverse visits `op`.
std::vector<Ref<Object>> get_referrers(Object* op);

// Which generation holds `op`: 0-2, 3 for the permanent generation, -1 when it is not tracked.
int generation_of(Object* op) noexcept;

}  // namespace py::gc
