// py::Generator: Python's generators on C++20 coroutines (PEP 255 yield, PEP 342 send/throw/
// close, PEP 380 yield from, PEP 479 StopIteration inside a generator; CPython 3.11:
// Objects/genobject.c).
//
//     py::Generator<int> func2() { co_yield 3; co_yield 4; }
//     py::Generator<int> func1() { co_yield 1; co_yield py::yield_from(func2()); co_yield 2; }
//     for (int item : func1()) print(item);                      // 1 3 4 2
//
// Generator<Y, R, S>: yields Y, returns R (void by default; the value rides on StopIteration),
// and can be sent S: `std::optional<S> got = co_yield v;` is nullopt when resumed by next(),
// Python's None. `R r = co_yield py::yield_from(inner);` delegates to inner until it returns r.
#pragma once

#include <any>
#include <coroutine>
#include <cstdio>
#include <exception>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "py/exceptions.hpp"
#include "py/kata.hpp"

namespace py {

template <class Y, class R = void, class S = std::monostate>
class Generator;

// Marks the operand of `co_yield` as a generator to delegate to (Python's `yield from`).
template <class G>
struct YieldFrom {
    G generator;
};
template <class G>
YieldFrom<std::decay_t<G>> yield_from(G&& generator) {
    return {std::forward<G>(generator)};
}

namespace generator_detail {

// A `yield from` in progress, as the delegating generator sees its subgenerator: whatever
// next/send/throw/close the outer generator receives goes here first.
template <class Y, class S>
struct Delegate {
    virtual ~Delegate() = default;
    virtual Y resume(std::optional<S> sent, std::exception_ptr thrown) = 0;
    virtual void close() = 0;
};

// `return value;` or `return;`: one of the two must exist in a promise, never both.
template <class R>
struct ReturnSlot {
    std::optional<R> returned;
    void return_value(R value) { returned = std::move(value); }
    std::any returned_any() { return returned ? std::any(std::move(*returned)) : std::any(); }
};
template <>
struct ReturnSlot<void> {
    void return_void() noexcept {}
    static std::any returned_any() { return {}; }
};

inline bool is_stop_iteration(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const StopIteration&) {
        return true;
    } catch (...) {
        return false;
    }
}

}  // namespace generator_detail

template <class Y, class R, class S>
class Generator {
  public:
    struct promise_type;
    using handle_type = std::coroutine_handle<promise_type>;

    // Resuming at a `co_yield`: what was sent comes out, or what was thrown in is raised there.
    struct YieldAwaiter {
        promise_type& promise;
        bool await_ready() const noexcept { return false; }
        void await_suspend(handle_type /*unused*/) const noexcept {}
        std::optional<S> await_resume() const {
            if (promise.thrown) [[unlikely]] {
                std::rethrow_exception(std::exchange(promise.thrown, nullptr));
            }
            // next() sent nothing. Test the flag alone rather than copy the whole optional:
            // resume() has just written that one byte, and a wider load of it cannot be forwarded
            // from the store (a stall of a dozen cycles, half of what a next() cost).
            if (!promise.sent.has_value()) {
                return std::nullopt;
            }
            return std::exchange(promise.sent, std::nullopt);
        }
    };

    // `co_yield yield_from(inner)`: the outer generator suspends while inner yields; inner's
    // return value is the value of the co_yield expression.
    template <class R2>
    struct YieldFromAwaiter {
        struct Inner final : generator_detail::Delegate<Y, S> {
            Generator<Y, R2, S> generator;
            explicit Inner(Generator<Y, R2, S> g) : generator(std::move(g)) {}
            Y resume(std::optional<S> sent, std::exception_ptr thrown) override {
                return generator.resume(std::move(sent), std::move(thrown));
            }
            void close() override { generator.close(); }
        };
        explicit YieldFromAwaiter(Generator<Y, R2, S> generator) : inner(std::move(generator)) {}

        Inner inner;
        promise_type* promise = nullptr;
        std::optional<Y> first;
        std::any result;

        bool await_ready() {
            PY_KATA_TODO_IN("chapters/11-coroutines", "§7");
            return true;
        }
        void await_suspend(handle_type handle) {
            PY_KATA_TODO_IN("chapters/11-coroutines", "§7");
            (void)handle;
        }
        R2 await_resume() {
            PY_KATA_TODO_IN("chapters/11-coroutines", "§7");
            if constexpr (!std::is_void_v<R2>) {
                return std::any_cast<R2>(std::move(result));
            }
        }
    };

    struct promise_type : generator_detail::ReturnSlot<R> {
        std::optional<Y> current;   // the value the last co_yield produced
        std::optional<S> sent;      // what send() hands to the suspended co_yield
        std::exception_ptr thrown;  // what throw_() raises at the suspended co_yield
        std::exception_ptr error;   // what escaped the body
        generator_detail::Delegate<Y, S>* delegate = nullptr;  // a `yield from` in progress
        std::any delegate_result;                              // its return value, once it finished
        bool started = false;
        bool running = false;  // gi_running
        bool finished = false;

