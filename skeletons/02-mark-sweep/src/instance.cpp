// User-defined classes and their instances (Objects/typeobject.c: subtype_traverse, subtype_clear,
// subtype_dealloc; Objects/object.c: PyObject_CallFinalizerFromDealloc; PEP 442).
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "py/exceptions.hpp"
// KATA (lesson §4 and §5: steps 12-16). Write the slot functions (tp_dealloc, tp_traverse,
// tp_clear, tp_finalize, tp_repr, tp_hash) in an anonymous namespace and install them in the
// Class constructor.
#include "py/exceptions.hpp"
#include "py/instance.hpp"
#include "py/kata.hpp"
#include "py/scalars.hpp"

namespace py {

Class::Class(std::string name, Finalizer finalizer, FinalizerKind kind)
    : name_(std::move(name)), finalizer_(std::move(finalizer)), kind_(kind) {
    PY_KATA_TODO("§4");
}

Ref<Instance> Instance::create(Class& cls) {
    PY_KATA_TODO("§4");
}

bool Instance::check(const Object* op) noexcept {
    PY_KATA_TODO_NOEXCEPT("§4");
    return {};
}

void Instance::setattr(std::string_view name, Object* value) {
    PY_KATA_TODO("§4");
}

Object* Instance::getattr(std::string_view name) const {
    PY_KATA_TODO("§4");
}

bool Instance::hasattr(std::string_view name) const {
    PY_KATA_TODO("§4");
}

void Instance::delattr(std::string_view name) {
    PY_KATA_TODO("§4");
}

}  // namespace py
