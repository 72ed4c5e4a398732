#include "cpython.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>

namespace workbook::bench {

bool cpython_ready(benchmark::State& state) {
#if WORKBOOK_HAVE_LIBPYTHON
    static const bool started = [] {
        Py_InitializeEx(0);  // 0: leave this process's signal handlers alone
        return Py_IsInitialized() != 0;
    }();
    if (!started) {
        state.SkipWithError("Py_InitializeEx failed");
    }
    return started;
#else
    state.SkipWithError(
        "no libpython in this build: apt-get install python3-dev, then reconfigure");
    return false;
#endif
}

std::string run_python(const std::string& code) {
#ifdef WORKBOOK_PYTHON3
    const std::string command = std::string(WORKBOOK_PYTHON3) + " -c '" + code + "'";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        throw std::runtime_error("cannot start " + std::string(WORKBOOK_PYTHON3));
    }
    std::string out;
    std::array<char, 512> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
        out += buffer.data();
    }
    if (pclose(pipe) != 0) {
        throw std::runtime_error("python3 failed running: " + code);
    }
    return out;
#else
    (void)code;
    throw std::runtime_error("no python3 found when this build was configured");
#endif
}

}  // namespace workbook::bench
