// py::Ref<T>: an owning pointer that keeps one reference to a runtime object.
//
// What Py_INCREF/Py_DECREF pairs do by hand in C, a Ref does by scope: copying a Ref adds a
// reference, moving one hands it over without touching the count, destroying or resetting one
// drops it. Factories return Refs holding new references; `steal` adopts a new reference you
// already have, `borrow` takes a reference of its own to a borrowed pointer.
//
// KATA (lesson §4, step 7): write the bodies marked TODO. The data member and the trivial
// accessors are given.
#pragma once

#include <concepts>
#include <cstddef>
#include <utility>

#include "py/exceptions.hpp"
#include "py/kata.hpp"
#include "py/object.hpp"

namespace py {

template <class T>
class Ref {
  public:
    Ref() noexcept = default;
    Ref(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor): Ref r = nullptr;

    // Adopts a reference the caller owns (a "new reference"): the count does not change.
    [[nodiscard]] static Ref steal(T* op) noexcept {
        Ref ref;
        PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§4");
        return ref;
    }
    // Takes a reference of its own to a borrowed pointer: the count goes up by one.
    [[nodiscard]] static Ref borrow(T* op) noexcept {
        PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§4");
        return Ref();
    }

    Ref(const Ref& other) noexcept { PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§4"); }
    Ref(Ref&& other) noexcept { PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§4"); }
    // A Ref to a derived type converts to a Ref to its base (Ref<Int> to Ref<Object>).
    template <class U>
    requires(std::derived_from<U, T> && !std::same_as<U, T>) Ref(const Ref<U>& other)
    noexcept {  // NOLINT(google-explicit-constructor)
        PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§4");
    }
    template <class U>
    requires(std::derived_from<U, T> && !std::same_as<U, T>) Ref(Ref<U>&& other)
    noexcept {  // NOLINT(google-explicit-constructor)
        PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§4");
    }

    // Careful with `r = r`: the object must survive.
    Ref& operator=(const Ref& other) noexcept {
        PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§4");
        return *this;
    }
    Ref& operator=(Ref&& other) noexcept {
        PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§4");
        return *this;
    }
    ~Ref() { PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§4"); }

    [[nodiscard]] T* get() const noexcept { return ptr_; }
    T* operator->() const { return &**this; }
    // Throws py::RuntimeError for an empty Ref.
    T& operator*() const { PY_KATA_TODO_IN("chapters/01-refcount", "§4"); }
    explicit operator bool() const noexcept { return ptr_ != nullptr; }

    // Gives up ownership without decref: the caller now owns the reference.
    [[nodiscard]] T* release() noexcept {
        PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§4");
        return nullptr;
    }
    // Drops the reference (if any) and becomes empty.
    void reset() noexcept { PY_KATA_TODO_NOEXCEPT_IN("chapters/01-refcount", "§4"); }
    void swap(Ref& other) noexcept { std::swap(ptr_, other.ptr_); }

    // Identity, like Python's `is`.
    template <class U>
    bool operator==(const Ref<U>& other) const noexcept {
        return static_cast<const Object*>(ptr_) == static_cast<const Object*>(other.get());
    }
    bool operator==(std::nullptr_t) const noexcept { return ptr_ == nullptr; }

  private:
    T* ptr_ = nullptr;
};

}  // namespace py
