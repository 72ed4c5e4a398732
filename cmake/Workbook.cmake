# How a chapter becomes targets. Each chapter is described by one manifest,
# chapters/NN-slug/chapter.json, which the build, the workbook CLI and the skeleton check all read:
#
#   number, slug, title   "01", "refcount", "Reference counting and refchain"
#   depends               chapter numbers whose libraries this chapter's library uses
#   link                  further CMake targets to link (e.g. "Threads::Threads")
#   labels                extra ctest labels: "concurrency" (TSan, 100 times in a row) or
#                         "threads" (TSan, once: chapters whose threads are not the lesson)
#   test_suite            the GoogleTest suite name of the chapter's steps
#   steps                 the kata, in order: test name, lesson section, hint
#
# For chapter NN the build makes
#   chNN_slug        a shared library from skeletons/NN-slug or solutions/NN-slug, plus the
#                    given (non-kata) code in given/NN-slug/src, if any
#   chNN_slug_tests  one GoogleTest binary from tests/NN-slug, every test registered with ctest
#                    separately, with a timeout and the labels chNN, slug, kata (+ manifest labels)

include_guard(GLOBAL)
include(GoogleTest)

# Tests that compare with Python (chapter 09's pickle, 10's connections) run Debian's python3,
# never whichever python3 is first on PATH: WORKBOOK_PYTHON3 is its path, compiled into every
# test binary.
if(EXISTS /usr/bin/python3)
    set(WORKBOOK_PYTHON3 /usr/bin/python3 CACHE FILEPATH "The python3 that interop tests run")
else()
    find_program(WORKBOOK_PYTHON3 python3)
endif()

# True when chapter NUMBER is to be built from skeletons/ (WORKBOOK_SKELETONS is "all", "none" or
# a list such as "01;03" or "1,3").
function(workbook_chapter_uses_skeleton number out_var)
    string(REPLACE "," ";" wanted "${WORKBOOK_SKELETONS}")
    set(result FALSE)
    if(wanted STREQUAL "all")
        set(result TRUE)
    elseif(NOT wanted STREQUAL "none" AND NOT wanted STREQUAL "")
        math(EXPR wanted_number "${number}")  # "01" -> 1
        foreach(item IN LISTS wanted)
            string(STRIP "${item}" item)
            if(NOT item MATCHES "^[0-9]+$")
                message(FATAL_ERROR
                    "WORKBOOK_SKELETONS='${WORKBOOK_SKELETONS}': '${item}' is not a chapter number. "
                    "Use all, none, or chapter numbers such as 01;03.")
            endif()
            math(EXPR item_number "${item}")
            if(item_number EQUAL wanted_number)
                set(result TRUE)
            endif()
        endforeach()
    endif()
    set(${out_var} ${result} PARENT_SCOPE)
endfunction()

# Reads a JSON array member of MANIFEST into a CMake list.
function(workbook_json_list manifest member out_var)
    set(values "")
    string(JSON type ERROR_VARIABLE missing TYPE "${manifest}" ${member})
    if(NOT missing AND type STREQUAL "ARRAY")
        string(JSON count LENGTH "${manifest}" ${member})
        if(count GREATER 0)
            math(EXPR last "${count} - 1")
            foreach(i RANGE ${last})
                string(JSON value GET "${manifest}" ${member} ${i})
                list(APPEND values "${value}")
            endforeach()
        endif()
    endif()
    set(${out_var} "${values}" PARENT_SCOPE)
endfunction()

# Every step names its test, its lesson section, a nudge (what `./workbook hint` shows first) and
# a recipe (`hint --more`); and the steps follow the lesson, so "Next" never sends a learner back
# to an earlier section.
function(workbook_check_steps chapter_dir manifest)
    string(JSON count LENGTH "${manifest}" steps)
    math(EXPR last "${count} - 1")
    set(previous_section 0)
    foreach(index RANGE ${last})
        math(EXPR step "${index} + 1")
        foreach(key IN ITEMS test section nudge hint)
            string(JSON value ERROR_VARIABLE missing GET "${manifest}" steps ${index} ${key})
            if(missing OR value STREQUAL "")
                message(FATAL_ERROR "${chapter_dir}/chapter.json: step ${step} has no \"${key}\"")
            endif()
        endforeach()
        string(JSON section GET "${manifest}" steps ${index} section)
        string(REGEX REPLACE "^§([0-9]+)$" "\\1" section_number "${section}")
        if(NOT section_number MATCHES "^[0-9]+$")
            message(FATAL_ERROR "${chapter_dir}/chapter.json: step ${step}'s section is '${section}', not §N")
        endif()
        if(section_number LESS previous_section)
            message(FATAL_ERROR "${chapter_dir}/chapter.json: step ${step} is in ${section}, after a "
                "step in §${previous_section}: steps follow the lesson's sections in order")
        endif()
        set(previous_section ${section_number})
    endforeach()
endfunction()

