// A user-defined class and its instances: objects with a dict of attributes and, optionally, a
// finalizer (__del__), which is what most cycles in real Python programs are made of.
//
// CPython: Objects/typeobject.c (subtype_traverse, subtype_clear, subtype_dealloc,
// slot_tp_finalize), Objects/object.c (PyObject_CallFinalizerFromDealloc), PEP 442 (safe object
// finalization).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "py/containers.hpp"
#include "py/gc.hpp"
#include "py/object.hpp"
#include "py/ref.hpp"

namespace py {

struct Instance;

// class Name: ... with an optional __del__. A Class owns the TypeObject of its instances, so it
// must outlive them (declare it static, or before the instances in a test). Not copyable.
class Class {
  public:
    using Finalizer = std::function<void(Instance& self)>;
    enum class FinalizerKind {
        Pep442,  // __del__ since Python 3.4: tp_finalize, runs once, cycles are still collected
        Legacy,  // a C extension's tp_del: a cycle through it is uncollectable (gc.garbage)
    };

    explicit Class(std::string name, Finalizer finalizer = {},
                   FinalizerKind kind = FinalizerKind::Pep442);
    Class(const Class&) = delete;
    Class& operator=(const Class&) = delete;
    ~Class() = default;

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] TypeObject* type() noexcept { return &type_; }
    [[nodiscard]] const Finalizer& finalizer() const noexcept { return finalizer_; }
    [[nodiscard]] FinalizerKind kind() const noexcept { return kind_; }

  private:
    std::string name_;
    Finalizer finalizer_;
    FinalizerKind kind_;
    TypeObject type_;
};

// An instance: a GC object whose attributes live in its own dict (obj.__dict__).
struct Instance : Object {
    Class* in_class;
    Dict* in_dict;  // nullptr after tp_clear

    // Name(): a new instance with an empty attribute dict, tracked by the collector.
    static Ref<Instance> create(Class& cls);
    // Whether `op` is an instance of some Class.
    static bool check(const Object* op) noexcept;

    // setattr(obj, name, value): the dict takes a reference to `value`.
    void setattr(std::string_view name, Object* value);
    // getattr(obj, name) (borrowed). Throws py::AttributeError("'Node' object has no attribute
    // 'x'").
    [[nodiscard]] Object* getattr(std::string_view name) const;
    [[nodiscard]] bool hasattr(std::string_view name) const;
    // delattr(obj, name). Throws py::AttributeError like getattr.
    void delattr(std::string_view name);
};

}  // namespace py
