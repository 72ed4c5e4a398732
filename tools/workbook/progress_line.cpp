// The updating progress line (see progress_line.hpp): carriage return and "erase line" on a
// terminal, cut to the terminal's width so it never wraps.
#include "progress_line.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <iostream>

namespace workbook {
namespace {

std::size_t terminal_width() {
    winsize size{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 10) {
        return size.ws_col;
    }
    return 80;
}

}  // namespace

ProgressLine::ProgressLine() : terminal_(isatty(STDERR_FILENO) == 1) {}

void ProgressLine::show(const std::string& text) {
    if (!terminal_) {
        return;
    }
    const std::size_t width = terminal_width() - 1;
    std::cerr << "\r\033[K" << (text.size() > width ? text.substr(0, width) : text) << std::flush;
    shown_ = true;
}

void ProgressLine::announce(const std::string& text) {
    if (!terminal_ && !announced_) {
        std::cerr << text << "\n" << std::flush;
        announced_ = true;
    }
}

void ProgressLine::clear() {
    if (terminal_ && shown_) {
        std::cerr << "\r\033[K" << std::flush;
    }
    shown_ = false;
}

}  // namespace workbook
