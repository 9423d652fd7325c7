#include "support/tcp_proxy.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <utility>
#include <vector>

namespace tributary::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

// Every socket is close-on-exec: a child process (the node under test) must not inherit the
// listening socket, or the port would stay open after Cut.
int Listen(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int yes = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in a = Loopback(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 64) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_(target_port) {
  int fd = Listen(0);
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  listening_ = true;
  thread_ = std::thread([this, fd] { Loop(fd); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  thread_.join();
}

bool TcpProxy::Cut() {
  cut_ = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (listening_ && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return !listening_;
}

bool TcpProxy::Restore() {
  cut_ = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!listening_ && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return listening_;
}

void TcpProxy::Loop(int listen_fd) {
  std::vector<std::pair<int, int>> links;  // (client, target)
  auto close_all = [&] {
    for (auto [a, b] : links) {
      ::close(a);
      ::close(b);
    }
    links.clear();
    if (listen_fd >= 0) ::close(listen_fd);
    listen_fd = -1;
    listening_ = false;
  };
  char buf[64 * 1024];
  while (!stop_) {
    if (cut_) {
      if (listen_fd >= 0 || !links.empty()) close_all();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (listen_fd < 0) {
      listen_fd = Listen(port_);
      if (listen_fd < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      listening_ = true;
    }
    std::vector<pollfd> fds = {{listen_fd, POLLIN, 0}};
    for (auto [a, b] : links) {
      fds.push_back({a, POLLIN, 0});
      fds.push_back({b, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 10) <= 0) continue;
    std::vector<bool> dead(links.size(), false);
    for (size_t i = 0; i < links.size(); ++i) {
      for (int side = 0; side < 2 && !dead[i]; ++side) {
        const pollfd& p = fds[1 + 2 * i + side];
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const int from = side == 0 ? links[i].first : links[i].second;
        const int to = side == 0 ? links[i].second : links[i].first;
        ssize_t n = ::recv(from, buf, sizeof buf, 0);
        if (n <= 0 || !WriteAll(to, buf, static_cast<size_t>(n))) dead[i] = true;
      }
    }
    for (size_t i = links.size(); i-- > 0;) {
      if (!dead[i]) continue;
      ::close(links[i].first);
      ::close(links[i].second);
      links.erase(links.begin() + static_cast<long>(i));
    }
    if (fds[0].revents & POLLIN) {
      int client = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        int target = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a = Loopback(target_);
        int yes = 1;
        ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
        ::setsockopt(target, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
        if (::connect(target, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
          links.emplace_back(client, target);
        } else {
          ::close(client);
          ::close(target);
        }
      }
    }
  }
  close_all();
}

}  // namespace tributary::testing
