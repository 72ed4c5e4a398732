// User-defined classes and their instances (Objects/typeobject.c: subtype_traverse, subtype_clear,
// subtype_dealloc; Objects/object.c: PyObject_CallFinalizerFromDealloc; PEP 442).
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "py/exceptions.hpp"
// kata: skeleton // KATA (lesson §4 and §5: steps 12-16). Write the slot functions (tp_dealloc, tp_traverse,
// kata: skeleton // tp_clear, tp_finalize, tp_repr, tp_hash) in an anonymous namespace and install them in the
// kata: skeleton // Class constructor.
#include "py/instance.hpp"
// kata: skeleton #include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "py/scalars.hpp"

namespace py {
// kata: begin replace
namespace {

Instance* as_instance(Object* self) noexcept {
    return static_cast<Instance*>(self);
}

// Runs the class's __del__; an exception cannot propagate out of a finalizer, so it is reported
// through the unraisable hook and the program (or the collection) goes on.
void run_finalizer(Object* self) noexcept {
    Instance* instance = as_instance(self);
    try {
        instance->in_class->finalizer()(*instance);
    } catch (const std::exception& error) {
        gc::write_unraisable("Exception ignored in", error, self);
    } catch (...) {
        gc::write_unraisable("Exception ignored in", RuntimeError("unknown C++ exception"), self);
    }
}

// tp_finalize (slot_tp_finalize): what the collector calls; it sets FINALIZED itself.
void instance_finalize(Object* self) {
    run_finalizer(self);
}

int instance_traverse(Object* self, visitproc visit, void* arg) {
    Object* dict = as_instance(self)->in_dict;
    return dict != nullptr ? visit(dict, arg) : 0;
}

// subtype_clear: drop the attribute dict, which is what breaks a cycle through attributes.
int instance_clear(Object* self) {
    Dict* dict = std::exchange(as_instance(self)->in_dict, nullptr);
    xdecref(dict);
    return 0;
}

// subtype_dealloc: untrack, run a finalizer that has not run yet with the object resurrected for
// the call, and stop if the finalizer made it reachable again.
void instance_dealloc(Object* self) {
    gc::untrack(self);
    Instance* instance = as_instance(self);
    const Class& cls = *instance->in_class;
    const bool legacy = cls.kind() == Class::FinalizerKind::Legacy;
    if (cls.finalizer() && (legacy || !gc::is_finalized(self))) {
        gc::track(self);
        new_reference(self);  // refcount 1, back on refchain, for the duration of the call
        run_finalizer(self);
        if (!legacy) {
            gc::set_finalized(gc::as_gc(self));
        }
        if (--self->ob_refcnt != 0) {
            return;  // resurrected: the finalizer stored a reference somewhere
        }
        forget_reference(self);
        gc::untrack(self);
    }
    instance_clear(self);
    free_object(self);
}

std::string instance_repr(Object* self) {
    char address[32];
    std::snprintf(address, sizeof address, "%p", static_cast<void*>(self));
    return "<" + as_instance(self)->in_class->name() + " object at " + address + ">";
}

// _Py_HashPointer: identity, rotated so the always-zero low bits carry information.
hash_t instance_hash(Object* self) {
    const auto bits = reinterpret_cast<std::uintptr_t>(self);
    const auto hash = static_cast<hash_t>((bits >> 4) | (bits << (8 * sizeof(bits) - 4)));
    return hash == -1 ? -2 : hash;
}

AttributeError no_attribute(const Instance* instance, std::string_view name) {
    return AttributeError("'" + instance->in_class->name() + "' object has no attribute '" +
                          std::string(name) + "'");
}

}  // namespace
// kata: end

Class::Class(std::string name, Finalizer finalizer, FinalizerKind kind)
    : name_(std::move(name)), finalizer_(std::move(finalizer)), kind_(kind) {
    // kata: begin §4
    type_.tp_name = name_.c_str();
    type_.tp_basicsize = sizeof(Instance);
    type_.tp_dealloc = &instance_dealloc;
    type_.tp_repr = &instance_repr;
    type_.tp_hash = &instance_hash;
    type_.tp_flags = TPFLAGS_HAVE_GC;
    type_.tp_traverse = &instance_traverse;
    type_.tp_clear = &instance_clear;
    type_.tp_alloc = &gc::gc_alloc;
    type_.tp_free = &gc::gc_free;
    if (finalizer_ && kind_ == FinalizerKind::Pep442) {
        type_.tp_finalize = &instance_finalize;
    }
    if (finalizer_ && kind_ == FinalizerKind::Legacy) {
        type_.tp_flags |= gc::TPFLAGS_HAVE_LEGACY_DEL;
    }
    // kata: end
}

Ref<Instance> Instance::create(Class& cls) {
    // kata: begin §4
    auto dict = Dict::create();
    auto* instance = static_cast<Instance*>(alloc_object(cls.type()));
    instance->in_class = &cls;
    instance->in_dict = dict.release();
    return Ref<Instance>::steal(instance);
    // kata: end
}

bool Instance::check(const Object* op) noexcept {
    // kata: begin §4 noexcept
    return op->ob_type->tp_dealloc == &instance_dealloc;
    // kata: skeleton return {};
    // kata: end
}

void Instance::setattr(std::string_view name, Object* value) {
    // kata: begin §4
    if (in_dict == nullptr) {
        in_dict = Dict::create().release();  // cleared by the collector, then given new attributes
    }
    in_dict->setitem(Str::create(name).get(), value);
    // kata: end
}

Object* Instance::getattr(std::string_view name) const {
    // kata: begin §4
    Object* value = in_dict != nullptr ? in_dict->get(Str::create(name).get()) : nullptr;
    if (value == nullptr) {
        throw no_attribute(this, name);
    }
    return value;
    // kata: end
}

bool Instance::hasattr(std::string_view name) const {
    // kata: begin §4
    return in_dict != nullptr && in_dict->contains(Str::create(name).get());
    // kata: end
}

void Instance::delattr(std::string_view name) {
    // kata: begin §4
    if (!hasattr(name)) {
        throw no_attribute(this, name);
    }
    in_dict->delitem(Str::create(name).get());
    // kata: end
}

}  // namespace py
