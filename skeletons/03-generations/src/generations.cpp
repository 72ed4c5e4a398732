// Generational collection (Modules/gcmodule.c, CPython 3.11/3.12).
#include <string>

// KATA (lesson §1-§5: steps 1-14). Suggested helpers: invoke_callbacks, collect_main (one
// generation and the younger ones), collect_with_callbacks, collect_generations (the automatic
// choice), before_alloc / after_free (installed in chapter 02's state()), and a load-time
// initializer that makes generation 0 the list new objects are tracked in.
#include "py/exceptions.hpp"
#include "py/gc_module.hpp"
#include "py/kata.hpp"

namespace py::gc {

Generations::Generations() noexcept : generations{}, permanent{} {
    for (Generation& generation : generations) {
        list_init(&generation.head);
    }
    list_init(&permanent.head);
}

Generations& generations() noexcept {
    static Generations the_generations;
    return the_generations;
}

ssize_t collect(int generation) {
    PY_KATA_TODO("§3");
}

void enable() noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
}

void disable() noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
}

bool isenabled() noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
    return {};
}

std::array<int, NUM_GENERATIONS> get_threshold() noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
    return {};
}

void set_threshold(int threshold0, std::optional<int> threshold1, std::optional<int> threshold2) {
    PY_KATA_TODO("§1");
}

std::array<int, NUM_GENERATIONS> get_count() noexcept {
    PY_KATA_TODO_NOEXCEPT("§2");
    return {};
}

std::vector<Ref<Object>> get_objects(std::optional<int> generation) {
    PY_KATA_TODO("§1");
}

std::array<GenerationStats, NUM_GENERATIONS> get_stats() noexcept {
    PY_KATA_TODO_NOEXCEPT("§5");
    return {};
}

std::vector<Callback>& callbacks() noexcept {
    return generations().callbacks;
}

void freeze() noexcept {
    PY_KATA_TODO_NOEXCEPT("§5");
}

void unfreeze() noexcept {
    PY_KATA_TODO_NOEXCEPT("§5");
}

ssize_t get_freeze_count() noexcept {
    PY_KATA_TODO_NOEXCEPT("§5");
    return {};
}

std::vector<Ref<Object>> get_referrers(Object* op) {
    PY_KATA_TODO("§5");
}

int generation_of(Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
    return {};
}

}  // namespace py::gc