        Generator get_return_object() { return Generator(handle_type::from_promise(*this)); }
        // A generator runs nothing until the first next().
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void unhandled_exception() noexcept { error = std::current_exception(); }

        YieldAwaiter yield_value(Y value) {
            PY_KATA_TODO_IN("chapters/11-coroutines", "§6");
            return YieldAwaiter{*this};
        }
        template <class R2>
        YieldFromAwaiter<R2> yield_value(YieldFrom<Generator<Y, R2, S>> from) {
            return YieldFromAwaiter<R2>(std::move(from.generator));
        }
    };

    Generator() = default;
    Generator(Generator&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    Generator& operator=(Generator&& other) noexcept {
        if (this != &other) {
            destroy();
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    Generator(const Generator&) = delete;
    Generator& operator=(const Generator&) = delete;
    // Like a generator that Python frees: closed first, so its handlers for GeneratorExit run.
    ~Generator() { destroy(); }

    // next(gen): the next yielded value; StopIteration (with the return value) at the end.
    Y next() { return resume(std::nullopt, nullptr); }
    // gen.send(value): resumes the suspended co_yield with `value`.
    Y send(S value) { PY_KATA_TODO_IN("chapters/11-coroutines", "§7"); }
    // gen.throw(exc): raises `exc` at the suspended co_yield; returns the next value yielded.
    Y throw_(std::exception_ptr exception) { PY_KATA_TODO_IN("chapters/11-coroutines", "§7"); }
    template <class E>
    requires std::is_base_of_v<std::exception, E> Y throw_(E exception) {
        return throw_(std::make_exception_ptr(std::move(exception)));
    }
    // gen.close(): raises GeneratorExit at the suspended co_yield. RuntimeError("generator
    // ignored GeneratorExit") if it yields instead of finishing.
    void close();

    // gi_running, and whether it finished (or was closed).
    [[nodiscard]] bool running() const noexcept { return handle_ && handle_.promise().running; }
    [[nodiscard]] bool finished() const noexcept { return !handle_ || handle_.promise().finished; }

    // Range-for: `for (Y item : gen)` calls next() until StopIteration.
    class iterator {
      public:
        using value_type = Y;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        explicit iterator(Generator* generator) : generator_(generator) {}
        Y& operator*() { return *value_; }
        iterator& operator++() {
            PY_KATA_TODO_IN("chapters/11-coroutines", "§6");
            generator_ = nullptr;
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t /*unused*/) {
            return it.generator_ == nullptr;
        }

      private:
        Generator* generator_ = nullptr;
        std::optional<Y> value_;
    };
    iterator begin() {
        iterator it(this);
        ++it;
        return it;
    }
    std::default_sentinel_t end() { return {}; }

    // next/send/throw in one: CPython's gen_send_ex. Always inlined: next() is its whole cost
    // (a resume of the coroutine is an indirect call of a few instructions), and out of line
    // a next() paid more for the call, six saved registers and two parameters than for the work.
    [[gnu::always_inline]] inline Y resume(std::optional<S> sent, std::exception_ptr thrown);

  private:
    // Sets gi_running for as long as the generator (or its subgenerator) runs.
    struct Running {
        bool& flag;
        explicit Running(bool& f) : flag(f) { flag = true; }
        ~Running() { flag = false; }
        Running(const Running&) = delete;
        Running& operator=(const Running&) = delete;
    };

    explicit Generator(handle_type handle) : handle_(handle) {}
    void destroy() noexcept {
        if (!handle_) {
            return;
        }
        try {
            if (handle_.promise().started && !handle_.promise().finished) {
                close();  // suspended in its body: let its GeneratorExit handlers run
            }
        } catch (const std::exception& exc) {
            std::fprintf(stderr, "Exception ignored in generator: %s\n", exc.what());
        }
        handle_.destroy();
        handle_ = nullptr;
    }

    handle_type handle_;
};

template <class Y, class R, class S>
inline Y Generator<Y, R, S>::resume(std::optional<S> sent, std::exception_ptr thrown) {
    if (!handle_) {
        throw StopIteration();
    }
    promise_type& promise = handle_.promise();
    (void)promise;
    // A subgenerator in progress gets everything first (a delegate implies started, not finished).
    PY_KATA_TODO_IN("chapters/11-coroutines", "§6");
}

template <class Y, class R, class S>
void Generator<Y, R, S>::close() {
    if (!handle_) {
        return;
    }
    PY_KATA_TODO_IN("chapters/11-coroutines", "§7");
}

}  // namespace py
