# Proves that check_core_isolation.cmake catches each kind of forbidden use: run with
# -DCHECKER=<path to check_core_isolation.cmake> -DWORK_DIR=<scratch dir>. For every case it builds
# a small source tree under WORK_DIR holding one clean core file plus the case's file, runs the
# checker on it with -DROOT, and compares the exit status (and, for a refusal, the kind named in
# the message) with what the case expects. Fails listing every case that came out wrong.
cmake_minimum_required(VERSION 3.25)
if(NOT DEFINED CHECKER OR NOT DEFINED WORK_DIR)
  message(FATAL_ERROR "usage: cmake -DCHECKER=<checker> -DWORK_DIR=<dir> -P check_core_isolation_selftest.cmake")
endif()

set(failures "")
set(case_count 0)

# check(<name> <expect: pass|kind> <relative path> <file text>)
function(check name expect path text)
  set(root ${WORK_DIR}/${name})
  file(REMOVE_RECURSE ${root})
  file(WRITE ${root}/include/dvbcss/clock/clean.hpp "#pragma once\n#include <cstdint>\n")
  file(WRITE ${root}/${path} "${text}\n")
  execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${root} -P ${CHECKER}
                  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  math(EXPR n "${case_count} + 1")
  set(case_count ${n} PARENT_SCOPE)
  if(expect STREQUAL "pass")
    if(NOT status EQUAL 0)
      set(failures "${failures}\n  ${name}: expected to pass, checker said: ${out}" PARENT_SCOPE)
    endif()
  else()
    if(status EQUAL 0)
      set(failures "${failures}\n  ${name}: expected a refusal (${expect}), checker passed" PARENT_SCOPE)
    elseif(NOT out MATCHES "${path}: ${expect}:")
      set(failures "${failures}\n  ${name}: refused, but not as '${path}: ${expect}': ${out}" PARENT_SCOPE)
    endif()
  endif()
endfunction()

# Clean trees pass, including mentions in comments and the one allowed OS clock reader.
check(clean pass src/clock/ok.cpp "int f() { return 1; }")
check(comment_line pass include/dvbcss/wc/doc.hpp "/// Thread safety: none; guard with a std::mutex.\n// std::thread t;\n * clock_gettime(CLOCK_MONOTONIC)")
check(trailing_comment pass src/cii/a.cpp "int g() { return 2; } // not std::this_thread::sleep_for")
check(allowed_time_source pass src/clock/time_source.cpp "#include <ctime>\nvoid r(timespec& t) { ::clock_gettime(CLOCK_MONOTONIC, &t); }")
check(words_in_names pass src/ts/b.cpp "int websocket(int);\nint my_thread_count = 0;\nint mutex_free = 1;\nint uptime(int);")

# Asio and Beast.
check(asio asio_beast include/dvbcss/ts/a.hpp "#include <boost/asio/io_context.hpp>")
check(beast asio_beast src/cii/a.cpp "#  include \"boost/beast/websocket.hpp\"")

# Threads.
check(thread_header threads src/wc/a.cpp "#include <thread>")
check(std_thread threads src/dial/a.cpp "void f() { std::thread t([] {}); t.join(); }")
check(jthread threads include/dvbcss/tv/a.hpp "inline std::jthread worker;")
check(async threads src/json/a.cpp "auto r = std::async(g);")
check(pthread threads src/error.cpp "void f() { pthread_create(nullptr, nullptr, nullptr, nullptr); }")
check(future_header threads include/dvbcss/a.hpp "#include <future>")

# Locks.
check(mutex_header locks src/clock/a.cpp "#include <mutex>")
check(shared_mutex_header locks include/dvbcss/wc/a.hpp "#include <shared_mutex>")
check(condvar_header locks src/ts/a.cpp "#include <condition_variable>")
check(std_mutex locks src/tv/a.cpp "std::mutex m;")
check(lock_guard locks src/cii/a.cpp "void f() { std::lock_guard g(m); }")
check(condition_variable locks include/dvbcss/dial/a.hpp "inline std::condition_variable cv;")

# Sockets.
check(socket_header sockets src/dial/a.cpp "#include <sys/socket.h>")
check(netinet_header sockets src/wc/a.cpp "#include <netinet/in.h>")
check(arpa_header sockets include/dvbcss/dial/a.hpp "#include <arpa/inet.h>")
check(socket_call sockets src/wc/a.cpp "int s = ::socket(2, 2, 0);")
check(sendto_call sockets src/wc/b.cpp "void f() { sendto(s, p, n, 0, a, l); }")

# OS clock reads.
check(clock_gettime os_clock src/clock/a.cpp "void f(timespec& t) { clock_gettime(CLOCK_REALTIME, &t); }")
check(steady_now os_clock src/ts/a.cpp "auto t = std::chrono::steady_clock::now();")
check(system_now os_clock include/dvbcss/cii/a.hpp "inline auto t = std::chrono::system_clock::now();")
check(high_res os_clock src/wc/a.cpp "auto t = std::chrono::high_resolution_clock::now();")
check(gettimeofday os_clock src/tv/a.cpp "void f(timeval* v) { gettimeofday(v, nullptr); }")
check(time_nullptr os_clock src/json/a.cpp "long t = time(nullptr);")
check(sleep os_clock src/dial/a.cpp "void f() { std::this_thread::sleep_for(d); }")
# The allowance is for that one file only.
check(time_source_elsewhere os_clock src/clock/other_source.cpp "void r(timespec& t) { ::clock_gettime(CLOCK_MONOTONIC, &t); }")

file(REMOVE_RECURSE ${WORK_DIR})
if(failures)
  message(FATAL_ERROR "the core isolation check is wrong in these cases:${failures}")
endif()
message(STATUS "core isolation check: all ${case_count} cases come out as expected")
