#include "app/demo_events.h"

#include <array>

#include "model/timestamp.h"

namespace cdp_relay::app {
namespace {

constexpr std::array<const char*, 6> kTrackEvents = {
    "Video Content Playing", "Video Playback Started", "Product Clicked",
    "Order Completed",       "Promotion Clicked",      "Article Bookmarked"};
constexpr std::array<const char*, 4> kPages = {"Home", "Catalog", "Product Detail", "Checkout"};
constexpr std::array<const char*, 4> kMparticleEvents = {"Play", "Search", "Share", "Rate"};

}  // namespace

DemoEventGenerator::DemoEventGenerator(uint64_t seed, int users, double malformed_ratio)
    : random_(seed), users_(users), malformed_ratio_(malformed_ratio) {}

std::string DemoEventGenerator::next_id() { return "demo-" + std::to_string(++sequence_); }

std::string DemoEventGenerator::timestamp() {
  clock_ms_ += static_cast<int64_t>(random_() % 50);
  std::string text;
  model::append_iso8601_ms(text, clock_ms_);
  return text;
}

std::string DemoEventGenerator::segment_track(int user, const std::string& message_id,
                                              bool in_batch) {
  const char* event = kTrackEvents[random_() % kTrackEvents.size()];
  const int asset = static_cast<int>(random_() % 900) + 100;
  std::string json = "{\"type\":\"track\",\"event\":\"" + std::string(event) +
                     "\",\"userId\":\"user-" + std::to_string(user) +
                     "\",\"anonymousId\":\"anon-" + std::to_string(user * 7919 % 100000) +
                     "\",\"messageId\":\"" + message_id + "\",\"timestamp\":\"" + timestamp() +
                     "\",\"properties\":{\"asset_id\":\"asset-" + std::to_string(asset) +
                     "\",\"position\":" + std::to_string(random_() % 3600) +
                     ",\"total_length\":3600,\"quality\":\"hd1080\",\"genre\":\"Drama\","
                     "\"tags\":[\"series\",\"s1\"],\"player\":{\"name\":\"WebPlayer\","
                     "\"version\":\"4.2.1\",\"muted\":false}}";
  if (!in_batch) {
    json += ",\"context\":{\"library\":{\"name\":\"analytics-node\",\"version\":\"3.1.0\"},"
            "\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64)\",\"locale\":\"en-GB\"}";
  }
  json += ",\"integrations\":{}}";
  return json;
}

std::string DemoEventGenerator::segment_page(int user, const std::string& message_id) {
  const char* page = kPages[random_() % kPages.size()];
  return "{\"type\":\"page\",\"name\":\"" + std::string(page) + "\",\"category\":\"Shop\"," +
         "\"userId\":\"user-" + std::to_string(user) + "\",\"messageId\":\"" + message_id +
         "\",\"timestamp\":\"" + timestamp() +
         "\",\"properties\":{\"path\":\"/shop\",\"referrer\":\"https://example.com/\","
         "\"title\":\"Shop\"}}";
}

std::string DemoEventGenerator::segment_identify(int user, const std::string& message_id) {
  return "{\"type\":\"identify\",\"userId\":\"user-" + std::to_string(user) +
         "\",\"messageId\":\"" + message_id + "\",\"timestamp\":\"" + timestamp() +
         "\",\"traits\":{\"plan\":\"premium\",\"logins\":" + std::to_string(random_() % 100) +
         ",\"address\":{\"city\":\"London\",\"country\":\"UK\"},\"high_value_users\":true}}";
}

DemoMessage DemoEventGenerator::segment_batch(int user) {
  DemoMessage message;
  message.key = "user-" + std::to_string(user);
  const int items = 3 + static_cast<int>(random_() % 3);
  // One batch in fifty carries an item without any identity: only that item
  // must reach the DLQ (README "Inputs").
  const bool with_bad_item = random_() % 50 == 0;
  message.value = "{\"batch\":[";
  for (int i = 0; i < items; ++i) {
    if (i != 0) message.value += ",";
    if (with_bad_item && i == 1) {
      message.value += "{\"type\":\"track\",\"event\":\"Orphan\",\"messageId\":\"" + next_id() +
                       "\",\"timestamp\":\"" + timestamp() + "\"}";
    } else {
      message.value += segment_track(user, next_id(), true);
    }
  }
  message.value +=
      "],\"context\":{\"library\":{\"name\":\"analytics-node\",\"version\":\"3.1.0\"},"
      "\"ip\":\"203.0.113.9\"},\"integrations\":{\"Spideo\":false},\"sentAt\":\"" +
      timestamp() + "\"}";
  message.events = items;
  message.expected_invalid = with_bad_item ? 1 : 0;
  return message;
}

DemoMessage DemoEventGenerator::mparticle_batch(int user) {
  DemoMessage message;
  const int64_t mpid = 8'000'000'000'000'000'000LL + user;
  message.key = std::to_string(mpid);
  const int events = 2 + static_cast<int>(random_() % 3);
  std::string body = "{\"mpid\":" + std::to_string(mpid) +
                     ",\"environment\":\"production\",\"ip\":\"198.51.100.7\","
                     "\"user_identities\":[{\"identity_type\":\"customer_id\",\"identity\":\"c-" +
                     std::to_string(user) +
                     "\"}],\"user_attributes\":{\"$FirstName\":\"Ada\",\"plan\":\"gold\"},"
                     "\"device_info\":{\"platform\":\"iOS\",\"os_version\":\"17.3\","
                     "\"ios_advertising_id\":\"613ff528-afd1-4c1b-9628-e6ac02ec1eeb\"},"
                     "\"consent_state\":{\"gdpr\":{\"marketing\":{\"consented\":true}},"
                     "\"ccpa\":{\"data_sale_opt_out\":{\"consented\":false}}},\"events\":[";
  for (int i = 0; i < events; ++i) {
    if (i != 0) body += ",";
    clock_ms_ += 10;
    const std::string common = "\"timestamp_unixtime_ms\":" + std::to_string(clock_ms_) +
                               ",\"source_message_id\":\"" + next_id() + "\"";
    switch (random_() % 3) {
      case 0:
        body += "{\"event_type\":\"custom_event\",\"data\":{" + common +
                ",\"event_name\":\"" + kMparticleEvents[random_() % kMparticleEvents.size()] +
                "\",\"custom_event_type\":\"media\",\"custom_attributes\":{\"asset_id\":\"a-" +
                std::to_string(random_() % 1000) + "\"}}}";
        break;
      case 1:
        body += "{\"event_type\":\"screen_view\",\"data\":{" + common +
                ",\"screen_name\":\"Home Feed\"}}";
        break;
      default:
        body += "{\"event_type\":\"commerce_event\",\"data\":{" + common +
                ",\"product_action\":{\"action\":\"purchase\",\"transaction_id\":\"t-" +
                std::to_string(sequence_) +
                "\",\"total_amount\":19.99,\"products\":[{\"id\":\"p1\",\"price\":19.99}]}}}";
        break;
    }
  }
  body += "]}";
  message.value = std::move(body);
  message.events = events;
  return message;
}

DemoMessage DemoEventGenerator::malformed(int user) {
  DemoMessage message;
  message.key = "user-" + std::to_string(user);
  message.events = 1;
  message.expected_invalid = 1;
  switch (random_() % 4) {
    case 0:  // truncated JSON
      message.value = segment_track(user, next_id(), false);
      message.value.resize(message.value.size() / 2);
      break;
    case 1:  // no identity
      message.value = "{\"type\":\"track\",\"event\":\"Ghost\",\"messageId\":\"" + next_id() +
                      "\",\"timestamp\":\"" + timestamp() + "\"}";
      break;
    case 2:  // unparsable timestamp
      message.value = "{\"type\":\"track\",\"event\":\"Late\",\"userId\":\"user-" +
                      std::to_string(user) + "\",\"messageId\":\"" + next_id() +
                      "\",\"timestamp\":\"yesterday\"}";
      break;
    default:  // not an analytics payload at all
      message.value = "{\"hello\":\"world\",\"n\":" + std::to_string(++sequence_) + "}";
      break;
  }
  return message;
}

DemoMessage DemoEventGenerator::next() {
  const int user = static_cast<int>(random_() % static_cast<uint64_t>(users_));
  const double roll = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  if (roll < malformed_ratio_) return malformed(user);
  DemoMessage message;
  message.key = "user-" + std::to_string(user);
  const double kind = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  if (kind < 0.60) {
    message.value = segment_track(user, next_id(), false);
  } else if (kind < 0.68) {
    message.value = segment_page(user, next_id());
  } else if (kind < 0.75) {
    message.value = segment_identify(user, next_id());
  } else if (kind < 0.87) {
    return segment_batch(user);
  } else {
    return mparticle_batch(user);
  }
  return message;
}

}  // namespace cdp_relay::app
