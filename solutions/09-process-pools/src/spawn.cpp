// The spawn and forkserver start methods (CPython 3.11: Lib/multiprocessing/spawn.py,
// popen_spawn_posix.py, forkserver.py, popen_forkserver.py, context.py).
//
// spawn: fork, then exec this same program with arguments that the main guard recognises; the
// parent sends the preparation data (the target's registered name, the pickled arguments, the
// name, the parent's pid and name) through a pipe. The new program's main() hands the process
// to spawn_main() before it runs anything else, as `if __name__ == "__main__":` does in Python.
//
// forkserver: a server started once (itself a spawned program) forks each child on request.
// Requests come over a unix socket with the child's pipe ends attached (SCM_RIGHTS); the server
// reaps its children and writes each exit status to a pipe the parent reads.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "preparation.hpp"
#include "process_state.hpp"
#include "py/kata.hpp"
#include "py/multiprocessing.hpp"
#include "py/pickle.hpp"
#include "workbook/main_guard.hpp"

namespace py::multiprocessing {

namespace detail {  // not anonymous: a skeleton leaves helpers unused, without warnings

const char* const SPAWN_FLAG = "--workbook-spawn-child";
const char* const FORKSERVER_FLAG = "--workbook-forkserver";
// A forkserver request carries the child's three pipe ends and its pass_fds.
constexpr std::size_t MAX_FDS_PER_CHILD = 64;

// spawn.py's _check_not_importing_main, word for word.
const char* const BOOTSTRAPPING_MESSAGE = R"msg(
        An attempt has been made to start a new process before the
        current process has finished its bootstrapping phase.

        This probably means that you are not using fork to start your
        child processes and you have forgotten to use the proper idiom
        in the main module:

            if __name__ == '__main__':
                freeze_support()
                ...

        The "freeze_support()" line can be omitted if the program
        is not going to be frozen to produce an executable.)msg";

std::string executable() {
    char path[4096];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) {
        throw OSError("cannot find the running program (/proc/self/exe)");
    }
    return std::string(path, static_cast<std::size_t>(n));
}

void make_cloexec_pipe(int fds[2]) {
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw OSError(std::string("pipe: ") + std::strerror(errno));
    }
}

void set_inheritable(int fd, bool inheritable) {
    const int flags = ::fcntl(fd, F_GETFD);
    ::fcntl(fd, F_SETFD, inheritable ? (flags & ~FD_CLOEXEC) : (flags | FD_CLOEXEC));
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string read_all(int fd) {
    std::string all;
    char buffer[65536];
    while (true) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return all;
        }
        all.append(buffer, static_cast<std::size_t>(n));
    }
}

// fork + exec of this program with `arguments` after argv[0]; `keep` are the descriptors the new
// program inherits (everything else is close-on-exec).
pid_t fork_exec(const std::vector<std::string>& arguments, const std::vector<int>& keep) {
    // Everything exec needs is built before fork: between fork and exec only async-signal-safe
    // calls are allowed in a multi-threaded program.
    const std::string program = executable();
    std::vector<std::string> strings = {program};
    strings.insert(strings.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    argv.reserve(strings.size() + 1);
    for (std::string& s : strings) {
        argv.push_back(s.data());
    }
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw OSError(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        for (const int fd : keep) {
            set_inheritable(fd, true);
        }
        ::execv(program.c_str(), argv.data());
        ::_exit(127);
    }
    return pid;
}

// In a spawned child: leave as soon as the parent is gone (its end of our pipe closes), instead
// of running on as an orphan.
void watch_parent(int parent_sentinel) {
    std::thread([parent_sentinel] {
        pollfd fd{parent_sentinel, POLLIN, 0};
        while (::poll(&fd, 1, -1) < 0 && errno == EINTR) {
        }
        std::fflush(nullptr);
        dump_coverage();
        ::_exit(1);
    }).detach();
}

}  // namespace detail

using detail::BOOTSTRAPPING_MESSAGE;

// --- Start methods ----------------------------------------------------------------------------

void set_start_method(const std::string& method, bool force) {
    if (method != "fork" && method != "spawn" && method != "forkserver") {
        throw ValueError("cannot find context for '" + method + "'");
    }
    detail::ModuleState& state = detail::module_state();
    std::lock_guard lock(state.mutex);
    if (!state.start_method.empty() && !force) {
        throw RuntimeError("context has already been set");
    }
    state.start_method = method;
}

std::string get_start_method() {
    detail::ModuleState& state = detail::module_state();
    std::lock_guard lock(state.mutex);
    if (state.start_method.empty()) {
        state.start_method = "fork";  // the default is now fixed, as in context.py
    }
    return state.start_method;
}

