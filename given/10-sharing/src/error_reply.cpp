#include "error_reply.hpp"

#include "py/pickle.hpp"

namespace py::multiprocessing::detail {
namespace {

// Sized from the array, so the NUL bytes of the length field stay in (a view built from a plain
// literal would stop at the first one).
constexpr char kHeadBytes[] = "\x80\x02X\x06\x00\x00\x00#ERRORcbuiltins\n";
constexpr std::string_view kHead(kHeadBytes, sizeof kHeadBytes - 1);
constexpr std::string_view kTail = "R\x86.";

}  // namespace

std::string pickle_error_reply(std::string_view name, Object* args) {
    const std::string pickled_args = pickle::dumps(args, 2);  // \x80\x02 ... .
    std::string out(kHead);
    out.append(name).append("\n");
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
