// One build of a tree at a time. Two ninjas in one build directory (say `./workbook watch 1` in one
// terminal and `./workbook status` in another) race on the same outputs and can leave a library
// linked from half-written inputs that ninja then trusts. Every ./workbook that builds, configures
// or runs a tree's tests holds this lock; a second one waits, and says what it is waiting for.
// The `workbook` script takes the same lock with flock(1) on the same file.
#pragma once

#include <filesystem>
#include <string>

namespace workbook {

class BuildLock {
  public:
    // Takes BUILD_DIR/.workbook-lock, waiting (with a message on stderr) while another process
    // holds it. `holder` describes us to whoever waits next ("./workbook watch 1").
    BuildLock(const std::filesystem::path& build_dir, const std::string& holder);
    ~BuildLock();
    BuildLock(const BuildLock&) = delete;
    BuildLock& operator=(const BuildLock&) = delete;

    static std::filesystem::path file(const std::filesystem::path& build_dir) {
        return build_dir / ".workbook-lock";
    }

  private:
    int fd_ = -1;
};

}  // namespace workbook
