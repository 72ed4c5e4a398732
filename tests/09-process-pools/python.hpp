// Runs Debian's python3 (WORKBOOK_PYTHON3, set by the build) on a script and returns what it
// printed. Interop tests use it to compare our bytes with CPython's at run time.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#ifndef WORKBOOK_PYTHON3
#define WORKBOOK_PYTHON3 "/usr/bin/python3"
#endif

namespace testing_python {

// The script's stdout; `exit_status` gets its wait status (0 when it succeeded).
inline std::string run_python(const std::string& script, int* exit_status = nullptr) {
    char path[] = "/tmp/workbook_python_XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) {
        ADD_FAILURE() << "mkstemp failed";
        return "";
    }
    ::close(fd);
    {
        std::ofstream file(path);
        file << script;
    }
    const std::string command = std::string(WORKBOOK_PYTHON3) + " " + path;
    FILE* pipe = ::popen(command.c_str(), "r");
    std::string output;
    if (pipe != nullptr) {
        char buffer[65536];
        std::size_t n = 0;
        while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
            output.append(buffer, n);
        }
        const int status = ::pclose(pipe);
        if (exit_status != nullptr) {
            *exit_status = status;
        }
    }
    std::remove(path);
    return output;
}

}  // namespace testing_python
