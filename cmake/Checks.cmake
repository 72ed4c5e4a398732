# Targets that check the workbook rather than build it:
#   status           the learner's progress report (what `cmake --workflow --preset learn` ends with)
#   check-skeletons  fails if any kata test passes on the untouched skeletons
#   generate-skeletons         writes skeletons/ from the marked solutions
#   check-generated-skeletons  fails if skeletons/ differs from what the generator writes
#   format-check     clang-format, as CI runs it
#   tidy             clang-tidy over the solutions, common code and tools, with clang's
#                    thread-safety analysis (-Wthread-safety) as errors
#   coverage-report  lcov/genhtml HTML report (coverage presets only)
include_guard(GLOBAL)

get_property(test_targets GLOBAL PROPERTY WORKBOOK_TEST_TARGETS)

add_custom_target(status
    COMMAND workbook status --no-build --build-dir "${CMAKE_BINARY_DIR}"
    DEPENDS workbook ${test_targets}
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    USES_TERMINAL
    COMMENT "Workbook progress")

add_custom_target(check-skeletons
    COMMAND workbook check-skeletons --no-build --build-dir "${CMAKE_BINARY_DIR}"
    DEPENDS workbook ${test_targets}
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    USES_TERMINAL
    COMMENT "Every kata test must fail on the untouched skeletons")

# skeletons/ is generated from the marked solutions (tools/workbook/skeleton_generator.hpp).
add_custom_target(generate-skeletons
    COMMAND workbook generate-skeletons --source-dir "${PROJECT_SOURCE_DIR}"
    DEPENDS workbook USES_TERMINAL COMMENT "Writing skeletons/ from the marked solutions")
add_custom_target(check-generated-skeletons
    COMMAND workbook generate-skeletons --check --source-dir "${PROJECT_SOURCE_DIR}"
    DEPENDS workbook USES_TERMINAL COMMENT "skeletons/ must be what the generator writes")

file(GLOB_RECURSE formatted_sources CONFIGURE_DEPENDS
    "${PROJECT_SOURCE_DIR}/common/*.[ch]pp" "${PROJECT_SOURCE_DIR}/skeletons/*.[ch]pp"
    "${PROJECT_SOURCE_DIR}/solutions/*.[ch]pp" "${PROJECT_SOURCE_DIR}/given/*.[ch]pp"
    "${PROJECT_SOURCE_DIR}/tests/*.[ch]pp"
    "${PROJECT_SOURCE_DIR}/tools/*.[ch]pp" "${PROJECT_SOURCE_DIR}/benchmarks/*.[ch]pp"
    "${PROJECT_SOURCE_DIR}/examples/*.[ch]pp")
find_program(CLANG_FORMAT NAMES clang-format clang-format-14)
find_program(CLANG_TIDY NAMES clang-tidy clang-tidy-14)
if(CLANG_FORMAT)
    add_custom_target(format-check
        COMMAND ${CLANG_FORMAT} --dry-run --Werror ${formatted_sources}
        WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}" COMMENT "clang-format --dry-run" VERBATIM)
    add_custom_target(format
        COMMAND ${CLANG_FORMAT} -i ${formatted_sources}
        WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}" COMMENT "clang-format -i" VERBATIM)
endif()
find_program(RUN_CLANG_TIDY NAMES run-clang-tidy run-clang-tidy-14)
if(CLANG_TIDY AND RUN_CLANG_TIDY)
    # The solutions are the reference code, so they (not the learner's skeletons) are linted,
    # with the tests, tools and shared harness: every .cpp of this build's compile database
    # under those folders. Benchmarks are linted by the bench build only. clang's thread-safety
    # analysis runs in the same pass (the compile database is GCC's, which has no such warning):
    # the annotations of py/thread_annotations.hpp (chapters 05-07) are checked, as errors. The
    # flags go before the file's own, so the tests' -Wno-thread-safety (Workbook.cmake) wins.
    cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
    add_custom_target(tidy
        COMMAND ${RUN_CLANG_TIDY} -clang-tidy-binary ${CLANG_TIDY} -p "${CMAKE_BINARY_DIR}"
            -extra-arg-before=-Wthread-safety -extra-arg-before=-Werror=thread-safety
            -j ${cores} -quiet "${PROJECT_SOURCE_DIR}/(solutions|given|tests|tools|common)/.*[.]cpp$"
        WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}" COMMENT "clang-tidy" VERBATIM USES_TERMINAL)
endif()

if(WORKBOOK_COVERAGE)
    # A build of the solutions reports on them; a learner's build on the learner's code only.
    if(WORKBOOK_SKELETONS STREQUAL "none")
        set(coverage_of solutions)
    else()
        set(coverage_of skeletons)
    endif()
    find_program(LCOV lcov REQUIRED)
    find_program(GENHTML genhtml REQUIRED)
    add_custom_target(coverage-report
        COMMAND ${CMAKE_COMMAND}
            -DLCOV=${LCOV} -DGENHTML=${GENHTML} -DCTEST=${CMAKE_CTEST_COMMAND}
            -DBUILD_DIR=${CMAKE_BINARY_DIR} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
            -DFLOOR=${WORKBOOK_COVERAGE_FLOOR} -DCOVERAGE_OF=${coverage_of}
            -P "${PROJECT_SOURCE_DIR}/cmake/CoverageReport.cmake"
        DEPENDS ${test_targets}
        USES_TERMINAL
        COMMENT "Coverage report")
endif()
