// Generational collection (Modules/gcmodule.c, CPython 3.11/3.12).
#include <string>

// kata: skeleton // KATA (lesson §1-§5: steps 1-14). Suggested helpers: invoke_callbacks, collect_main (one
// kata: skeleton // generation and the younger ones), collect_with_callbacks, collect_generations (the automatic
// kata: skeleton // choice), before_alloc / after_free (installed in chapter 02's state()), and a load-time
// kata: skeleton // initializer that makes generation 0 the list new objects are tracked in.
#include "py/exceptions.hpp"
#include "py/gc_module.hpp"
#include "py/kata.hpp"

namespace py::gc {
// kata: begin replace
namespace {
// kata: end

// kata: begin replace
// invoke_gc_callback: every callback hears every phase; one that throws is reported and the rest
// still run.
void invoke_callbacks(std::string_view phase, int generation, const Outcome& outcome) {
    Generations& gens = generations();
    if (gens.callbacks.empty()) {
        return;
    }
    const CallbackInfo info{generation, outcome.collected, outcome.uncollectable};
    // A callback may change the list: call a copy.
    const std::vector<Callback> callbacks = gens.callbacks;
    for (const Callback& callback : callbacks) {
        try {
            callback(phase, info);
        } catch (const std::exception& error) {
            write_unraisable("Exception ignored in garbage collector callback", error, nullptr);
        }
    }
}

// gc_collect_main: collect `generation` and the younger ones; survivors move one generation up.
Outcome collect_main(int generation) {
    Generations& gens = generations();
    if (generation + 1 < NUM_GENERATIONS) {
        gens.generations[generation + 1].count += 1;
    }
    for (int i = 0; i <= generation; ++i) {
        gens.generations[i].count = 0;
    }
    GCHead* young = &gens.generations[generation].head;
    for (int i = 0; i < generation; ++i) {
        list_merge(&gens.generations[i].head, young);
    }
    GCHead* old = generation + 1 < NUM_GENERATIONS ? &gens.generations[generation + 1].head : young;
    const Outcome outcome = collect_list(young, old);
    if (young != old) {
        if (generation == NUM_GENERATIONS - 2) {
            gens.long_lived_pending += outcome.reachable;
        }
    } else {
        gens.long_lived_pending = 0;
        gens.long_lived_total = outcome.reachable;
    }
    GenerationStats& stats = gens.stats[generation];
    stats.collections += 1;
    stats.collected += outcome.collected;
    stats.uncollectable += outcome.uncollectable;
    return outcome;
}

// gc_collect_with_callback. The caller has set state().collecting.
ssize_t collect_with_callbacks(int generation) {
    invoke_callbacks("start", generation, Outcome{});
    const Outcome outcome = collect_main(generation);
    invoke_callbacks("stop", generation, outcome);
    return outcome.collected + outcome.uncollectable;
}

// Runs `body` with state().collecting raised, lowering it again whatever happens.
template <class Body>
ssize_t while_collecting(Body body) {
    State& gc = state();
    gc.collecting = true;
    try {
        const ssize_t result = body();
        gc.collecting = false;
        return result;
    } catch (...) {
        gc.collecting = false;
        throw;
    }
}

// gc_collect_generations: the oldest generation over its threshold, except that a full collection
// waits until the objects promoted since the last one exceed 25% of those that survived it.
ssize_t collect_generations() {
    Generations& gens = generations();
    for (int i = NUM_GENERATIONS - 1; i >= 0; --i) {
        if (gens.generations[i].count > gens.generations[i].threshold) {
            if (i == NUM_GENERATIONS - 1 && gens.long_lived_pending < gens.long_lived_total / 4) {
                continue;
            }
            return collect_with_callbacks(i);
        }
    }
    return 0;
}

// _PyObject_GC_Link: count the allocation and collect when generation 0 is over its threshold.
void before_alloc() {
    Generations& gens = generations();
    Generation& young = gens.generations[0];
    young.count += 1;
    if (young.count > young.threshold && gens.enabled && young.threshold != 0 &&
        !state().collecting) {
        while_collecting(&collect_generations);
    }
}

// PyObject_GC_Del: a deallocation cancels an allocation.
void after_free() {
    Generation& young = generations().generations[0];
    if (young.count > 0) {
        young.count -= 1;
    }
}

ssize_t collect_everything() {
    return collect(NUM_GENERATIONS - 1);
}

int visit_is(Object* referent, void* target) {
    return referent == target ? 1 : 0;
}

// Runs when the library is loaded: generation 0 becomes the list new objects are tracked in.
const bool installed = [] {
    Generations& gens = generations();
    State& gc = state();
    list_merge(&gc.tracked, &gens.generations[0].head);
    gc.young = &gens.generations[0].head;
    gc.collect_override = &collect_everything;
    gc.before_alloc = &before_alloc;
    gc.after_free = &after_free;
    return true;
}();

}  // namespace

Generations::Generations() noexcept
    : generations{{{{}, 700, 0}, {{}, 10, 0}, {{}, 10, 0}}}, permanent{{}, 0, 0} {
    // kata: skeleton Generations::Generations() noexcept : generations{}, permanent{} {
    // kata: end
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
    // kata: begin §3
    if (generation < 0 || generation >= NUM_GENERATIONS) {
        throw ValueError("invalid generation");
    }
    if (state().collecting) {
        return 0;  // already collecting, don't do anything
    }
    return while_collecting([generation] { return collect_with_callbacks(generation); });
    // kata: end
}

void enable() noexcept {
    // kata: begin §1 noexcept
    generations().enabled = true;
    // kata: end
}

void disable() noexcept {
    // kata: begin §1 noexcept
    generations().enabled = false;
    // kata: end
}

bool isenabled() noexcept {
    // kata: begin §1 noexcept
    return generations().enabled;
    // kata: skeleton return {};
    // kata: end
}

std::array<int, NUM_GENERATIONS> get_threshold() noexcept {
    // kata: begin §1 noexcept
    const auto& gens = generations().generations;
    return {gens[0].threshold, gens[1].threshold, gens[2].threshold};
    // kata: skeleton return {};
    // kata: end
}

void set_threshold(int threshold0, std::optional<int> threshold1, std::optional<int> threshold2) {
    // kata: begin §1
    auto& gens = generations().generations;
    gens[0].threshold = threshold0;
    if (threshold1) {
        gens[1].threshold = *threshold1;
    }
    if (threshold2) {
        gens[2].threshold = *threshold2;
    }
    // kata: end
}

std::array<int, NUM_GENERATIONS> get_count() noexcept {
    // kata: begin §2 noexcept
    const auto& gens = generations().generations;
    return {gens[0].count, gens[1].count, gens[2].count};
    // kata: skeleton return {};
    // kata: end
}

std::vector<Ref<Object>> get_objects(std::optional<int> generation) {
    // kata: begin §1
    if (generation && *generation >= NUM_GENERATIONS) {
        throw ValueError(
            "generation parameter must be less than the number of available generations (" +
            std::to_string(NUM_GENERATIONS) + ")");
    }
    if (generation && *generation < -1) {
        throw ValueError("generation parameter cannot be negative");
    }
    std::vector<Ref<Object>> found;
    for (int i = 0; i < NUM_GENERATIONS; ++i) {
        if (generation && *generation != -1 && *generation != i) {
            continue;
        }
        GCHead* head = &generations().generations[i].head;
        for (GCHead* gc = next(head); gc != head; gc = next(gc)) {
            found.push_back(Ref<Object>::borrow(from_gc(gc)));
        }
    }
    return found;
    // kata: end
}

std::array<GenerationStats, NUM_GENERATIONS> get_stats() noexcept {
    // kata: begin §5 noexcept
    return generations().stats;
    // kata: skeleton return {};
    // kata: end
}

std::vector<Callback>& callbacks() noexcept {
    return generations().callbacks;
}

void freeze() noexcept {
    // kata: begin §5 noexcept
    Generations& gens = generations();
    for (Generation& generation : gens.generations) {
        list_merge(&generation.head, &gens.permanent.head);
    }
    gens.generations[0].count = 0;
    // kata: end
}

void unfreeze() noexcept {
    // kata: begin §5 noexcept
    Generations& gens = generations();
    list_merge(&gens.permanent.head, &gens.generations[NUM_GENERATIONS - 1].head);
    // kata: end
}

ssize_t get_freeze_count() noexcept {
    // kata: begin §5 noexcept
    return list_size(&generations().permanent.head);
    // kata: skeleton return {};
    // kata: end
}

std::vector<Ref<Object>> get_referrers(Object* op) {
    // kata: begin §5
    std::vector<Ref<Object>> found;
    for (const Ref<Object>& candidate : get_objects()) {
        if (traverse(candidate.get(), &visit_is, op) != 0) {
            found.push_back(candidate);
        }
    }
    return found;
    // kata: end
}

int generation_of(Object* op) noexcept {
    // kata: begin §1 noexcept
    if (!is_tracked(op)) {
        return -1;
    }
    Generations& gens = generations();
    GCHead* target = as_gc(op);
    for (int i = 0; i <= NUM_GENERATIONS; ++i) {
        GCHead* head = i < NUM_GENERATIONS ? &gens.generations[i].head : &gens.permanent.head;
        for (GCHead* gc = next(head); gc != head; gc = next(gc)) {
            if (gc == target) {
                return i;
            }
        }
    }
    return -1;  // tracked in a list of a collection in progress
    // kata: skeleton return {};
    // kata: end
}

}  // namespace py::gc
