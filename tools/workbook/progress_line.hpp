// "Building your chapters: 12 of 150": one line on stderr that updates in place on a terminal, so a
// long build or test run is never a silent wait. Off a terminal (a log, CI) only announce() prints,
// once, as a plain line.
#pragma once

#include <string>

namespace workbook {

class ProgressLine {
  public:
    ProgressLine();
    ~ProgressLine() { clear(); }
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    void show(const std::string& text);      // on a terminal: replaces the line
    void announce(const std::string& text);  // off a terminal: printed once
    // Removes the line (on a terminal), so that what is printed next starts on a clean line.
    void clear();

  private:
    bool terminal_;
    bool shown_ = false;
    bool announced_ = false;
};

}  // namespace workbook
