#include "common/stop_signals.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/read.hpp>
#include <boost/system/system_error.hpp>

#include <cerrno>
#include <csignal>
#include <memory>
#include <utility>

#include <pthread.h>
#include <sys/signalfd.h>

namespace dvbcss::tools {

namespace {

sigset_t stop_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

int open_signalfd() {
    block_stop_signals();
    const sigset_t set = stop_set();
    const int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        throw boost::system::system_error(errno, boost::system::system_category(), "signalfd");
    }
    return fd;
}

} // namespace

void block_stop_signals() {
    const sigset_t set = stop_set();
    if (const int err = pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0) {
        throw boost::system::system_error(err, boost::system::system_category(),
                                          "blocking SIGINT and SIGTERM");
    }
}

stop_signals::stop_signals(boost::asio::io_context& io)
    : descriptor_(io, open_signalfd()) {}

stop_signals::~stop_signals() = default;

void stop_signals::async_wait(handler_type handler) {
    // The record lives with the operation, so a wait outliving this object touches nothing of it.
    auto info = std::make_shared<signalfd_siginfo>();
    auto buffer = boost::asio::buffer(info.get(), sizeof *info);
    boost::asio::async_read(descriptor_, buffer,
                            [info = std::move(info), h = std::move(handler)](
                                const boost::system::error_code& ec, std::size_t) {
                                h(ec, ec ? 0 : static_cast<int>(info->ssi_signo));
                            });
}

void stop_signals::cancel() {
    descriptor_.cancel();
}

} // namespace dvbcss::tools
