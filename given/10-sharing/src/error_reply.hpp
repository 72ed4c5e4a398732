// ('#ERROR', exception) replies in pickle form. Chapter 09's pickle writes and reads plain data,
// not class references, so the one shape the manager needs is built and read by hand here:
//
//     \x80\x02  X '#ERROR'  c 'builtins\nKeyError\n'  <args tuple>  R  \x86  .
//     PROTO 2   BINUNICODE  GLOBAL                     pickled      REDUCE TUPLE2 STOP
//
// python3 unpickles it as ('#ERROR', KeyError('x')), as it would CPython's own reply. Empty and
// Full are the queue module's ('c' 'queue\nEmpty\n'), so a python3 proxy's q.get(timeout=...)
// raises queue.Empty; pickle's errors are pickle's, multiprocessing's multiprocessing.context's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "py/object.hpp"
#include "py/ref.hpp"

namespace py::multiprocessing::detail {

// The reply for <module>.<name>(*args), the module found from the name; args must be a tuple.
std::string pickle_error_reply(std::string_view name, Object* args);

struct ErrorReply {
    std::string name;  // "KeyError"
    Ref<Object> args;  // the exception's args tuple
};
// The parts of a reply written by pickle_error_reply; nullopt for any other message.
std::optional<ErrorReply> parse_error_reply(std::string_view data);

}  // namespace py::multiprocessing::detail
