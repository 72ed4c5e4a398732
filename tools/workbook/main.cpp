// workbook: the learner's command line. `./workbook --help` lists the verbs; docs/cli.md explains
// them.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <thread>
#include <utility>

#include "commands.hpp"
#include "skeleton_generator.hpp"

namespace {

int run(int argc, char** argv) {
    namespace fs = std::filesystem;
    CLI::App app{"The Python-internals workbook: run the katas, see your progress, get hints.",
                 "./workbook"};
    app.require_subcommand(1);

    workbook::CommonOptions options;
    options.build_dir = "build/learn";
    options.run.jobs = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    int timeout_seconds = 10;
    std::string chapter;

    auto add_common = [&](CLI::App* command, bool with_chapter) {
        command->add_option("--build-dir", options.build_dir,
                            "a configured build (default build/learn)");
        command->add_option("-j,--jobs", options.run.jobs, "tests run at once")
            ->check(CLI::Range(1, 64));
        command->add_option("--timeout", timeout_seconds, "seconds one test may take")
            ->check(CLI::Range(1, 3600));
        command->add_flag("-v,--verbose", options.verbose, "list every test");
        command->add_flag("--no-build", options.no_build,
                          "run what is built, build nothing (for CMake targets)");
        if (with_chapter) {
            command->add_option("--chapter,chapter", chapter, "only this chapter (1 or 01)");
        }
    };

    auto* list = app.add_subcommand("list", "the chapters in the build");
    add_common(list, false);
    auto* status = app.add_subcommand("status", "run the tests and show progress (exits 0)");
    add_common(status, true);
    auto* hint =
        app.add_subcommand("hint", "a nudge for the next failing step (--more: the recipe)");
    add_common(hint, true);
    bool hint_more = false;
    hint->add_flag("--more", hint_more, "the recipe instead of the nudge");
    auto* watch = app.add_subcommand("watch", "rebuild and rerun whenever a file changes");
    add_common(watch, true);
    auto* show =
        app.add_subcommand("show", "one step in full: its failure, where, how to rerun it");
    add_common(show, false);
    std::string show_step;
    show->add_option("step", show_step, "CHAPTER.STEP such as 1.3, or a test name (Step03...)")
        ->required();
    show->add_option("--chapter", chapter, "look for the test name in this chapter only");
    auto* focus = app.add_subcommand(
        "focus", "work on chapter N: it from skeletons/, the others from solutions/ (or: all)");
    add_common(focus, false);
    std::string focus_target;
    focus->add_option("chapter", focus_target, "a chapter number such as 3, or all")->required();
    auto* check = app.add_subcommand("check-skeletons",
                                     "fail if any kata test passes on the untouched skeletons");
    add_common(check, true);

    auto* reset = app.add_subcommand(
        "reset", "restore a chapter's untouched skeleton (your files are backed up)");
    fs::path source_dir = fs::current_path();
    std::string reset_chapter;
    std::optional<std::string> from;
    reset->add_option("chapter", reset_chapter, "chapter number")->required();
    reset->add_option("--source-dir", source_dir, "the workbook checkout (default: here)");
    reset->add_option("--from", from,
                      "git revision to restore from (default: upstream branch, else HEAD)");

    auto* generate = app.add_subcommand(
        "generate-skeletons", "write skeletons/ from the marked solutions (for chapter authors)");
    fs::path generate_source_dir = fs::current_path();
    bool generate_check = false;
    generate->add_option("--source-dir", generate_source_dir,
                         "the workbook checkout (default: here)");
    generate->add_flag("--check", generate_check,
                       "write nothing; fail if skeletons/ differs from what would be written");

    // A word that is no verb gets its own message (CLI11 would say "A subcommand is required").
    std::string verbs;
    bool known = false;
    for (const CLI::App* command : std::as_const(app).get_subcommands(nullptr)) {
        verbs += (verbs.empty() ? "" : ", ") + command->get_name();
        known = known || (argc > 1 && command->get_name() == argv[1]);
    }
    if (argc > 1 && argv[1][0] != '-' && !known) {
        std::cerr << "workbook: unknown verb '" << argv[1] << "'. The verbs: " << verbs
                  << " (./workbook --help says more).\n";
        return 2;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        const int code = app.exit(error);  // prints the help, or the error with a usage line
        return code == 0 ? 0 : 2;          // every usage error exits 2, as docs/cli.md says
    }
    std::string holder = "./workbook";
    for (int i = 1; i < argc; ++i) {
        holder += std::string(" ") + argv[i];
    }
    options.holder = holder;
    options.run.timeout = std::chrono::seconds(timeout_seconds);
    if (!chapter.empty()) {
        options.chapter = chapter;
    }
    try {
        if (*list) {
            return workbook::command_list(options);
        }
        if (*status) {
            return workbook::command_status(options);
        }
        if (*hint) {
            return workbook::command_hint(options, hint_more);
        }
        if (*watch) {
            return workbook::command_watch(options);
        }
        if (*show) {
            return workbook::command_show(options, show_step);
        }
        if (*focus) {
            return workbook::command_focus(options, focus_target);
        }
        if (*check) {
            return workbook::command_check_skeletons(options);
        }
        if (*generate) {
            return workbook::command_generate_skeletons(generate_source_dir, generate_check);
        }
        if (*reset) {
            return workbook::command_reset(source_dir, reset_chapter, from);
        }
    } catch (const workbook::UsageError& error) {
        std::cerr << "workbook: " << error.what() << "\n";
        return 2;
    } catch (const std::exception& error) {
        std::cerr << "workbook: unexpected error: " << error.what() << "\n";
        return 3;
    }
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& error) {
        std::cerr << "workbook: " << error.what() << "\n";
    } catch (...) {
        std::cerr << "workbook: unknown error\n";
    }
    return 3;
}
