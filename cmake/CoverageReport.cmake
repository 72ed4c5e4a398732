# cmake -P script behind the coverage-report target: zero the counters, run every test, capture,
# keep only the chapter code, write the HTML report to BUILD_DIR/coverage/index.html (file names
# relative to the checkout), and fail when line coverage is below FLOOR. The chapter code is the
# solutions and given/ in a build of the solutions (COVERAGE_OF=solutions); in a learner's build it is
# the learner's own code only, skeletons/, where a line that is still a PY_KATA_TODO stub does not
# count as code at all.
foreach(var LCOV GENHTML CTEST BUILD_DIR SOURCE_DIR FLOOR COVERAGE_OF)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "CoverageReport.cmake needs -D${var}=...")
    endif()
endforeach()
set(out "${BUILD_DIR}/coverage")
file(REMOVE_RECURSE "${out}")
file(MAKE_DIRECTORY "${out}")

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE output ERROR_VARIABLE output)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${output}")
    endif()
endfunction()

run(${LCOV} --quiet --zerocounters --directory "${BUILD_DIR}")
# Failing tests still tell which lines ran; a learner's report is useful long before all pass.
execute_process(COMMAND ${CTEST} --test-dir "${BUILD_DIR}" -j2 --label-regex kata --quiet
    RESULT_VARIABLE test_rc)
if(NOT test_rc EQUAL 0)
    message(STATUS "some tests failed; the report shows what the passing and failing tests ran")
endif()
if(COVERAGE_OF STREQUAL "solutions")
    set(kept "${SOURCE_DIR}/solutions/*" "${SOURCE_DIR}/given/*")
    set(excluded_lines "LCOV_EXCL_LINE")
else()
    set(kept "${SOURCE_DIR}/skeletons/*")
    set(excluded_lines "LCOV_EXCL_LINE|PY_KATA_TODO")
endif()
run(${LCOV} --quiet --capture --directory "${BUILD_DIR}" --rc "lcov_excl_line=${excluded_lines}"
    --output-file "${out}/all.info")
run(${LCOV} --quiet --extract "${out}/all.info" ${kept} --output-file "${out}/chapters.info")
run(${GENHTML} --quiet --demangle-cpp --legend --title "Python-internals workbook"
    --prefix "${SOURCE_DIR}" --output-directory "${out}" "${out}/chapters.info")
execute_process(COMMAND ${LCOV} --summary "${out}/chapters.info"
    OUTPUT_VARIABLE summary ERROR_VARIABLE summary)
message("${summary}")
if(NOT summary MATCHES "lines\\.*: ([0-9.]+)%")
    message(FATAL_ERROR "could not read line coverage from lcov --summary")
endif()
set(percent "${CMAKE_MATCH_1}")
file(RELATIVE_PATH shown "${SOURCE_DIR}" "${out}/index.html")
message("Coverage report: ${shown} (lines ${percent}%, floor ${FLOOR}%)")
if(percent LESS FLOOR)
    message(FATAL_ERROR "line coverage ${percent}% is below the floor of ${FLOOR}%")
endif()
