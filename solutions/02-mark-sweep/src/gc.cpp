// The GC header, tracking, and the traverse/clear slots of tuple, list and dict
// (Modules/gcmodule.c, Objects/tupleobject.c, Objects/listobject.c, Objects/dictobject.c).
// kata: skeleton // KATA (lesson §1 and §2: steps 1-4). The state, the debug flags, the unraisable hook, referents()
// kata: skeleton // and the installation of the slots are given.
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

// kata: skeleton // Call state().before_alloc first when it is set (chapter 03 uses it).
void* gc_alloc(TypeObject* type, ssize_t nitems) {
    // kata: begin §1
    if (state().before_alloc != nullptr) {
        state().before_alloc();  // chapter 03: may start a collection, before the object exists
    }
    const auto bytes =
        sizeof(GCHead) + static_cast<std::size_t>(type->tp_basicsize + nitems * type->tp_itemsize);
    void* memory = std::calloc(1, bytes);
    if (memory == nullptr) {
        throw MemoryError("out of memory allocating a '" + std::string(type->tp_name) + "'");
    }
    Object* op = from_gc(static_cast<GCHead*>(memory));
    track(op);
    return op;
    // kata: end
}

// kata: skeleton // Call state().after_free last when it is set (chapter 03 uses it).
void gc_free(void* memory) noexcept {
    // kata: begin §1 noexcept
    std::free(as_gc(static_cast<Object*>(memory)));
    if (state().after_free != nullptr) {
        state().after_free();
    }
    // kata: end
}

void track(Object* op) noexcept {
    // kata: begin §1 noexcept
    GCHead* gc = as_gc(op);
    if (gc->_gc_next == 0) {
        list_append(gc, state().young);
    }
    // kata: end
}

void untrack(Object* op) noexcept {
    // kata: begin §1 noexcept
    GCHead* gc = as_gc(op);
    if (gc->_gc_next != 0) {
        list_remove(gc);
        gc->_gc_prev &=
            PREV_MASK_FINALIZED;  // the scratch bits of a collection go, FINALIZED stays
    }
    // kata: end
}

bool is_tracked(Object* op) noexcept {
    // kata: begin §1 noexcept
    return is_gc(op) && as_gc(op)->_gc_next != 0;
    // kata: skeleton return {};
    // kata: end
}

bool is_finalized(Object* op) noexcept {
    // kata: begin §4 noexcept
    return is_gc(op) && finalized(as_gc(op));
    // kata: skeleton return {};
    // kata: end
}

int traverse(Object* op, visitproc visit, void* arg) {
    // kata: begin §2
    traverseproc slot = op->ob_type->tp_traverse;
    return slot == nullptr ? 0 : slot(op, visit, arg);
    // kata: end
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

// kata: begin replace
// Py_VISIT: visit a referent that is there.
#define PY_VISIT(referent)                             \
    do {                                               \
        if ((referent) != nullptr) {                   \
            if (int result = visit((referent), arg)) { \
                return result;                         \
            }                                          \
        }                                              \
    } while (0)

// kata: end
int tuple_traverse(Object* self, visitproc visit, void* arg) {
    // kata: begin §2
    auto* tuple = static_cast<Tuple*>(self);
    for (ssize_t i = tuple->ob_size - 1; i >= 0; --i) {
        PY_VISIT(tuple->items()[i]);
    }
    return 0;
    // kata: end
}

int list_traverse(Object* self, visitproc visit, void* arg) {
    // kata: begin §2
    auto* list = static_cast<List*>(self);
    for (ssize_t i = list->ob_size - 1; i >= 0; --i) {
        PY_VISIT(list->ob_item[i]);
    }
    return 0;
    // kata: end
}

int list_clear(Object* self) {
    // kata: begin §2
    static_cast<List*>(self)->clear();
    return 0;
    // kata: end
}

int dict_traverse(Object* self, visitproc visit, void* arg) {
    // kata: begin §2
    const DictKeys* keys = static_cast<Dict*>(self)->ma_keys;
    const DictEntry* entries = keys->entries();
    for (ssize_t i = 0; i < keys->dk_nentries; ++i) {
        PY_VISIT(entries[i].key);
        PY_VISIT(entries[i].value);
    }
    return 0;
    // kata: end
}

// kata: begin replace
// PyDict_Clear: empty the table first, then drop the references, so that code run by a decref
// sees an empty dict rather than a half-cleared one.
// kata: skeleton // PyDict_Clear: empty the table first, then drop the references.
// kata: end
int dict_clear(Object* self) {
    // kata: begin §2
    // A fresh table of PyDict_MINSIZE slots, as PyDict_Clear leaves a cleared dict small.
    auto* dict = static_cast<Dict*>(self);
    DictKeys* fresh = nullptr;
    try {
        fresh = DictKeys::create(Dict::LOG2_MINSIZE);
    } catch (const MemoryError&) {
        fatal_error("dict_clear", "out of memory", self);
    }
    DictKeys* old = dict->ma_keys;
    dict->ma_keys = fresh;
    dict->ma_used = 0;
    const DictEntry* entries = old->entries();
    for (ssize_t i = 0; i < old->dk_nentries; ++i) {
        xdecref(entries[i].key);
        xdecref(entries[i].value);
    }
    std::free(old);
    return 0;
    // kata: end
}
// kata: begin replace

#undef PY_VISIT
// kata: end

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