# Adds the chapter in CHAPTER_DIR (an absolute path to chapters/NN-slug).
function(workbook_add_chapter chapter_dir)
    get_filename_component(folder "${chapter_dir}" NAME)
    file(READ "${chapter_dir}/chapter.json" manifest)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${chapter_dir}/chapter.json")
    string(JSON number GET "${manifest}" number)
    string(JSON slug GET "${manifest}" slug)
    string(JSON title GET "${manifest}" title)
    string(JSON suite GET "${manifest}" test_suite)
    workbook_json_list("${manifest}" depends depends)
    workbook_json_list("${manifest}" link link)
    workbook_json_list("${manifest}" labels extra_labels)
    if(NOT folder STREQUAL "${number}-${slug}")
        message(FATAL_ERROR "${chapter_dir}/chapter.json says ${number}-${slug}, the folder is ${folder}")
    endif()
    workbook_check_steps("${chapter_dir}" "${manifest}")

    workbook_chapter_uses_skeleton(${number} use_skeleton)
    if(use_skeleton)
        set(tree skeletons)
    else()
        set(tree solutions)
    endif()
    set(source_dir "${PROJECT_SOURCE_DIR}/${tree}/${folder}")
    set(library ch${number}_${slug})
    string(REPLACE "-" "_" library "${library}")

    # The learner may add files; CONFIGURE_DEPENDS notices them on the next build.
    # given/NN-slug/src holds scaffolding that is not a kata (private helpers, internal state):
    # compiled with either tree, so it is written once rather than copied into both.
    set(given_dir "${PROJECT_SOURCE_DIR}/given/${folder}/src")
    file(GLOB_RECURSE sources CONFIGURE_DEPENDS "${source_dir}/src/*.cpp" "${given_dir}/*.cpp")
    add_library(${library} SHARED ${sources})
    # A library with an undefined symbol fails to link instead of linking and failing later: a
    # link that read a half-written dependency cannot leave a library that ninja then trusts.
    # (Sanitizer runtimes are resolved at program start, so those builds keep the default.)
    if(NOT WORKBOOK_SANITIZE)
        target_link_options(${library} PRIVATE LINKER:--no-undefined)
    endif()
    target_include_directories(${library} PUBLIC "${source_dir}/include")
    # given/NN-slug/include holds the public headers that carry no kata code: one copy for both
    # trees. Listed after the tree's own include folder, which holds the headers with kata code.
    set(given_include_dir "${PROJECT_SOURCE_DIR}/given/${folder}/include")
    if(EXISTS "${given_include_dir}")
        target_include_directories(${library} PUBLIC "${given_include_dir}")
    endif()
    if(EXISTS "${given_dir}")
        target_include_directories(${library} PRIVATE "${given_dir}")
    endif()
    target_compile_definitions(${library} PRIVATE WORKBOOK_CHAPTER_DIR="chapters/${folder}")
    target_link_libraries(${library} PUBLIC workbook::common ${link})
    foreach(dependency IN LISTS depends)
        get_property(dependency_target GLOBAL PROPERTY WORKBOOK_CHAPTER_${dependency}_LIBRARY)
        if(NOT dependency_target)
            message(FATAL_ERROR "chapter ${number} depends on chapter ${dependency}, which is not (yet) defined")
        endif()
        target_link_libraries(${library} PUBLIC ${dependency_target})
    endforeach()
    set_property(GLOBAL PROPERTY WORKBOOK_CHAPTER_${number}_LIBRARY ${library})
    # The tests look at refchain (chapter 01 teaches it): a build without it (the bench preset,
    # WORKBOOK_TRACE_REFS=OFF) builds the chapter libraries for the benchmarks and no tests.
    if(NOT WORKBOOK_TRACE_REFS)
        return()
    endif()
    # WORKBOOK_TEST_LABEL (the tsan preset: "concurrency;threads") builds and runs only the tests
    # of the chapters with one of those labels; the others' libraries are still built for the
    # chapters above them.
    if(WORKBOOK_TEST_LABEL)
        set(labelled FALSE)
        foreach(label IN LISTS WORKBOOK_TEST_LABEL)
            if(label IN_LIST extra_labels)
                set(labelled TRUE)
            endif()
        endforeach()
        if(NOT labelled)
            return()
        endif()
    endif()

    set(test_target ${library}_tests)
    file(GLOB_RECURSE test_sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tests/${folder}/*.cpp")
    add_executable(${test_target} ${test_sources})
    target_link_libraries(${test_target} PRIVATE ${library} workbook::test_main)
    # Tests use the locks as Python code would (std::lock_guard, and misuse on purpose), so the
    # lint build's thread-safety analysis (cmake/Checks.cmake) checks the library code only.
    # GCC ignores an unknown -Wno- option.
    target_compile_options(${test_target} PRIVATE -Wno-thread-safety)
    target_compile_definitions(${test_target} PRIVATE WORKBOOK_PYTHON3="${WORKBOOK_PYTHON3}")
    if(WORKBOOK_PCH)
        # GoogleMock's headers are most of each test file's compile time: parse them once for the
        # whole build (common/CMakeLists.txt), not once per chapter.
        target_precompile_headers(${test_target} REUSE_FROM harness_selftest)
    endif()
    set_target_properties(${test_target} PROPERTIES
        RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests/${folder}")
    # Interop tests run Debian's python3 (the one with python3-aiohttp and friends), not whatever
    # python3 is first on PATH; helper scripts live next to the tests.
    find_program(WORKBOOK_SYSTEM_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
    if(WORKBOOK_SYSTEM_PYTHON3)
        target_compile_definitions(${test_target} PRIVATE
            WORKBOOK_PYTHON3="${WORKBOOK_SYSTEM_PYTHON3}")
    endif()
    target_compile_definitions(${test_target} PRIVATE
        WORKBOOK_TESTS_DIR="${PROJECT_SOURCE_DIR}/tests/${folder}")

    # Labels go on the directory (one per chapter, see cmake/chapter/CMakeLists.txt): ctest
    # applies them to every test discovered here.
    set_property(DIRECTORY PROPERTY LABELS ch${number} ${slug} kata ${tree} ${extra_labels})
    set(extra_args "")
    if("concurrency" IN_LIST extra_labels AND WORKBOOK_CONCURRENCY_REPEAT GREATER 1)
        set(extra_args --gtest_repeat=${WORKBOOK_CONCURRENCY_REPEAT})
    endif()
    # ctest's own timeout is a backstop a little above the in-process watchdog of the test main,
    # so a hung test normally fails with the watchdog's message.
    math(EXPR ctest_timeout "${WORKBOOK_TEST_TIMEOUT} + 5")
    if(extra_args)
        math(EXPR ctest_timeout "${ctest_timeout} * ${WORKBOOK_CONCURRENCY_REPEAT}")
    endif()
    gtest_discover_tests(${test_target}
        TEST_PREFIX "ch${number}."
        EXTRA_ARGS ${extra_args}
        DISCOVERY_MODE PRE_TEST
        DISCOVERY_TIMEOUT 30
        PROPERTIES TIMEOUT ${ctest_timeout})

    set_property(GLOBAL APPEND PROPERTY WORKBOOK_TEST_TARGETS ${test_target})
    # The chapter's entry in workbook.json (see workbook_write_build_index), appended to the JSON
    # array kept in a global property: a string, so a ';' in a title cannot split it as a list.
    set(entry "{}")
    workbook_json_set(entry number "${number}")
    workbook_json_set(entry folder "${folder}")
    workbook_json_set(entry title "${title}")
    workbook_json_set(entry tree "${tree}")
    workbook_json_set(entry test_suite "${suite}")
    workbook_json_set(entry test_target "${test_target}")
    workbook_json_set(entry manifest "${chapter_dir}/chapter.json")
    workbook_json_set(entry lesson "${chapter_dir}/README.md")
    workbook_json_set(entry sources "${source_dir}")
    workbook_json_set(entry tests "${PROJECT_SOURCE_DIR}/tests/${folder}")
    workbook_json_set(entry binary "$<TARGET_FILE:${test_target}>")
    get_property(chapters GLOBAL PROPERTY WORKBOOK_CHAPTER_INDEX)
    if(NOT chapters)
        set(chapters "[]")
    endif()
    string(JSON count LENGTH "${chapters}")
    string(JSON chapters SET "${chapters}" ${count} "${entry}")  # an index past the end appends
    set_property(GLOBAL PROPERTY WORKBOOK_CHAPTER_INDEX "${chapters}")
endfunction()

# Sets member KEY of the JSON object in variable JSON_VAR to the string TEXT. string(JSON ... SET)
# takes JSON text, so TEXT is quoted here, with backslashes, quotes and control characters escaped.
function(workbook_json_set json_var key text)
    string(REPLACE "\\" "\\\\" text "${text}")
    string(REPLACE "\"" "\\\"" text "${text}")
    string(REPLACE "\n" "\\n" text "${text}")
    string(REPLACE "\t" "\\t" text "${text}")
    string(REPLACE "\r" "\\r" text "${text}")
    string(JSON json SET "${${json_var}}" ${key} "\"${text}\"")
    set(${json_var} "${json}" PARENT_SCOPE)
endfunction()

# Writes build/<preset>/workbook.json: what the workbook CLI needs to know about this build. Built
# with string(JSON ... SET), so a path or title with a quote or a backslash stays valid JSON.
function(workbook_write_build_index)
    get_property(chapters GLOBAL PROPERTY WORKBOOK_CHAPTER_INDEX)
    if(NOT chapters)
        set(chapters "[]")
    endif()
    set(index "{}")
    workbook_json_set(index source_dir "${PROJECT_SOURCE_DIR}")
    workbook_json_set(index build_dir "${CMAKE_BINARY_DIR}")
    workbook_json_set(index skeletons "${WORKBOOK_SKELETONS}")
    math(EXPR timeout "${WORKBOOK_TEST_TIMEOUT}")  # a number, or a clear error
    string(JSON index SET "${index}" test_timeout ${timeout})
    string(JSON index SET "${index}" chapters "${chapters}")
    file(GENERATE OUTPUT "${CMAKE_BINARY_DIR}/workbook.json" CONTENT "${index}\n")
endfunction()
