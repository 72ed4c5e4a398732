// py::Ref<T>: an owning pointer that keeps one reference to a runtime object.
//
// What Py_INCREF/Py_DECREF pairs do by hand in C, a Ref does by scope: copying a Ref adds a
// reference, moving one hands it over without touching the count, destroying or resetting one
// drops it. Factories return Refs holding new references; `steal` adopts a new reference you
// already have, `borrow` takes a reference of its own to a borrowed pointer.
#pragma once

#include <concepts>
#include <cstddef>
#include <utility>

#include "py/exceptions.hpp"
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
        ref.ptr_ = op;
        return ref;
    }
    // Takes a reference of its own to a borrowed pointer: the count goes up by one.
    [[nodiscard]] static Ref borrow(T* op) noexcept {
        xincref(op);
        return steal(op);
    }

    Ref(const Ref& other) noexcept : ptr_(other.ptr_) { xincref(ptr_); }
    Ref(Ref&& other) noexcept : ptr_(std::exchange(other.ptr_, nullptr)) {}
    // A Ref to a derived type converts to a Ref to its base (Ref<Int> to Ref<Object>).
    template <class U>
    requires(std::derived_from<U, T> && !std::same_as<U, T>) Ref(const Ref<U>& other)
    noexcept : ptr_(other.get()) {  // NOLINT(google-explicit-constructor)
        xincref(ptr_);
    }
    template <class U>
    requires(std::derived_from<U, T> && !std::same_as<U, T>) Ref(Ref<U>&& other)
    noexcept : ptr_(other.release()) {}  // NOLINT(google-explicit-constructor)

    Ref& operator=(const Ref& other) noexcept {
        if (this != &other) {
            // Take the new reference before dropping the old one: if both Refs hold the same
            // object, an early decref could free it.
            Ref copy(other);
            swap(copy);
        }
        return *this;
    }
    Ref& operator=(Ref&& other) noexcept {
        Ref moved(std::move(other));
        swap(moved);
        return *this;
    }
    ~Ref() { xdecref(ptr_); }

    [[nodiscard]] T* get() const noexcept { return ptr_; }
    T* operator->() const { return &**this; }
    T& operator*() const {
        if (ptr_ == nullptr) {
            throw RuntimeError("py::Ref: dereferenced an empty reference");
        }
        return *ptr_;
    }
    explicit operator bool() const noexcept { return ptr_ != nullptr; }

    // Gives up ownership without decref: the caller now owns the reference.
    [[nodiscard]] T* release() noexcept { return std::exchange(ptr_, nullptr); }
    // Drops the reference (if any) and becomes empty.
    void reset() noexcept { xdecref(std::exchange(ptr_, nullptr)); }
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
