// py::asyncio::to_thread's machinery: the loop's default executor and the hand-off of a
// concurrent future's result to an asyncio future (base_events.py's run_in_executor, futures.py's
// _chain_future, 3.11; chapters/11-coroutines/README.md §9).
#include "loop_impl.hpp"
#include "py/asyncio_threads.hpp"
#include "py/kata.hpp"

namespace py::asyncio {

concurrent::ThreadPoolExecutor& EventLoop::default_executor() {
    PY_KATA_TODO("§9");
}

void chain_future(const std::shared_ptr<concurrent::FutureCore>& source,
                  const std::shared_ptr<FutureBase>& destination,
                  std::function<void()> copy_result) {
    PY_KATA_TODO("§9");
}

}  // namespace py::asyncio
