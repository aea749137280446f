// Transport errors of the curl client (no HTTP response at all): the class an
// operator acts on (cdp_relay/transport_error_kind.h says what each means) and
// the message that may be logged. Only the curl client and its tests include
// this header (it includes <curl/curl.h>).
#pragma once

#include <curl/curl.h>

#include <string>
#include <string_view>
#include <vector>

#include "cdp_relay/transport_error_kind.h"

namespace cdp_relay::delivery {

// The class of a failed transfer's code. CURLE_OK is not an error; it maps to
// kOther like every code not listed in curl_transport_error.cc.
TransportErrorKind classify_transport_error(CURLcode code);

// The text to log and to put in the DLQ's error message for a failed
// transfer: curl's detailed message (`error_buffer`, e.g. "SSL certificate
// problem: unable to get local issuer certificate") or, when curl left it
// empty, the code's generic text. Whatever curl wrote, the request URL's
// query string (it carries the API key) and every one of `secrets` are
// replaced, so the result is safe for logs.
std::string transport_error_message(CURLcode code, std::string_view error_buffer,
                                    std::string_view url,
                                    const std::vector<std::string>& secrets);

}  // namespace cdp_relay::delivery
