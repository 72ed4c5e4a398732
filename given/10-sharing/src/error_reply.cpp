#include "error_reply.hpp"

#include "py/pickle.hpp"

namespace py::multiprocessing::detail {
namespace {

// Sized from the array, so the NUL bytes of the length field stay in (a view built from a plain
// literal would stop at the first one).
constexpr char kHeadBytes[] = "\x80\x02X\x06\x00\x00\x00#ERRORc";
constexpr std::string_view kHead(kHeadBytes, sizeof kHeadBytes - 1);
constexpr std::string_view kTail = "R\x86.";

// The module that defines each error we send that is not a builtin, so that python3's
// unpickler finds the class (builtins.UnpicklingError does not exist).
std::string_view module_of(std::string_view name) {
    if (name == "Empty" || name == "Full") {
        return "queue";
    }
    if (name == "BrokenBarrierError") {
        return "threading";
    }
    if (name == "PickleError" || name == "PicklingError" || name == "UnpicklingError") {
        return "pickle";
    }
    if (name == "ProcessError" || name == "AuthenticationError" || name == "BufferTooShort") {
        return "multiprocessing.context";
    }
    return "builtins";
}

}  // namespace

std::string pickle_error_reply(std::string_view name, Object* args) {
    const std::string pickled_args = pickle::dumps(args, 2);  // \x80\x02 ... .
    std::string out(kHead);
    out.append(module_of(name)).append("\n").append(name).append("\n");
    out.append(pickled_args.substr(2, pickled_args.size() - 3));
    out.append(kTail);
    return out;
}

std::optional<ErrorReply> parse_error_reply(std::string_view data) {
    if (data.substr(0, kHead.size()) != kHead || data.size() < kHead.size() + kTail.size() ||
        data.substr(data.size() - kTail.size()) != kTail) {
        return std::nullopt;
    }
    data.remove_prefix(kHead.size());
    const std::size_t module_end = data.find('\n');  // "builtins" or "queue"
    if (module_end == std::string_view::npos) {
        return std::nullopt;
    }
    data.remove_prefix(module_end + 1);
    const std::size_t newline = data.find('\n');
    if (newline == std::string_view::npos) {
        return std::nullopt;
    }
    ErrorReply reply{std::string(data.substr(0, newline)), {}};
    data.remove_prefix(newline + 1);
    data.remove_suffix(kTail.size());
    reply.args = pickle::loads("\x80\x02" + std::string(data) + ".");
    return reply;
}

}  // namespace py::multiprocessing::detail
