// The emulator's server: routing, the per-request pipeline (script, key,
// size, schema, record) and the admin endpoints. See emulator.h.
#include "emulator/emulator.h"

#include <httplib.h>

#include <csignal>
#include <string_view>

#include "emulator/connection_reset.h"

namespace cdp_relay::emulator {
namespace {

using nlohmann::json;

// Matches any path, newlines included ('.' would not).
constexpr const char* kAnyPath = R"([\s\S]*)";
constexpr const char* kJson = "application/json";
constexpr const char* kAdminPrefix = "/_emulator/";
// How long start() waits for the listener thread to report that it runs.
constexpr auto kStartTimeout = std::chrono::seconds(10);

// Percent-decodes one path segment. '+' stays '+' (it means space only in
// query strings); a malformed escape is kept verbatim.
std::string decode_segment(std::string_view raw) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size()) {
      const int high = hex(raw[i + 1]);
      const int low = hex(raw[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(raw[i]);
  }
  return out;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = path.find('/', start);
    const size_t stop = end == std::string_view::npos ? path.size() : end;
    parts.push_back(path.substr(start, stop - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

// Compares without an early exit, so response timing reveals nothing about
// how much of a guessed key was right.
bool keys_equal(const std::string& given, const std::string& expected) {
  if (expected.empty()) return false;
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  }
  return diff == 0;
}

json error_body(std::string_view message) { return json{{"error", message}}; }

}  // namespace

struct Emulator::SpideoTarget {
  std::string user;
  std::string interaction;  // kSpideoInteraction
  std::string content_id;   // kSpideoInteraction
  std::string property;     // kSpideoProperty
};

struct Emulator::Reply {
  int status = 200;
  std::string body;  // empty = no body
  std::string retry_after;
};

Emulator::Emulator(EmulatorOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &system_clock_),
      api_key_(options_.api_key),
      spideo_api_key_(options_.spideo_api_key),
      script_(options_.script),
      random_(options_.script.seed) {}

Emulator::~Emulator() { stop(); }

bool Emulator::start() {
  // A `reset` rule leaves httplib writing to a shut-down socket; without this
  // the write would raise SIGPIPE and kill the process.
  std::signal(SIGPIPE, SIG_IGN);

  if (options_.validate) {
    validator_ = VidoraValidator::load(options_.schema_dir, error_);
    if (!validator_) return false;
  }
  if (!recorder_.open(options_.record_file, error_)) return false;
  recorder_.set_keep_in_memory(options_.keep_in_memory);

  if (options_.tls_cert_file.empty()) {
    server_ = std::make_unique<httplib::Server>();
  } else {
    const char* client_ca =
        options_.tls_client_ca_file.empty() ? nullptr : options_.tls_client_ca_file.c_str();
    auto tls_server = std::make_unique<httplib::SSLServer>(
        options_.tls_cert_file.c_str(), options_.tls_key_file.c_str(), client_ca);
    if (!tls_server->is_valid()) {
      error_ = "cannot load the TLS certificate, key or client CA";
      return false;
    }
    server_ = std::move(tls_server);
  }
  const size_t threads = static_cast<size_t>(std::max(options_.worker_threads, 1));
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Relays keep connections open; don't make them reconnect every 5 requests.
  server_->set_keep_alive_max_count(100000);
  server_->set_keep_alive_timeout(2);
  // httplib writes the status line and headers, then the body, in two sends;
  // with Nagle on, the body waits for the client's delayed ACK (~40 ms per
  // request). Accepted sockets inherit the option from the listening socket.
  server_->set_tcp_nodelay(true);
  httplib::Server::Handler handler = [this](const httplib::Request& req, httplib::Response& res) {
    route(req, res);
  };
  server_->Get(kAnyPath, handler);
  server_->Post(kAnyPath, handler);
  server_->Put(kAnyPath, handler);
  server_->Patch(kAnyPath, handler);
  server_->Delete(kAnyPath, handler);

  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
  } else {
    port_ = server_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ <= 0) {
    error_ = "cannot listen on " + options_.host + ":" + std::to_string(options_.port);
    port_ = 0;
    return false;
  }
  {
    std::lock_guard lock(mu_);
    script_start_ = clock_->now();
  }
  listener_ = std::thread([this] { server_->listen_after_bind(); });
  // The socket already accepts connections (bind listens), but stop() is a
  // no-op until httplib marks itself running, so wait for that.
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!server_->is_running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      error_ = "the HTTP listener did not start";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

void Emulator::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (server_) server_->stop();
  if (listener_.joinable()) listener_.join();
}

RequestStats Emulator::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Emulator::set_api_key(std::string api_key) {
  std::lock_guard lock(mu_);
  api_key_ = std::move(api_key);
}

void Emulator::set_script(FaultScript script) {
  std::lock_guard lock(mu_);
  random_ = SystemRandom(script.seed);
  script_ = std::move(script);
  script_requests_ = 0;
  script_start_ = clock_->now();
}

void Emulator::wait(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  stop_cv_.wait_for(lock, delay, [this] { return stopping_; });
}

void Emulator::count_response(int status) {
  std::lock_guard lock(mu_);
  ++stats_.by_status[status];
}

void Emulator::route(const httplib::Request& req, httplib::Response& res) {
  const std::string& path = req.path;  // decoded by httplib
  if (path == "/healthz") {
    res.set_content("ok\n", "text/plain");
    return;
  }
  if (path.starts_with(kAdminPrefix)) {
    handle_admin(req, res);
    return;
  }
  {
    std::lock_guard lock(mu_);
    ++stats_.requests;
  }
  if (path == options_.vidora_path) {
    if (req.method != "POST") {
      res.status = 405;
      res.set_header("Allow", "POST");
      res.set_content(error_body("use POST").dump(), kJson);
      count_response(res.status);
      return;
    }
    handle_destination(Endpoint::kVidora, nullptr, req, res);
    return;
  }

  // Spideo routes are matched on the raw target so that an encoded '/' inside
  // a user or content id stays inside its segment.
  std::string_view raw = req.target;
  raw = raw.substr(0, raw.find('?'));
  const std::string& prefix = options_.spideo_prefix;
  if (raw.starts_with(prefix) && (req.method == "PUT" || req.method == "POST" ||
                                  req.method == "PATCH")) {
    const auto parts = split_path(raw.substr(prefix.size()));
    // parts[0] is the empty string before the leading '/'.
    const bool interaction = parts.size() == 6 && parts[2] != "" && parts[3] == "interactions" &&
                             parts[4] != "" && parts[5] != "";
    const bool property = parts.size() == 5 && parts[2] != "" && parts[3] == "properties" &&
                          parts[4] != "";
    if (parts.size() >= 2 && parts[0].empty() && parts[1] == "users" && (interaction || property)) {
      SpideoTarget target;
      target.user = decode_segment(parts[2]);
      if (interaction) {
        target.interaction = decode_segment(parts[4]);
        target.content_id = decode_segment(parts[5]);
      } else {
        target.property = decode_segment(parts[4]);
      }
      handle_destination(interaction ? Endpoint::kSpideoInteraction : Endpoint::kSpideoProperty,
                         &target, req, res);
      return;
    }
  }
  res.status = 404;
  res.set_content(error_body("no such endpoint").dump(), kJson);
  count_response(res.status);
}

void Emulator::handle_destination(Endpoint endpoint, const SpideoTarget* spideo,
                                  const httplib::Request& req, httplib::Response& res) {
  // The events the script's reject_events_where conditions look at.
  json body;
  json spideo_events;
  const json* events = nullptr;
  if (endpoint == Endpoint::kVidora) {
    body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_object()) {
      auto data = body.find("data");
      if (data != body.end() && data->is_array()) events = &*data;
    }
  } else {
    json item{{"method", req.method}, {"user", spideo->user}};
    if (endpoint == Endpoint::kSpideoInteraction) {
      item["interaction"] = spideo->interaction;
      item["content_id"] = spideo->content_id;
    } else {
      item["property"] = spideo->property;
    }
    spideo_events = json::array({std::move(item)});
    events = &spideo_events;
  }

  std::optional<FaultAction> action;
  std::vector<size_t> rejected;
  {
    std::lock_guard lock(mu_);
    FaultRequest request;
    request.path = req.path;
    request.request_number = ++script_requests_;
    request.elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_->now() - script_start_);
    request.events = events;
    FaultDecision decision = script_.decide(request, random_);
    if (decision.rule != nullptr) {
      action = decision.rule->action;  // copied: set_script may replace script_
      rejected = std::move(decision.rejected_indexes);
    }
  }

