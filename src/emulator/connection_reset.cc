#include "emulator/connection_reset.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace cdp_relay::emulator {
namespace {

// The numeric host and port of a socket address; port -1 if not IP.
std::pair<std::string, int> host_port(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    return {text, ntohs(v4.sin_port)};
  }
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    return {text, ntohs(v6.sin6_port)};
  }
  return {"", -1};
}

bool is_connection(int fd, int local_port, const std::string& remote_addr, int remote_port) {
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) return false;
  sockaddr_storage local{};
  socklen_t local_len = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) return false;
  if (host_port(local).second != local_port) return false;
  sockaddr_storage peer{};
  socklen_t peer_len = sizeof peer;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) return false;
  auto [peer_host, peer_port] = host_port(peer);
  return peer_port == remote_port && peer_host == remote_addr;
}

}  // namespace

bool reset_connection(int local_port, const std::string& remote_addr, int remote_port) {
  DIR* fds = opendir("/proc/self/fd");
  if (fds == nullptr) return false;
  int found = -1;
  const int own = dirfd(fds);
  while (dirent* entry = readdir(fds)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == own) continue;
    if (is_connection(static_cast<int>(fd), local_port, remote_addr, remote_port)) {
      found = static_cast<int>(fd);
      break;
    }
  }
  closedir(fds);
  if (found < 0) return false;
  // The handler's thread owns this connection until it returns, so `found`
  // cannot be closed and reused under us.
  linger abort_on_close{1, 0};
  setsockopt(found, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  shutdown(found, SHUT_RDWR);
  return true;
}

}  // namespace cdp_relay::emulator
