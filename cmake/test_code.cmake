# dvbcss_test_code(target): how the unit, integration and netns test programs' own code is
# compiled. At -Og in every build type but Debug (kept at -O0 for stepping through code): that
# code drives the library and the programs (built as configured) and measures nothing itself, and
# -O2 cost CI about 60 % more compile time per test file (integration tests: 11 s against 7 s
# each in the dev build). The media tests keep the build type's optimisation: they analyse
# recordings in process.
function(dvbcss_test_code target)
  target_compile_options(${target} PRIVATE
    $<$<AND:$<CXX_COMPILER_ID:GNU,Clang>,$<NOT:$<CONFIG:Debug>>>:-Og>)
endfunction()