std::vector<std::string> get_all_start_methods() {
    return {"fork", "spawn", "forkserver"};
}

Context get_context(std::optional<std::string> method) {
    if (!method) {
        return Context(get_start_method());
    }
    if (*method != "fork" && *method != "spawn" && *method != "forkserver") {
        throw ValueError("cannot find context for '" + *method + "'");
    }
    return Context(std::move(*method));
}

std::unique_ptr<Process> Context::process(const Function& function, Ref<Tuple> args,
                                          ProcessOptions options) const {
    options.start_method = method_;
    return std::make_unique<Process>(function, std::move(args), std::move(options));
}

int inherited_fd(std::size_t index) {
    detail::ModuleState& state = detail::module_state();
    std::lock_guard lock(state.mutex);
    if (index >= state.inherited_fds.size()) {
        throw ValueError("no descriptor was passed at index " + std::to_string(index));
    }
    return state.inherited_fds[index];
}

// spawn.get_preparation_data, cut down: what the new program needs to become this Process.
// Plain bytes around one pickle, the arguments' (see preparation.hpp).
std::string Process::preparation_data() const {
    detail::Preparation preparation;
    preparation.function = function_->name();
    preparation.pickled_args = !pickled_args_.empty() ? pickled_args_
                                                      : pickle::dumps(args_ ? args_ : make_args(),
                                                                      pickle::HIGHEST_PROTOCOL);
    preparation.name = name_;
    preparation.daemon = daemon_;
    preparation.identity = identity_;
    preparation.parent_pid = ::getpid();
    preparation.parent_name = current_process().name();
    preparation.pass_fds = pass_fds_;
    return detail::encode(preparation);
}

Process* Process::from_preparation(std::string_view data, const char* start_method) {
    detail::Preparation preparation = detail::decode(data);
    const Function* function = Function::find(preparation.function);
    if (function == nullptr) {
        std::fprintf(stderr, "%s: no registered function named '%s'\n", start_method,
                     preparation.function.c_str());
        return nullptr;
    }
    auto* child = new Process(*function, PickledArgs{std::move(preparation.pickled_args)},
                              {.name = std::move(preparation.name),
                               .daemon = preparation.daemon,
                               .start_method = start_method,
                               .pass_fds = std::move(preparation.pass_fds)});
    child->identity_ = std::move(preparation.identity);
    child->parent_pid_ = preparation.parent_pid;
    child->parent_name_ = std::move(preparation.parent_name);
    return child;
}

// popen_spawn_posix.Popen._launch: pipes as for fork, plus one that carries the preparation
// data; fork, exec this program with the spawn flag and the three descriptors it keeps.
void Process::launch_spawn() {
    // kata: begin step28 §7
    if (detail::inheriting()) {
        throw RuntimeError(BOOTSTRAPPING_MESSAGE);
    }
    if (function_ == nullptr) {
        throw PicklingError("Can't pickle the target of " + name_ +
                            ": a spawned child finds its target by name, so it must be a "
                            "py::multiprocessing::Function");
    }
    const std::string data = preparation_data();  // an unpicklable argument fails here
    int prep[2];
    int to_parent[2];
    int to_child[2];
    detail::make_cloexec_pipe(prep);
    detail::make_cloexec_pipe(to_parent);
    detail::make_cloexec_pipe(to_child);
    std::vector<int> keep = {prep[0], to_parent[1], to_child[0]};
    keep.insert(keep.end(), pass_fds_.begin(), pass_fds_.end());
    const pid_t pid = detail::fork_exec({detail::SPAWN_FLAG, std::to_string(prep[0]),
                                         std::to_string(to_parent[1]), std::to_string(to_child[0])},
                                        keep);
    ::close(prep[0]);
    ::close(to_parent[1]);
    ::close(to_child[0]);
    (void)detail::write_all(prep[1], data);
    ::close(prep[1]);
    pid_ = pid;
    sentinel_ = to_parent[0];
    parent_writer_ = to_child[1];
    // kata: end
}

