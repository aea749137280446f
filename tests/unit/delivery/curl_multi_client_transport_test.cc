// CurlMultiClient over loopback sockets: transport errors (their class and
// curl's message arrive in HttpResponse), a TLS file that vanished after
// the config was checked stops the start with an error naming the file, and
// a body over 1 MB goes out without waiting for a 100-continue.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

#include "delivery/curl_http_client.h"

namespace cdp_relay::delivery {
namespace {

using namespace std::chrono_literals;

// A loopback TCP socket bound to a free port; listening or not.
class LoopbackSocket {
 public:
  explicit LoopbackSocket(bool listen_for_connections) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    if (listen_for_connections) {
      EXPECT_EQ(::listen(fd_, 16), 0);
    }
  }
  ~LoopbackSocket() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

HttpResponse one_response(HttpClient& client, HttpRequest request) {
  client.start(1, std::move(request));
  std::vector<std::pair<uint64_t, HttpResponse>> done;
  for (int i = 0; i < 400 && done.empty(); ++i) client.poll(50ms, done);
  EXPECT_EQ(done.size(), 1u);
  return done.empty() ? HttpResponse{} : std::move(done.front().second);
}

HttpRequest post_to(int port, std::chrono::milliseconds timeout = 5000ms) {
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/events?api_key=s3cret";
  request.body = "{}";
  request.timeout = timeout;
  return request;
}

TEST(CurlMultiClientTransportTest, NothingListeningIsAConnectErrorWithCurlsMessage) {
  LoopbackSocket bound_not_listening(false);  // connections to it are refused
  CurlMultiClient client(CurlClientOptions{});
  const HttpResponse response = one_response(client, post_to(bound_not_listening.port()));
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.transport_error_kind, TransportErrorKind::kConnect);
  EXPECT_NE(response.transport_error.find("port " + std::to_string(bound_not_listening.port())),
            std::string::npos)
      << response.transport_error;
  EXPECT_EQ(response.transport_error.find("s3cret"), std::string::npos);
}

TEST(CurlMultiClientTransportTest, AServerThatNeverAnswersIsATimeout) {
  LoopbackSocket silent(true);  // the kernel accepts; nobody ever reads or answers
  CurlMultiClient client(CurlClientOptions{});
  const HttpResponse response = one_response(client, post_to(silent.port(), 200ms));
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.transport_error_kind, TransportErrorKind::kTimeout)
      << response.transport_error;
}

TEST(CurlMultiClientTransportTest, ACaFileThatVanishedStopsTheStartNamingTheFile) {
  CurlClientOptions options;
  options.tls.ca_file = "/nonexistent/cdp-relay-ca.pem";
  try {
    CurlMultiClient client(options);
    ADD_FAILURE() << "constructed without its CA file";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/cdp-relay-ca.pem"), std::string::npos);
  }
}

// libcurl adds "Expect: 100-continue" to a POST over 1 MB and then holds the
// body back for the server's interim answer, a round trip per request (or
// a second against a server that ignores it). A batch above 1 MB
// (destinations' max_bytes allows it) must be sent at once.
TEST(CurlMultiClientTransportTest, ALargeBodyIsSentWithoutWaitingForA100Continue) {
  httplib::Server server;
  std::atomic<bool> expect_seen{false};
  std::atomic<size_t> body_size{0};
  server.Post("/v1/events", [&](const httplib::Request& request, httplib::Response& response) {
    if (request.has_header("Expect")) expect_seen = true;
    body_size = request.body.size();
    response.set_content("{}", "application/json");
  });
  server.set_payload_max_length(size_t{16} << 20);
  const int port = server.bind_to_any_port("127.0.0.1");
  // Bound and listening already: a connection waits in the backlog until
  // the thread accepts it.
  std::thread serving([&] { server.listen_after_bind(); });

  HttpResponse response;
  {
    CurlMultiClient client(CurlClientOptions{});
    HttpRequest request = post_to(port);
    request.headers.push_back("Content-Type: application/json");
    request.body.assign(size_t{3} << 20, 'x');
    response = one_response(client, std::move(request));
  }  // closes its keep-alive connection: the server's worker need not time out
  server.stop();
  serving.join();
  EXPECT_EQ(response.status, 200) << response.transport_error;
  EXPECT_EQ(body_size.load(), size_t{3} << 20);
  EXPECT_FALSE(expect_seen.load()) << "the request asked for 100-continue";
}

}  // namespace
}  // namespace cdp_relay::delivery
