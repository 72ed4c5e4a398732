// py::greenlet: the greenlet package's stackful coroutines (greenlet 2.0, greenlet.cpp), each
// running on a stack of its own that we switch to with a few instructions of assembly.
//
//     using py::greenlet::greenlet;
//     greenlet gr1, gr2;
//     gr1 = greenlet([&] { print(1); gr2.switch_(); print(2); gr2.switch_(); });
//     gr2 = greenlet([&] { print(3); gr1.switch_(); print(4); });
//     gr1.switch_();                                   // 1 3 2 4
//
// A `greenlet` is a handle, like a Python reference: copies name the same greenlet, and the
// greenlet goes away with its last handle (a suspended one first gets GreenletExit thrown in, so
// that its destructors run). Values cross a switch as `py::greenlet::Value` (std::any): what
// one side passes to switch_() is what the other side's switch_() returns.
#pragma once

#include <any>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "py/exceptions.hpp"

namespace py::greenlet {

// greenlet.error: misuse, such as switching to a greenlet of another thread.
PY_DECLARE_EXCEPTION(error, Exception);
// greenlet.GreenletExit: kills a greenlet. It is not propagated to the parent: the parent's
// switch returns the exception object as a value instead.
PY_DECLARE_EXCEPTION(GreenletExit, BaseException);

// What crosses a switch: nothing (an empty any, Python's `()`), or one value of any type.
using Value = std::any;

class greenlet {
  public:
    using Run = std::function<Value(Value)>;
    // Stacks are reserved, not committed: untouched pages cost no memory.
    static constexpr std::size_t default_stack_size = 256 * 1024;

    // A handle to nothing, to be assigned later (Python: a variable not yet bound).
    greenlet() = default;
    // greenlet(run, parent=None): the parent is the current greenlet unless one is given.
    explicit greenlet(Run run, std::optional<greenlet> parent = std::nullopt,
                      std::size_t stack_size = default_stack_size);
    // Any callable: taking the first switch's value or nothing, returning a value or void.
    template <class F>
    requires(!std::is_same_v<std::decay_t<F>, greenlet> && !std::is_same_v<std::decay_t<F>, Run> &&
             (std::is_invocable_v<F&> ||
              std::is_invocable_v<F&, Value>)) explicit greenlet(F f,
                                                                 std::optional<greenlet> parent =
                                                                     std::nullopt,
                                                                 std::size_t stack_size =
                                                                     default_stack_size)
        : greenlet(adapt(std::move(f)), std::move(parent), stack_size) {}

    // Switches to this greenlet. The first switch starts run(args); later ones make the switch_()
    // that suspended it return `args`. Returns what is passed back when something switches here.
    Value switch_(Value args = {});
    template <class T>
    requires(!std::is_same_v<std::decay_t<T>, Value>) Value switch_(T&& value) {
        return switch_(Value(std::forward<T>(value)));
    }
    // Switches to this greenlet and raises `exception` there at once (GreenletExit by default).
    Value throw_(std::exception_ptr exception = nullptr);
    template <class E>
    requires std::is_base_of_v<std::exception, E> Value throw_(E exception) {
        return throw_(std::make_exception_ptr(std::move(exception)));
    }

    [[nodiscard]] bool started() const;  // switched to at least once (main: always)
    [[nodiscard]] bool dead() const;     // run() returned or raised
    explicit operator bool() const;      // Python's bool(g): started and not dead
    [[nodiscard]] bool is_main() const;  // the greenlet a thread starts in (greenlet.getcurrent())

    // None for a thread's main greenlet.
    [[nodiscard]] std::optional<greenlet> parent() const;
    // ValueError("cyclic parent chain"); ValueError("parent cannot be on a different thread");
    // AttributeError("cannot set the parent of a main greenlet").
    void set_parent(const greenlet& parent);

    // "<greenlet.greenlet object at 0x... (otid=0x...) suspended active started>".
    [[nodiscard]] std::string repr() const;
    [[nodiscard]] bool is_none() const noexcept { return impl_ == nullptr; }
    friend bool operator==(const greenlet& a, const greenlet& b) noexcept {
        return a.impl_ == b.impl_;
    }

    struct Impl;
    explicit greenlet(std::shared_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
    [[nodiscard]] const std::shared_ptr<Impl>& impl() const noexcept { return impl_; }

  private:
    template <class F>
    static Run adapt(F f) {
        return [f = std::move(f)](Value args) mutable -> Value {
            if constexpr (std::is_invocable_v<F&, Value>) {
                if constexpr (std::is_void_v<std::invoke_result_t<F&, Value>>) {
                    f(std::move(args));
                    return {};
                } else {
                    return Value(f(std::move(args)));
                }
            } else {
                if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
                    f();
                    return {};
                } else {
                    return Value(f());
                }
            }
        };
    }
    // Throws AttributeError when this handle names no greenlet.
    [[nodiscard]] Impl& get() const;

    std::shared_ptr<Impl> impl_;
};

// greenlet.getcurrent(): the greenlet running now (the thread's main greenlet at first).
greenlet getcurrent();

}  // namespace py::greenlet
