// py::Ref<T>: an owning pointer that keeps one reference to a runtime object.
//
// What Py_INCREF/Py_DECREF pairs do by hand in C, a Ref does by scope: copying a Ref adds a
// reference, moving one hands it over without touching the count, destroying or resetting one
// drops it. Factories return Refs holding new references; `steal` adopts a new reference you
// already have, `borrow` takes a reference of its own to a borrowed pointer.
// kata: skeleton //
// kata: skeleton // KATA (lesson §4, step 7): write the bodies marked TODO. The data member and the trivial
// kata: skeleton // accessors are given.
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
        // kata: begin step07 §4 noexcept
        ref.ptr_ = op;
        // kata: end
        return ref;
    }
    // Takes a reference of its own to a borrowed pointer: the count goes up by one.
    [[nodiscard]] static Ref borrow(T* op) noexcept {
        // kata: begin step07 §4 noexcept
        xincref(op);
        return steal(op);
        // kata: skeleton return Ref();
        // kata: end
    }

    Ref(const Ref& other) noexcept {
        // kata: begin step07 §4 noexcept
        ptr_ = other.ptr_;
        xincref(ptr_);
        // kata: end
    }
    Ref(Ref&& other) noexcept {
        // kata: begin step07 §4 noexcept
        ptr_ = std::exchange(other.ptr_, nullptr);
        // kata: end
    }
    // A Ref to a derived type converts to a Ref to its base (Ref<Int> to Ref<Object>).
    template <class U>
    requires(std::derived_from<U, T> && !std::same_as<U, T>) Ref(const Ref<U>& other)
    noexcept {  // NOLINT(google-explicit-constructor)
        // kata: begin step07 §4 noexcept
        ptr_ = other.get();
        xincref(ptr_);
        // kata: end
    }
    template <class U>
    requires(std::derived_from<U, T> && !std::same_as<U, T>) Ref(Ref<U>&& other)
    noexcept {  // NOLINT(google-explicit-constructor)
        // kata: begin step07 §4 noexcept
        ptr_ = other.release();
        // kata: end
    }

    // kata: skeleton // Careful with `r = r`: the object must survive.
    Ref& operator=(const Ref& other) noexcept {
        // kata: begin step07 §4 noexcept
        if (this != &other) {
            // Take the new reference before dropping the old one: if both Refs hold the same
            // object, an early decref could free it.
            Ref copy(other);
            swap(copy);
        }
        // kata: end
        return *this;
    }
    Ref& operator=(Ref&& other) noexcept {
        // kata: begin step07 §4 noexcept
        Ref moved(std::move(other));
        swap(moved);
        // kata: end
        return *this;
    }
    ~Ref() {
        // kata: begin step07 §4 noexcept
        xdecref(ptr_);
        // kata: end
    }

    [[nodiscard]] T* get() const noexcept { return ptr_; }
    T* operator->() const { return &**this; }
    // Throws py::RuntimeError for an empty Ref.
    T& operator*() const {
        // kata: begin step07 §4
        if (ptr_ == nullptr) {
            throw RuntimeError("py::Ref: dereferenced an empty reference");
        }
        return *ptr_;
        // kata: end
    }
    explicit operator bool() const noexcept { return ptr_ != nullptr; }

    // Gives up ownership without decref: the caller now owns the reference.
    [[nodiscard]] T* release() noexcept {
        // kata: begin step07 §4 noexcept
        return std::exchange(ptr_, nullptr);
        // kata: skeleton return nullptr;
        // kata: end
    }
    // Drops the reference (if any) and becomes empty.
    void reset() noexcept {
        // kata: begin step07 §4 noexcept
        xdecref(std::exchange(ptr_, nullptr));
        // kata: end
    }
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