// The main guard of a spawned program: read the preparation data, become that Process, run
// the target, and return its exit code from main().
std::optional<int> spawn_main(int argc, char** argv) {
    if (argc < 5 || std::strcmp(argv[1], detail::SPAWN_FLAG) != 0 ||
        std::getenv("WORKBOOK_NO_MAIN_GUARD") != nullptr) {
        return std::nullopt;
    }
    // kata: begin step28 §7
    const int prep = std::atoi(argv[2]);
    const int parent_sentinel = std::atoi(argv[4]);
    detail::set_inheritable(prep, false);
    detail::set_inheritable(std::atoi(argv[3]), false);
    detail::set_inheritable(parent_sentinel, false);
    const std::string data = detail::read_all(prep);
    ::close(prep);
    detail::inheriting() = false;
    detail::watch_parent(parent_sentinel);
    Process* child = Process::from_preparation(data, "spawn");
    if (child == nullptr) {
        return 1;
    }
    for (const int fd : child->pass_fds_) {
        detail::set_inheritable(fd, false);  // kept across this exec, not the next
    }
    return child->bootstrap(parent_sentinel);
    // kata: end
}

// --- forkserver -------------------------------------------------------------------------------

namespace detail {

// The client's side: one connection to the server for the whole program.
struct ForkServer {
    std::mutex mutex;
    int socket = -1;
    pid_t pid = 0;
};

ForkServer& fork_server() {
    static auto* server = new ForkServer;
    return *server;
}

// Sends `data` with descriptors attached (SCM_RIGHTS); the kernel duplicates them into the
// receiving process.
bool send_with_fds(int socket, std::string_view data, const std::vector<int>& fds) {
    std::string frame = std::to_string(data.size()) + "\n" + std::string(data);
    iovec io{frame.data(), frame.size()};
    std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
    msghdr message{};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
    return ::sendmsg(socket, &message, MSG_NOSIGNAL) == static_cast<ssize_t>(frame.size());
}

// Receives one request: its data and up to `max_fds` descriptors. False at EOF.
bool receive_with_fds(int socket, std::string& data, std::vector<int>& fds, std::size_t max_fds) {
    std::string buffer(65536, '\0');
    iovec io{buffer.data(), buffer.size()};
    std::vector<char> control(CMSG_SPACE(sizeof(int) * max_fds));
    msghdr message{};
    message.msg_iov = &io;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    ssize_t n = 0;
    do {
        n = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        return false;
    }
    fds.clear();
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
         header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
            const std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            fds.resize(count);
            std::memcpy(fds.data(), CMSG_DATA(header), sizeof(int) * count);
        }
    }
    // "<length>\n<data>"; the rest of a long request follows in further reads.
    buffer.resize(static_cast<std::size_t>(n));
    const std::size_t newline = buffer.find('\n');
    if (newline == std::string::npos) {
        return false;
    }
    const std::size_t size = std::stoul(buffer.substr(0, newline));
    data = buffer.substr(newline + 1);
    while (data.size() < size) {
        char more[65536];
        const ssize_t m = ::read(socket, more, std::min(sizeof more, size - data.size()));
        if (m <= 0) {
            return false;
        }
        data.append(more, static_cast<std::size_t>(m));
    }
    return true;
}

// Starts the server on first use: a spawned copy of this program, connected by a socket pair.
int connect_to_fork_server() {
    ForkServer& server = fork_server();
    if (server.socket >= 0) {
        return server.socket;
    }
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        throw OSError(std::string("socketpair: ") + std::strerror(errno));
    }
    server.pid = fork_exec({FORKSERVER_FLAG, std::to_string(fds[1])}, {fds[1]});
    ::close(fds[1]);
    server.socket = fds[0];
    return server.socket;
}

}  // namespace detail

