// The build directory's lock (see build_lock.hpp): flock(2) on a file whose text names the holder.
#include "build_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace workbook {
namespace {

std::string who_holds(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string holder = text.str();
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) {
        holder.pop_back();
    }
    return holder.empty() ? "another ./workbook" : holder;
}

}  // namespace

BuildLock::BuildLock(const std::filesystem::path& build_dir, const std::string& holder) {
    const auto path = file(build_dir);
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
    }
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            const std::string error = std::strerror(errno);
            close(fd_);
            throw std::runtime_error("cannot lock " + path.string() + ": " + error);
        }
        std::error_code error;
        std::string shown = std::filesystem::relative(build_dir, error).string();
        if (error || shown.empty() || shown.rfind("..", 0) == 0) {
            shown = build_dir.string();
        }
        std::cerr << "workbook: waiting for " << who_holds(path) << " to finish with " << shown
                  << " (two builds of one tree at once would break it)...\n"
                  << std::flush;
        while (flock(fd_, LOCK_EX) != 0) {
            if (errno != EINTR) {
                const std::string error = std::strerror(errno);
                close(fd_);
                throw std::runtime_error("cannot lock " + path.string() + ": " + error);
            }
        }
    }
    const std::string text = "pid " + std::to_string(getpid()) + " (" + holder + ")\n";
    if (ftruncate(fd_, 0) == 0) {
        (void)!pwrite(fd_, text.data(), text.size(), 0);  // only a courtesy to whoever waits
    }
}

BuildLock::~BuildLock() {
    if (fd_ >= 0) {
        (void)!ftruncate(fd_, 0);
        close(fd_);  // releases the lock
    }
}

}  // namespace workbook
