// The response classes (README "Delivery"), status by status, plus the choices
// for statuses the design does not name (0, 1xx, 3xx, out of range).
#include "delivery/response_class.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace cdp_relay::delivery {
namespace {

struct Row {
  int status;
  ResponseClass expected;
};

TEST(StatusClassifierTest, DefaultTableBoundaries) {
  const Row rows[] = {
      {0, ResponseClass::kRetry},  // transport error: timeout, refused, reset
      {100, ResponseClass::kRetry},
      {199, ResponseClass::kRetry},
      {200, ResponseClass::kDelivered},
      {201, ResponseClass::kDelivered},
      {202, ResponseClass::kDelivered},
      {204, ResponseClass::kDelivered},
      {299, ResponseClass::kDelivered},
      {300, ResponseClass::kRetry},
      {301, ResponseClass::kRetry},
      {302, ResponseClass::kRetry},
      {307, ResponseClass::kRetry},
      {308, ResponseClass::kRetry},
      {399, ResponseClass::kRetry},
      {400, ResponseClass::kBisect},
      {401, ResponseClass::kAuthHold},
      {402, ResponseClass::kDeadLetter},
      {403, ResponseClass::kAuthHold},
      {404, ResponseClass::kDeadLetter},
      {405, ResponseClass::kDeadLetter},
      {407, ResponseClass::kDeadLetter},
      {408, ResponseClass::kRetry},
      {409, ResponseClass::kDeadLetter},
      {410, ResponseClass::kDeadLetter},
      {412, ResponseClass::kDeadLetter},
      {413, ResponseClass::kSplit},
      {414, ResponseClass::kDeadLetter},
      {415, ResponseClass::kDeadLetter},
      {421, ResponseClass::kDeadLetter},
      {422, ResponseClass::kBisect},
      {423, ResponseClass::kDeadLetter},
      {424, ResponseClass::kDeadLetter},
      {425, ResponseClass::kRetry},
      {426, ResponseClass::kDeadLetter},
      {428, ResponseClass::kDeadLetter},
      {429, ResponseClass::kRetry},
      {431, ResponseClass::kDeadLetter},
      {451, ResponseClass::kDeadLetter},
      {499, ResponseClass::kDeadLetter},
      {500, ResponseClass::kRetry},
      {501, ResponseClass::kDeadLetter},
      {502, ResponseClass::kRetry},
      {503, ResponseClass::kRetry},
      {504, ResponseClass::kRetry},
      {505, ResponseClass::kRetry},
      {507, ResponseClass::kRetry},
      {511, ResponseClass::kRetry},
      {599, ResponseClass::kRetry},
      // Outside HTTP's range: a protocol violation, kept and retried.
      {-1, ResponseClass::kRetry},
      {600, ResponseClass::kRetry},
      {999, ResponseClass::kRetry},
      {2147483647, ResponseClass::kRetry},
      {-2147483647 - 1, ResponseClass::kRetry},
  };
  const StatusClassifier classifier;
  for (const Row& row : rows) {
    SCOPED_TRACE("status " + std::to_string(row.status));
    EXPECT_EQ(classify_status(row.status), row.expected);
    EXPECT_EQ(classifier.classify(row.status), row.expected);
  }
}

TEST(StatusClassifierTest, EveryTwoHundredIsDeliveredAndNoOtherStatusIs) {
  for (int status = -10; status < 1000; ++status) {
    SCOPED_TRACE("status " + std::to_string(status));
    EXPECT_EQ(classify_status(status) == ResponseClass::kDelivered, status >= 200 && status <= 299);
  }
}

TEST(StatusClassifierTest, EveryFiveHundredButNotImplementedIsRetried) {
  for (int status = 500; status <= 599; ++status) {
    SCOPED_TRACE("status " + std::to_string(status));
    EXPECT_EQ(classify_status(status),
              status == 501 ? ResponseClass::kDeadLetter : ResponseClass::kRetry);
  }
}

TEST(StatusClassifierTest, AuthFailuresAreNeverDeadLettered) {
  EXPECT_NE(classify_status(401), ResponseClass::kDeadLetter);
  EXPECT_NE(classify_status(403), ResponseClass::kDeadLetter);
}

TEST(StatusClassifierTest, OverridesReplaceOnlyTheStatusesTheyName) {
  const StatusClassifier classifier({{404, ResponseClass::kBisect},
                                     {501, ResponseClass::kRetry},
                                     {503, ResponseClass::kDeadLetter}});
  EXPECT_EQ(classifier.classify(404), ResponseClass::kBisect);
  EXPECT_EQ(classifier.classify(501), ResponseClass::kRetry);
  EXPECT_EQ(classifier.classify(503), ResponseClass::kDeadLetter);
  // Untouched statuses keep the default table.
  EXPECT_EQ(classifier.classify(200), ResponseClass::kDelivered);
  EXPECT_EQ(classifier.classify(405), ResponseClass::kDeadLetter);
  EXPECT_EQ(classifier.classify(502), ResponseClass::kRetry);
  EXPECT_EQ(classifier.classify(0), ResponseClass::kRetry);
  EXPECT_EQ(classifier.overrides().size(), 3u);
}

TEST(StatusClassifierTest, CopiesKeepTheirOverrides) {
  const StatusClassifier original({{409, ResponseClass::kDelivered}});
  const StatusClassifier copy = original;
  EXPECT_EQ(copy.classify(409), ResponseClass::kDelivered);
}

TEST(StatusClassifierTest, NamesAreStableAndDistinct) {
  EXPECT_EQ(to_string(ResponseClass::kDelivered), "delivered");
  EXPECT_EQ(to_string(ResponseClass::kRetry), "retry");
  EXPECT_EQ(to_string(ResponseClass::kSplit), "split");
  EXPECT_EQ(to_string(ResponseClass::kBisect), "bisect");
  EXPECT_EQ(to_string(ResponseClass::kAuthHold), "auth_hold");
  EXPECT_EQ(to_string(ResponseClass::kDeadLetter), "dead_letter");
  EXPECT_EQ(to_string(static_cast<ResponseClass>(200)), "unknown");
}

TEST(StatusClassifierTest, BackPressureStatuses) {
  std::set<int> back_pressure;
  for (int status = -1; status < 700; ++status) {
    if (is_back_pressure_status(status)) back_pressure.insert(status);
  }
  EXPECT_EQ(back_pressure, (std::set<int>{kTransportErrorStatus, 429, 503, 504}));
  // Every back-pressure status is also retried by default.
  for (int status : back_pressure) EXPECT_EQ(classify_status(status), ResponseClass::kRetry);
}

}  // namespace
}  // namespace cdp_relay::delivery
