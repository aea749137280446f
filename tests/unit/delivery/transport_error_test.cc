// Transport errors: the class of each libcurl code an operator acts on, and a
// message that keeps curl's detail but never the URL's query or a secret.
#include "delivery/curl_transport_error.h"

#include <gtest/gtest.h>

namespace cdp_relay::delivery {
namespace {

TEST(TransportErrorTest, CurlCodesMapToTheClassAnOperatorActsOn) {
  EXPECT_EQ(classify_transport_error(CURLE_COULDNT_RESOLVE_HOST), TransportErrorKind::kDns);
  EXPECT_EQ(classify_transport_error(CURLE_COULDNT_RESOLVE_PROXY), TransportErrorKind::kDns);
  EXPECT_EQ(classify_transport_error(CURLE_COULDNT_CONNECT), TransportErrorKind::kConnect);
  EXPECT_EQ(classify_transport_error(CURLE_OPERATION_TIMEDOUT), TransportErrorKind::kTimeout);
  for (CURLcode tls : {CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR,
                       CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CIPHER,
                       CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
                       CURLE_SSL_CLIENTCERT, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_CRL_BADFILE}) {
    EXPECT_EQ(classify_transport_error(tls), TransportErrorKind::kTls) << curl_easy_strerror(tls);
  }
  for (CURLcode other : {CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING,
                         CURLE_PARTIAL_FILE, CURLE_OK}) {
    EXPECT_EQ(classify_transport_error(other), TransportErrorKind::kOther)
        << curl_easy_strerror(other);
  }
}

TEST(TransportErrorTest, KindNamesAreTheMetricLabels) {
  EXPECT_EQ(to_string(TransportErrorKind::kDns), "dns");
  EXPECT_EQ(to_string(TransportErrorKind::kConnect), "connect");
  EXPECT_EQ(to_string(TransportErrorKind::kTls), "tls");
  EXPECT_EQ(to_string(TransportErrorKind::kTimeout), "timeout");
  EXPECT_EQ(to_string(TransportErrorKind::kOther), "other");
}

TEST(TransportErrorTest, MessageIsCurlsDetailOrTheCodesText) {
  EXPECT_EQ(transport_error_message(CURLE_PEER_FAILED_VERIFICATION,
                                    "SSL certificate problem: self-signed certificate\n",
                                    "https://h/v1/events?api_key=k", {}),
            "SSL certificate problem: self-signed certificate");
  EXPECT_EQ(transport_error_message(CURLE_COULDNT_CONNECT, "", "https://h/", {}),
            curl_easy_strerror(CURLE_COULDNT_CONNECT));
}

TEST(TransportErrorTest, MessageNeverCarriesTheQueryOrASecret) {
  const std::string url = "https://h.example/v1/events?api_key=k3y-in-query";
  const std::string message = transport_error_message(
      CURLE_URL_MALFORMAT, "Malformed URL " + url + " via proxy user:pr0xy-pass", url,
      {"pr0xy-pass"});
  EXPECT_EQ(message.find("k3y-in-query"), std::string::npos) << message;
  EXPECT_EQ(message.find("pr0xy-pass"), std::string::npos) << message;
  EXPECT_NE(message.find("https://h.example/v1/events"), std::string::npos) << message;
}

}  // namespace
}  // namespace cdp_relay::delivery
