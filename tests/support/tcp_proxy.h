// A TCP forwarder on a free loopback port that a test can cut and restore: while cut, every
// connection through it is closed and new ones are refused, as when a remote node goes away.
// One thread polls every socket.
//
// Thread-safety: Cut and Restore from any thread.
#pragma once

#include <atomic>
#include <string>
#include <thread>

namespace tributary::testing {

class TcpProxy {
 public:
  //! Forwards 127.0.0.1:port() to 127.0.0.1:target_port.
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  //! Closes every connection and stops listening; false if that did not happen within 10 s.
  bool Cut();
  //! Listens on the same port again; false if it could not within 10 s.
  bool Restore();

 private:
  void Loop(int listen_fd);

  const int target_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_{false};
  std::atomic<bool> listening_{false};
  std::thread thread_;
};

}  // namespace tributary::testing
