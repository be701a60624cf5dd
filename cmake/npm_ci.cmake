# cmake -DDIR=<dir> [-DNPM=<npm>] -P npm_ci.cmake
# Brings <dir>/node_modules in line with <dir>/package-lock.json: runs `npm ci` (from the npm cache
# when it holds the packages, else from the registry) when node_modules is missing or older than
# the lock file, and does nothing otherwise, so it needs no network once the packages are there.
# "Older" is judged by node_modules/.package-lock.json, the record npm writes last when an install
# completes: an interrupted install leaves none and is redone.
# Used as the setup of the ctest fixture the interop tests require. Builds of the same source tree
# in several build directories may run it at once: a lock file in the temporary directory keyed by
# <dir> makes them take turns.
if(NOT DIR OR NOT EXISTS "${DIR}/package-lock.json")
  message(FATAL_ERROR "npm_ci.cmake: DIR must name a directory holding package-lock.json (got '${DIR}')")
endif()

set(lock_file "${DIR}/package-lock.json")
set(stamp "${DIR}/node_modules/.package-lock.json")

function(npm_modules_current out)
  if(EXISTS "${stamp}" AND NOT "${lock_file}" IS_NEWER_THAN "${stamp}")
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

npm_modules_current(current)
if(current)
  message(STATUS "node_modules is up to date with package-lock.json in ${DIR}")
  return()
endif()

if(DEFINED ENV{TMPDIR} AND IS_DIRECTORY "$ENV{TMPDIR}")
  set(temp_dir "$ENV{TMPDIR}")
else()
  set(temp_dir "/tmp")
endif()
string(SHA1 dir_key "${DIR}")
set(guard "${temp_dir}/dvbcss-npm-ci-${dir_key}.lock")
file(LOCK "${guard}" GUARD PROCESS TIMEOUT 600 RESULT_VARIABLE lock_result)
if(lock_result)
  message(FATAL_ERROR "npm_ci.cmake: could not lock ${guard}: ${lock_result}")
endif()

# Another process may have installed the packages while this one waited for the lock.
npm_modules_current(current)
if(current)
  message(STATUS "node_modules was installed meanwhile in ${DIR}")
  return()
endif()

if(NOT NPM)
  find_program(NPM npm)
endif()
if(NOT NPM)
  message(FATAL_ERROR "npm_ci.cmake: node_modules in ${DIR} is missing or stale and npm was not "
                      "found: install npm (scripts/install-deps.sh) and run the tests again")
endif()

message(STATUS "npm ci in ${DIR}")
execute_process(COMMAND "${NPM}" ci --prefer-offline --no-audit --no-fund --loglevel=error
                WORKING_DIRECTORY "${DIR}" RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "npm_ci.cmake: `npm ci` failed in ${DIR} (${rc}); the interop tests need "
                      "the packages of package-lock.json (network access or a filled npm cache)")
endif()
npm_modules_current(current)
if(NOT current)
  message(FATAL_ERROR "npm_ci.cmake: `npm ci` succeeded but ${stamp} is not newer than the lock file")
endif()
