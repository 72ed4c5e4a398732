// Pipes for process tests: children report what they saw through them, and parents release
// waiting children through them. Nothing in these tests decides by sleeping.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace testing_pipes {

class Pipe {
  public:
    Pipe() {
        if (::pipe2(fds_, O_CLOEXEC) != 0) {
            fds_[0] = fds_[1] = -1;
        }
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    [[nodiscard]] int read_fd() const { return fds_[0]; }
    [[nodiscard]] int write_fd() const { return fds_[1]; }
    void close_read() { close_end(0); }
    void close_write() { close_end(1); }

    // Writes all of `text` (children call this; a parent uses it to release a child).
    void send(const std::string& text) const {
        std::size_t done = 0;
        while (done < text.size()) {
            const ssize_t n = ::write(fds_[1], text.data() + done, text.size() - done);
            if (n <= 0) {
                return;
            }
            done += static_cast<std::size_t>(n);
        }
    }
    // Reads one '\n'-terminated line (without the newline); "" at EOF.
    std::string receive_line() const {
        std::string line;
        char c = 0;
        while (::read(fds_[0], &c, 1) == 1 && c != '\n') {
            line += c;
        }
        return line;
    }
    // Reads everything until every writer has closed its end.
    std::string receive_all() const {
        std::string all;
        char buffer[4096];
        ssize_t n = 0;
        while ((n = ::read(fds_[0], buffer, sizeof buffer)) > 0) {
            all.append(buffer, static_cast<std::size_t>(n));
        }
        return all;
    }

  private:
    void close_end(int end) {
        if (fds_[end] >= 0) {
            ::close(fds_[end]);
            fds_[end] = -1;
        }
    }
    int fds_[2] = {-1, -1};
};

// The pids of this process's children that are zombies (state Z in /proc/PID/stat).
inline std::vector<int> zombie_children() {
    std::vector<int> zombies;
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) {
        return zombies;
    }
    const int self = ::getpid();
    while (dirent* entry = ::readdir(proc)) {
        const std::string name = entry->d_name;
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream stat("/proc/" + name + "/stat");
        std::string line;
        std::getline(stat, line);
        // pid (comm) state ppid ...; comm may contain spaces, so parse after the last ')'.
        const std::size_t close = line.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::istringstream rest(line.substr(close + 1));
        char state = 0;
        int ppid = 0;
        rest >> state >> ppid;
        if (ppid == self && state == 'Z') {
            zombies.push_back(std::stoi(name));
        }
    }
    ::closedir(proc);
    return zombies;
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

}  // namespace testing_pipes
