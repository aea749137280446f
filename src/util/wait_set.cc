#include "util/wait_set.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace cdp_relay::util {

void WaitSet::reset(time_point now) {
  now_ = now;
  deadline_.reset();
  fds_.clear();
}

void WaitSet::watch(int fd, short events) {
  if (fd < 0) return;
  fds_.push_back(pollfd{fd, events, 0});
}

void WaitSet::wake_at(time_point deadline) {
  if (!deadline_ || deadline < *deadline_) deadline_ = deadline;
}

std::chrono::milliseconds WaitSet::timeout(std::chrono::milliseconds max_wait) const {
  if (!deadline_) return max_wait;
  if (*deadline_ <= now_) return std::chrono::milliseconds(0);
  const auto until = std::chrono::ceil<std::chrono::milliseconds>(*deadline_ - now_);
  return std::min(until, max_wait);
}

int WaitSet::wait(std::chrono::milliseconds max_wait) {
  const auto sleep = timeout(max_wait);
  const int ready = ::poll(fds_.data(), fds_.size(), static_cast<int>(sleep.count()));
  return ready < 0 ? 0 : ready;  // EINTR: a signal; the caller looks at its flags
}

WakePipe::WakePipe() {
  if (::pipe2(fds_, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("wake-up pipe: ") + std::strerror(errno));
  }
}

WakePipe::~WakePipe() {
  for (int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

void WakePipe::drain() {
  char buffer[64];
  while (::read(fds_[0], buffer, sizeof buffer) > 0) {
  }
}

}  // namespace cdp_relay::util
