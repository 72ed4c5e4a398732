// The GC header, tracking, and the traverse/clear slots of tuple, list and dict
// (Modules/gcmodule.c, Objects/tupleobject.c, Objects/listobject.c, Objects/dictobject.c).
// KATA (lesson §1 and §2: steps 1-4). The state, the debug flags, the unraisable hook, referents()
// and the installation of the slots are given.
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "py/exceptions.hpp"
#include "py/gc.hpp"
#include "py/kata.hpp"
#include "py/mark_sweep.hpp"
#include "slots.hpp"

namespace py::gc {

State& state() noexcept {
    static State the_state;
    return the_state;
}

// Call state().before_alloc first when it is set (chapter 03 uses it).
void* gc_alloc(TypeObject* type, ssize_t nitems) {
    PY_KATA_TODO("§1");
}

// Call state().after_free last when it is set (chapter 03 uses it).
void gc_free(void* memory) noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
}

void track(Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
}

void untrack(Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
}

bool is_tracked(Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT("§1");
    return {};
}

bool is_finalized(Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT("§4");
    return {};
}

int traverse(Object* op, visitproc visit, void* arg) {
    PY_KATA_TODO("§2");
}

std::vector<Object*> referents(Object* op) {
    std::vector<Object*> found;
    traverse(
        op,
        [](Object* referent, void* arg) {
            static_cast<std::vector<Object*>*>(arg)->push_back(referent);
            return 0;
        },
        &found);
    return found;
}

std::vector<Ref<Object>>& garbage() noexcept {
    return state().garbage;
}

void set_debug(int flags) noexcept {
    state().debug = flags;
}

int get_debug() noexcept {
    return state().debug;
}

void set_unraisable_hook(UnraisableHook hook) {
    state().unraisable = std::move(hook);
}

void write_unraisable(const std::string& err_msg, const std::exception& error,
                      Object* object) noexcept {
    try {
        const auto* python = dynamic_cast<const BaseException*>(&error);
        const Unraisable report{err_msg, python != nullptr ? python->python_name() : "Exception",
                                error.what(), object};
        if (state().unraisable) {
            state().unraisable(report);
            return;
        }
        std::fprintf(stderr, "%s: <%s object at %p>\n%s: %s\n", report.err_msg.c_str(),
                     object != nullptr ? type_name(object) : "NULL", static_cast<void*>(object),
                     report.exc_type.c_str(), report.exc_value.c_str());
    } catch (...) {
        std::fputs("Exception ignored while reporting an unraisable exception\n", stderr);
    }
}

}  // namespace py::gc

namespace py::gc_slots {

int tuple_traverse(Object* self, visitproc visit, void* arg) {
    PY_KATA_TODO("§2");
}

int list_traverse(Object* self, visitproc visit, void* arg) {
    PY_KATA_TODO("§2");
}

int list_clear(Object* self) {
    PY_KATA_TODO("§2");
}

int dict_traverse(Object* self, visitproc visit, void* arg) {
    PY_KATA_TODO("§2");
}

// PyDict_Clear: empty the table first, then drop the references.
int dict_clear(Object* self) {
    PY_KATA_TODO("§2");
}

namespace {

// The tp_dealloc each container had before this library loaded.
destructor original_tuple_dealloc = nullptr;
destructor original_list_dealloc = nullptr;
destructor original_dict_dealloc = nullptr;

// PyObject_GC_UnTrack at the top of list_dealloc & co: a collection must never meet an object
// that is half torn down.
void tuple_dealloc(Object* self) {
    gc::untrack(self);
    original_tuple_dealloc(self);
}
void list_dealloc(Object* self) {
    gc::untrack(self);
    original_list_dealloc(self);
}
void dict_dealloc(Object* self) {
    gc::untrack(self);
    original_dict_dealloc(self);
}

// Runs when the library is loaded, before any object of these types exists.
const bool installed = [] {
    install_gc_type(Tuple::Type, &tuple_traverse, nullptr);  // tuples have no tp_clear in CPython
    install_gc_type(List::Type, &list_traverse, &list_clear);
    install_gc_type(Dict::Type, &dict_traverse, &dict_clear);
    original_tuple_dealloc = std::exchange(Tuple::Type.tp_dealloc, &tuple_dealloc);
    original_list_dealloc = std::exchange(List::Type.tp_dealloc, &list_dealloc);
    original_dict_dealloc = std::exchange(Dict::Type.tp_dealloc, &dict_dealloc);
    return true;
}();

}  // namespace
}  // namespace py::gc_slots
