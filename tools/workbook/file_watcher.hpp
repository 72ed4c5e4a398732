// Waits for files to change under a few folders (inotify), for `watch`. Folders created after the
// watch starts (a new src/detail/, a folder moved in) are watched too, as soon as they appear.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace workbook {

class FileWatcher {
  public:
    FileWatcher();  // throws std::runtime_error when inotify is not available
    ~FileWatcher();
    FileWatcher(const FileWatcher&) = delete;
    FileWatcher& operator=(const FileWatcher&) = delete;

    // Watches `root` and every folder under it (nothing when `root` does not exist).
    void add_tree(const std::filesystem::path& root);

    // Blocks until something changes, lets an editor's burst of events settle (300 ms of quiet),
    // and returns the paths that changed (created, written, moved in or deleted).
    std::vector<std::filesystem::path> wait_for_changes();

  private:
    // Reads the pending events; false when there were none.
    bool read_events(std::vector<std::filesystem::path>& changed);

    int fd_ = -1;
    std::map<int, std::filesystem::path> folders_;  // watch descriptor -> folder
};

}  // namespace workbook
