#include "workbook/main_guard.hpp"

#include <mutex>
#include <vector>

namespace workbook {
namespace {

struct Registry {
    std::mutex mutex;
    std::vector<MainGuard> guards;
};

Registry& registry() {
    static Registry instance;  // constructed on first use, so static initialisers may register
    return instance;
}

}  // namespace

void register_main_guard(MainGuard guard) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    r.guards.push_back(guard);
}

std::optional<int> run_main_guards(int argc, char** argv) {
    std::vector<MainGuard> guards;
    {
        Registry& r = registry();
        std::lock_guard lock(r.mutex);
        guards = r.guards;
    }
    for (MainGuard guard : guards) {
        if (auto exit_code = guard(argc, argv)) {
            return exit_code;
        }
    }
    return std::nullopt;
}

}  // namespace workbook