  Reply reply;
  bool normal = true;
  if (action) {
    if (action->delay.count() > 0) wait(action->delay);
    if (action->reset) {
      // Under the lock, so that a client that saw the reset and then reads
      // stats() finds it counted.
      std::unique_lock lock(mu_);
      if (reset_connection(req.local_port, req.remote_addr, req.remote_port)) {
        ++stats_.resets;
        res.status = 500;  // never reaches the client: the socket is shut down
        return;
      }
      lock.unlock();
      // The socket could not be found (should not happen): fail loudly.
      reply = {500, error_body("fault script: reset failed").dump(), ""};
      normal = false;
    } else if (!rejected.empty()) {
      json out = error_body("events rejected by the emulator's fault script");
      out["invalid_indexes"] = rejected;
      reply.status = action->status.value_or(400);
      reply.body = action->body.value_or(out.dump());
      normal = false;
    } else if (action->status) {
      reply.status = *action->status;
      json out = error_body("injected by the emulator's fault script");
      out["status"] = *action->status;
      reply.body = action->body.value_or(out.dump());
      normal = false;
    }
    if (!normal && action->retry_after) reply.retry_after = *action->retry_after;
  }
  if (normal) {
    reply = endpoint == Endpoint::kVidora ? handle_vidora(req, &body)
                                          : handle_spideo(*spideo, req);
  }

