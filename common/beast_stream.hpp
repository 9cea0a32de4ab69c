#pragma once
// Lets Beast's synchronous HTTP algorithms (read_header, read_some, ...) run on a berth::Stream, so
// parsing is Beast's and deadlines are the Stream's. Internal to common/'s HTTP server and client.
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/system/system_error.hpp>

#include "common/error.hpp"
#include "common/stream.hpp"

namespace berth::detail {

class BeastStream {
 public:
  explicit BeastStream(Stream& stream) : stream_(stream) {}

  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, boost::beast::error_code& ec) {
    ec = {};
    for (auto b : boost::beast::buffers_range_ref(buffers)) {
      if (b.size() == 0) continue;
      try {
        const size_t n = stream_.read_some(b.data(), b.size());
        if (n == 0) ec = boost::asio::error::eof;
        return n;
      } catch (const Timeout&) {
        ec = boost::beast::error::timeout;
      } catch (const SystemError& e) {
        ec = boost::system::error_code(e.code(), boost::system::system_category());
      } catch (const Error&) {
        ec = boost::asio::error::connection_aborted;
      }
      return 0;
    }
    return 0;
  }

  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    boost::beast::error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  // Writes whole buffers: Stream::write_all already loops, and Beast accepts more than "some".
  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers, boost::beast::error_code& ec) {
    ec = {};
    size_t total = 0;
    try {
      for (auto b : boost::beast::buffers_range_ref(buffers)) {
        stream_.write_all(b.data(), b.size());
        total += b.size();
      }
    } catch (const Timeout&) {
      ec = boost::beast::error::timeout;
    } catch (const SystemError& e) {
      ec = boost::system::error_code(e.code(), boost::system::system_category());
    } catch (const Error&) {
      ec = boost::asio::error::connection_aborted;
    }
    return total;
  }

  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers) {
    boost::beast::error_code ec;
    const size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  Stream& stream_;
};

}  // namespace berth::detail
