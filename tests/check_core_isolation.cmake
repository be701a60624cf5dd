# The sans-I/O core stays sans-I/O: run with -DROOT=<source tree>; fails (naming each file, the
# kind and the offending line) if a core file
#   - includes Asio or Beast,
#   - uses threads (<thread>, <future>, std::thread, std::jthread, std::async, pthread),
#   - uses locks or waits (<mutex>, <shared_mutex>, <condition_variable>, <semaphore>, <latch>,
#     <barrier>, std::mutex and friends, lock guards),
#   - touches sockets (<sys/socket.h>, <netinet/...>, <arpa/inet.h>, <netdb.h>, socket(),
#     sendto(), setsockopt(), ...; calls with generic names such as send( or bind( are caught
#     by the includes they need),
#   - reads the OS clock (clock_gettime, gettimeofday, time(nullptr), std::chrono's steady,
#     system and high-resolution clocks, std::this_thread::sleep_*).
# Core files: include/dvbcss/*.hpp and src/*.cpp (base) and include/dvbcss/<area>/, src/<area>/
# for every core area below. Comments are not code: a line's text after // is ignored, and so is
# a line starting with // or *.
cmake_minimum_required(VERSION 3.25)
if(NOT DEFINED ROOT)
  message(FATAL_ERROR "usage: cmake -DROOT=<source tree> -P check_core_isolation.cmake")
endif()

set(core_areas clock wc cii ts json tv dial media)

# The one place that reads the OS clock: clock::monotonic_time_source, the root every clock tree
# is given in production (tests give a fake one). Everything else gets time through it.
set(allowed_os_clock src/clock/time_source.cpp)

set(kinds asio_beast threads locks sockets os_clock)
set(re_asio_beast "#[ \t]*include[ \t]*[<\"]boost/(asio|beast)")
set(re_threads "#[ \t]*include[ \t]*<(thread|future|stop_token|pthread\\.h)>|std::(thread|jthread|async)([^a-zA-Z0-9_]|$)|pthread_")
set(re_locks "#[ \t]*include[ \t]*<(mutex|shared_mutex|condition_variable|semaphore|latch|barrier)>|std::(mutex|recursive_mutex|timed_mutex|recursive_timed_mutex|shared_mutex|shared_timed_mutex|condition_variable|condition_variable_any|lock_guard|unique_lock|shared_lock|scoped_lock|counting_semaphore|binary_semaphore|latch|barrier)([^a-zA-Z0-9_]|$)")
set(re_sockets "#[ \t]*include[ \t]*<(sys/socket\\.h|netinet/[a-z0-9_]+\\.h|arpa/inet\\.h|netdb\\.h|sys/un\\.h|poll\\.h|sys/epoll\\.h|sys/select\\.h)>|(^|[^a-zA-Z0-9_.>])(socket|socketpair|accept4|recvfrom|recvmsg|recvmmsg|sendto|sendmsg|sendmmsg|setsockopt|getsockopt|getaddrinfo|inet_pton|inet_ntop)[ \t]*\\(")
set(re_os_clock "(clock_gettime|gettimeofday|timespec_get)[ \t]*\\(|(^|[^a-zA-Z0-9_])time[ \t]*\\([ \t]*(nullptr|NULL|0)[ \t]*\\)|(steady_clock|system_clock|high_resolution_clock|utc_clock|tai_clock|gps_clock|file_clock)::now|this_thread::sleep_")

set(files "")
file(GLOB top ${ROOT}/include/dvbcss/*.hpp ${ROOT}/src/*.cpp ${ROOT}/src/*.hpp)
list(APPEND files ${top})
foreach(area IN LISTS core_areas)
  file(GLOB_RECURSE in_area ${ROOT}/include/dvbcss/${area}/*.hpp ${ROOT}/include/dvbcss/${area}/*.cpp
                            ${ROOT}/src/${area}/*.hpp ${ROOT}/src/${area}/*.cpp)
  list(APPEND files ${in_area})
endforeach()
list(LENGTH files file_count)
if(file_count EQUAL 0)
  message(FATAL_ERROR "no core files under ${ROOT}: wrong ROOT?")
endif()

set(bad "")
foreach(f IN LISTS files)
  file(RELATIVE_PATH rel ${ROOT} ${f})
  foreach(kind IN LISTS kinds)
    if(kind STREQUAL "os_clock" AND rel IN_LIST allowed_os_clock)
      continue()
    endif()
    # A cheap pre-filter on whole lines; each candidate is then checked without its comment.
    file(STRINGS ${f} hits REGEX "${re_${kind}}")
    foreach(line IN LISTS hits)
      if(line MATCHES "^[ \t]*(//|\\*|/\\*)")
        continue()
      endif()
      string(REGEX REPLACE "//.*$" "" code "${line}")
      if(code MATCHES "${re_${kind}}")
        string(STRIP "${code}" code)
        string(APPEND bad "\n  ${rel}: ${kind}: ${code}")
      endif()
    endforeach()
  endforeach()
endforeach()

if(bad)
  message(FATAL_ERROR "sans-I/O core files use I/O, threads, locks or the OS clock:${bad}")
endif()
message(STATUS "core isolation: ${file_count} core files free of Asio/Beast, threads, locks, "
               "sockets and OS clock reads (allowed OS clock reader: ${allowed_os_clock})")
