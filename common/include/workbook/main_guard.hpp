// The C++ stand-in for Python's `if __name__ == "__main__":`.
//
// multiprocessing's spawn start method (chapter 09) starts a child by running the same program
// again with arguments that say "you are a child, run this target". Such a program must look at
// its arguments before doing anything else, so every workbook main() (test binaries, examples)
// begins with
//
//     if (auto exit_code = workbook::run_main_guards(argc, argv)) return *exit_code;
//
// Chapters that re-execute the program register a guard at load time; a guard that recognises
// its arguments runs the child and returns its exit code, otherwise it returns std::nullopt.
#pragma once

#include <optional>

namespace workbook {

using MainGuard = std::optional<int> (*)(int argc, char** argv);

// Safe to call from static initialisers: the registry is created on first use.
void register_main_guard(MainGuard guard);

// Asks every registered guard in registration order; the first that claims the process wins.
std::optional<int> run_main_guards(int argc, char** argv);

}  // namespace workbook
