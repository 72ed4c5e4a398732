// inotify behind FileWatcher (see file_watcher.hpp).
#include "file_watcher.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace workbook {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM;

}  // namespace

FileWatcher::FileWatcher() : fd_(inotify_init1(IN_CLOEXEC)) {
    if (fd_ < 0) {
        throw std::runtime_error(std::string("inotify is not available: ") + std::strerror(errno));
    }
}

FileWatcher::~FileWatcher() {
    close(fd_);
}

void FileWatcher::add_tree(const fs::path& root) {
    std::error_code error;
    if (!fs::is_directory(root, error)) {
        return;
    }
    const auto add = [this](const fs::path& folder) {
        const int wd = inotify_add_watch(fd_, folder.c_str(), kEvents);
        if (wd >= 0) {
            folders_[wd] = folder;
        }
    };
    add(root);
    // A folder may vanish while we walk (an editor's temporary folder): skip it, do not fail.
    for (auto it = fs::recursive_directory_iterator(
             root, fs::directory_options::skip_permission_denied, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
        if (it->is_directory(error)) {
            add(it->path());
        }
    }
}

bool FileWatcher::read_events(std::vector<fs::path>& changed) {
    alignas(inotify_event) std::array<char, 8192> buffer{};
    const ssize_t count = read(fd_, buffer.data(), buffer.size());
    if (count < 0) {
        if (errno == EINTR || errno == EAGAIN) {
            return false;
        }
        throw std::runtime_error(std::string("inotify read failed: ") + std::strerror(errno));
    }
    for (ssize_t offset = 0; offset < count;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + offset);
        offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        const auto folder = folders_.find(event->wd);
        if (folder == folders_.end() || event->len == 0) {
            continue;
        }
        const fs::path path = folder->second / event->name;
        if ((event->mask & IN_ISDIR) != 0 && (event->mask & (IN_CREATE | IN_MOVED_TO)) != 0) {
            add_tree(path);  // files saved into it from now on are seen
        }
        if (std::find(changed.begin(), changed.end(), path) == changed.end()) {
            changed.push_back(path);
        }
    }
    return count > 0;
}

std::vector<fs::path> FileWatcher::wait_for_changes() {
    std::vector<fs::path> changed;
    while (changed.empty()) {
        read_events(changed);  // blocks until the first event
    }
    // Editors save in bursts (temporary file, rename, chmod): drain until it is quiet.
    pollfd pending{fd_, POLLIN, 0};
    while (poll(&pending, 1, 300) > 0) {
        if (!read_events(changed)) {
            break;
        }
    }
    return changed;
}

}  // namespace workbook
