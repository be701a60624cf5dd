# dvbcss_set_warnings(target): the project's warning set, applied per target (never via CMAKE_CXX_FLAGS).
function(dvbcss_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wnon-virtual-dtor>
    $<$<BOOL:${DVBCSS_WARNINGS_AS_ERRORS}>:-Werror>)
endfunction()
