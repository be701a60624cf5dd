// The one translation unit that compiles Asio and Beast (separate compilation): every other net
// file includes their headers only.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