  res.status = reply.status;
  if (!reply.retry_after.empty()) res.set_header("Retry-After", reply.retry_after);
  if (!reply.body.empty()) res.set_content(reply.body, kJson);
  count_response(reply.status);
}

Emulator::Reply Emulator::handle_vidora(const httplib::Request& req, const json* body) {
  std::string expected;
  {
    std::lock_guard lock(mu_);
    expected = api_key_;
  }
  if (!keys_equal(req.get_param_value("api_key"), expected)) {
    return {401, error_body("missing or invalid api_key").dump(), ""};
  }
  if (options_.max_body_bytes > 0 && req.body.size() > options_.max_body_bytes) {
    return {413,
            error_body("request body of " + std::to_string(req.body.size()) +
                       " bytes exceeds the limit of " + std::to_string(options_.max_body_bytes) +
                       " bytes")
                .dump(),
            ""};
  }
  if (body == nullptr || body->is_discarded()) {
    return {400, error_body("invalid JSON").dump(), ""};
  }
  if (validator_) {
    ValidationVerdict verdict = validator_->validate(*body);
    if (!verdict.ok) {
      json out = error_body(verdict.error);
      if (!verdict.invalid_indexes.empty()) out["invalid_indexes"] = verdict.invalid_indexes;
      out["details"] = verdict.details;
      return {400, out.dump(-1, ' ', false, json::error_handler_t::replace), ""};
    }
  }
  auto data = body->is_object() ? body->find("data") : body->end();
  if (!body->is_object() || data == body->end() || !data->is_array()) {
    return {400, error_body("the body must be {\"data\":[event,...]}").dump(), ""};
  }
  std::vector<std::string> lines;
  lines.reserve(data->size());
  for (const auto& event : *data) {
    lines.push_back(event.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  recorder_.append_batch(lines);
  return {200, json{{"accepted", lines.size()}}.dump(), ""};
}

Emulator::Reply Emulator::handle_spideo(const SpideoTarget& target, const httplib::Request& req) {
  std::string expected;
  {
    std::lock_guard lock(mu_);
    expected = spideo_api_key_.empty() ? api_key_ : spideo_api_key_;
  }
  if (!keys_equal(req.get_param_value("apikey"), expected)) {
    return {401, error_body("missing or invalid apikey").dump(), ""};
  }
  json record{{"method", req.method}, {"user", target.user}};
  if (target.property.empty()) {
    record["interaction"] = target.interaction;
    record["content_id"] = target.content_id;
  } else {
    record["property"] = target.property;
  }
  json params = json::object();
  for (const auto& [name, value] : req.params) {
    if (name != "apikey") params[name] = value;
  }
  if (!params.empty()) record["params"] = std::move(params);
  if (!req.body.empty()) {
    json parsed = json::parse(req.body, nullptr, false);
    record["body"] = parsed.is_discarded() ? json(req.body) : std::move(parsed);
  }
  recorder_.append_batch(
      {json{{"spideo", std::move(record)}}.dump(-1, ' ', false, json::error_handler_t::replace)});
  return {204, "", ""};
}

void Emulator::handle_admin(const httplib::Request& req, httplib::Response& res) {
  const std::string_view what = std::string_view(req.path).substr(std::string_view(kAdminPrefix).size());
  if (req.method == "GET" && what == "stats") {
    const RequestStats snapshot = stats();
    json by_status = json::object();
    for (const auto& [status, count] : snapshot.by_status) by_status[std::to_string(status)] = count;
    json out{{"requests", snapshot.requests},
             {"by_status", std::move(by_status)},
             {"resets", snapshot.resets},
             {"accepted_events", accepted_events()}};
    res.set_content(out.dump(), kJson);
    return;
  }
  if (req.method == "GET" && what == "events") {
    std::string text;
    for (const auto& line : recorded_events()) {
      text += line;
      text += '\n';
    }
    res.set_content(text, "application/x-ndjson");
    return;
  }
  if (req.method == "POST" && what == "api_key") {
    std::string key = req.body;
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) {
      key.pop_back();
    }
    if (key.empty()) {
      res.status = 400;
      res.set_content(error_body("the body must be the new key").dump(), kJson);
      return;
    }
    set_api_key(std::move(key));
    res.status = 204;
    return;
  }
  if (req.method == "POST" && what == "script") {
    std::string error;
    auto script = FaultScript::parse(req.body, error);
    if (!script) {
      res.status = 400;
      res.set_content(error_body(error).dump(), kJson);
      return;
    }
    set_script(std::move(*script));
    res.status = 204;
    return;
  }
  res.status = 404;
  res.set_content(error_body("no such admin endpoint").dump(), kJson);
}

}  // namespace cdp_relay::emulator
