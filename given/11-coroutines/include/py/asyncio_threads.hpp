// asyncio.to_thread and loop.run_in_executor(None, ...) (CPython 3.11: Lib/asyncio/threads.py,
// base_events.py, futures.py's wrap_future): a function runs on the loop's default executor,
// chapter 05's ThreadPoolExecutor, and the awaiting task resumes with its result or exception.
//
//     int n = co_await py::asyncio::to_thread([](int a, int b) { return a * b; }, 6, 7);
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "py/asyncio.hpp"
#include "py/concurrent.hpp"

namespace py::asyncio {

// futures._chain_future(source, destination) for a concurrent future and an asyncio one (kata):
// when `source` is done (on a worker thread), its state is copied into `destination` on the
// loop's thread through call_soon_threadsafe: `copy_result` when it returned, else its
// exception; nothing if `destination` was cancelled meanwhile. Cancelling `destination` cancels
// `source` (which only works while it still waits in the executor's queue).
void chain_future(const std::shared_ptr<concurrent::FutureCore>& source,
                  const std::shared_ptr<FutureBase>& destination,
                  std::function<void()> copy_result);

// loop.run_in_executor(None, fn, *args): fn(args...) on the loop's default executor; an asyncio
// future of its result. The errors are default_executor()'s.
template <class F, class... Args>
auto run_in_executor(EventLoop& loop, F fn, Args... args)
    -> Future<std::invoke_result_t<F, Args...>> {
    using R = std::invoke_result_t<F, Args...>;
    concurrent::Future<R> source =
        loop.default_executor().submit(std::move(fn), std::move(args)...);
    loop.keep_until_released(source.core());
    Future<R> destination(loop);
    chain_future(source.core(), destination.state(), [source, destination] {
        if constexpr (std::is_void_v<R>) {
            source.result();
            destination.set_result();
        } else {
            destination.set_result(source.result());
        }
    });
    return destination;
}

// asyncio.to_thread(func, *args): run_in_executor(None, ...) on the running loop (3.11 also copies
// the contextvars context, which we do not have).
template <class F, class... Args>
auto to_thread(F fn, Args... args) -> Coroutine<std::invoke_result_t<F, Args...>> {
    co_return co_await run_in_executor(get_running_loop(), std::move(fn), std::move(args)...);
}

}  // namespace py::asyncio