// popen_forkserver.Popen._launch: the same pipes as for spawn plus a status pipe, all sent to
// the server with the preparation data; the server answers with the child's pid.
void Process::launch_forkserver() {
    // kata: begin step31 §7
    if (detail::inheriting()) {
        throw RuntimeError(BOOTSTRAPPING_MESSAGE);
    }
    if (function_ == nullptr) {
        throw PicklingError("Can't pickle the target of " + name_ +
                            ": a forkserver child finds its target by name, so it must be a "
                            "py::multiprocessing::Function");
    }
    const std::string data = preparation_data();
    int to_parent[2];
    int to_child[2];
    int status[2];
    detail::make_cloexec_pipe(to_parent);
    detail::make_cloexec_pipe(to_child);
    detail::make_cloexec_pipe(status);
    detail::ForkServer& server = detail::fork_server();
    std::string reply;
    {
        std::lock_guard lock(server.mutex);
        const int socket = detail::connect_to_fork_server();
        std::vector<int> fds = {to_parent[1], to_child[0], status[1]};
        fds.insert(fds.end(), pass_fds_.begin(), pass_fds_.end());
        if (!detail::send_with_fds(socket, data, fds)) {
            throw OSError("the forkserver is gone");
        }
        char buffer[32];
        const ssize_t n = ::read(socket, buffer, sizeof buffer);
        reply.assign(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
    }
    ::close(to_parent[1]);
    ::close(to_child[0]);
    ::close(status[1]);
    if (reply.empty() || reply.back() != '\n') {
        throw OSError("the forkserver did not start the child");
    }
    pid_ = static_cast<pid_t>(std::stol(reply));
    sentinel_ = status[0];  // readable when the server reports the exit status
    status_fd_ = status[0];
    ::close(to_parent[0]);
    parent_writer_ = to_child[1];
    // kata: end
}

// A forkserver child is the server's child, not ours: its exit status arrives as a line on
// the status pipe when the server has reaped it.
std::optional<int> Process::poll_status(bool block) {
    // kata: begin step31 §7
    pollfd fd{status_fd_, POLLIN, 0};
    if (!block && ::poll(&fd, 1, 0) <= 0) {
        return std::nullopt;
    }
    std::string line;
    char c = 0;
    while (true) {
        const ssize_t n = ::read(status_fd_, &c, 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0 || c == '\n') {
            break;
        }
        line += c;
    }
    // No line at all: the server died before reporting; Python's forkserver says 255.
    returncode_ = line.empty() ? 255 : std::stoi(line);
    return returncode_;
    // kata: end
}

// The server's main: fork a child per request; report each child's exit status when it is
// reaped; leave when the program that started it closes its end of the socket.
std::optional<int> forkserver_main(int argc, char** argv) {
    if (argc < 3 || std::strcmp(argv[1], detail::FORKSERVER_FLAG) != 0 ||
        std::getenv("WORKBOOK_NO_MAIN_GUARD") != nullptr) {
        return std::nullopt;
    }
    // kata: begin step31 §7
    const int socket = std::atoi(argv[2]);
    detail::set_inheritable(socket, false);
    detail::inheriting() = false;
    std::map<pid_t, int> status_fds;  // child -> where its exit status goes
    // SIGCHLD as a readable descriptor, so one poll() waits for requests and for children.
    sigset_t child_signal;
    sigemptyset(&child_signal);
    sigaddset(&child_signal, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &child_signal, nullptr);
    const int children = ::signalfd(-1, &child_signal, SFD_CLOEXEC | SFD_NONBLOCK);
    while (true) {
        pollfd fds_to_watch[2] = {{socket, POLLIN, 0}, {children, POLLIN, 0}};
        const int ready = ::poll(fds_to_watch, 2, -1);
        signalfd_siginfo drained{};
        while (::read(children, &drained, sizeof drained) > 0) {
        }
        int status = 0;
        pid_t done = 0;
        while ((done = ::waitpid(-1, &status, WNOHANG)) > 0) {
            const int code = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
            auto it = status_fds.find(done);
            if (it != status_fds.end()) {
                (void)detail::write_all(it->second, std::to_string(code) + "\n");
                ::close(it->second);
                status_fds.erase(it);
            }
        }
        if (ready <= 0 || (fds_to_watch[0].revents & (POLLIN | POLLHUP)) == 0) {
            continue;
        }
        std::string data;
        std::vector<int> fds;
        if (!detail::receive_with_fds(socket, data, fds, detail::MAX_FDS_PER_CHILD) ||
            fds.size() < 3) {
            break;  // the parent program is gone
        }
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::sigprocmask(SIG_UNBLOCK, &child_signal, nullptr);
            ::close(children);
            ::close(socket);
            ::close(fds[2]);
            for (auto& [child, status_fd] : status_fds) {
                ::close(status_fd);
            }
            Process* child = Process::from_preparation(data, "forkserver");
            int code = 1;
            if (child != nullptr) {
                // The passed descriptors arrive under new numbers, in the order they were sent.
                child->pass_fds_.assign(fds.begin() + 3, fds.end());
                detail::watch_parent(fds[1]);
                code = child->bootstrap(fds[1]);
            }
            detail::dump_coverage();
            ::_exit(code);
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (i != 2) {
                ::close(fds[i]);  // the child has them now
            }
        }
        status_fds[pid] = fds[2];
        (void)detail::write_all(socket, std::to_string(pid) + "\n");
    }
    return 0;
    // kata: end
}

namespace {
// Registered at load time, so every program linked with this library answers the flags.
const bool guards_registered = [] {
    workbook::register_main_guard(&spawn_main);
    workbook::register_main_guard(&forkserver_main);
    return true;
}();
}  // namespace

}  // namespace py::multiprocessing
