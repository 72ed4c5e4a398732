# Sanitizer and coverage flags, applied to everything the workbook compiles (GoogleTest comes
# prebuilt from Debian and stays uninstrumented, which both sanitizers tolerate).
include_guard(GLOBAL)

if(WORKBOOK_SANITIZE STREQUAL "address")
    set(flags -fsanitize=address,undefined,leak -fno-sanitize-recover=all -fno-omit-frame-pointer)
    add_compile_options(${flags})
    add_link_options(${flags})
elseif(WORKBOOK_SANITIZE STREQUAL "thread")
    add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
    add_link_options(-fsanitize=thread)
elseif(NOT WORKBOOK_SANITIZE STREQUAL "")
    message(FATAL_ERROR "WORKBOOK_SANITIZE='${WORKBOOK_SANITIZE}': use address, thread or leave it empty")
endif()

if(WORKBOOK_COVERAGE)
    if(WORKBOOK_SANITIZE)
        message(FATAL_ERROR "WORKBOOK_COVERAGE and WORKBOOK_SANITIZE do not mix; use one preset each")
    endif()
    add_compile_options(--coverage -O0 -g)
    add_link_options(--coverage)
endif()
