// deploy_check: assertions on deployment manifests, parsed as YAML (yaml-cpp),
// never grepped. Driven by tests/deploy/*.sh (ctest deploy_*).
//
//   deploy_check helm    --manifest F --docs docs/config.md --metric-names H
//                        --expect-autoscaler none|keda|hpa --optional on|off
//                        [--scrape metrics.prom] [--alerts alerts.yml] [--dashboard d.json]
//                        [--existing-secret NAME] --config-out F --checksum-out F
//                        [--keda-query-out F] [--dashboard-uid-out F]
//                        [--expect-kinds Kind=N,...] [--expect-image IMAGE]
//   deploy_check compose --config F (output of `docker-compose config`)
//                        --docs docs/config.md --alerts alerts.yml --dashboard d.json
//                        --relay-config-out F --relay-env-out F --prom-root DIR
//
// Every assertion prints one "ok" or "FAIL" line; the exit code is the number
// of failures (capped), so one run reports them all.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <initializer_list>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

int g_failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "  ok    " : "  FAIL  ") << what << "\n";
  if (!ok) ++g_failures;
}

[[noreturn]] void die(const std::string& msg) {
  std::cerr << "deploy_check: " << msg << "\n";
  std::exit(100);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) die("cannot write " + path);
  out << text;
}

// The node at a path of map keys, or an undefined node when any step is missing
// (yaml-cpp throws when indexing past a missing key of a const node). reset()
// rebinds the handle; operator= would overwrite the node it refers to.
YAML::Node at(const YAML::Node& root, std::initializer_list<const char*> keys) {
  YAML::Node n;
  n.reset(root);
  for (const char* key : keys) {
    if (!n || !n.IsMap() || !n[key]) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node child = n[key];
    n.reset(child);
  }
  return n;
}

std::string str(const YAML::Node& n, const std::string& fallback = "") {
  if (!n || !n.IsScalar()) return fallback;
  return n.as<std::string>();
}

// Deep structural equality of two YAML trees (scalars compared as text).
bool yaml_equal(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  switch (a.Type()) {
    case YAML::NodeType::Scalar:
      return a.Scalar() == b.Scalar();
    case YAML::NodeType::Sequence:
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!yaml_equal(a[i], b[i])) return false;
      return true;
    case YAML::NodeType::Map: {
      if (a.size() != b.size()) return false;
      for (const auto& kv : a) {
        const YAML::Node other = b[kv.first.as<std::string>()];
        if (!other || !yaml_equal(kv.second, other)) return false;
      }
      return true;
    }
    default:
      return true;  // Null / Undefined on both sides
  }
}

// The admin port default, from the YAML block of docs/config.md (a unit test
// keeps that block equal to the code's defaults).
struct Defaults {
  int admin_port = 0;
  int shutdown_grace_s = 0;
};

Defaults load_defaults(const std::string& docs_path) {
  const std::string doc = read_file(docs_path);
  const auto start = doc.find("```yaml\n");
  if (start == std::string::npos) die(docs_path + ": no ```yaml block");
  const auto end = doc.find("```", start + 8);
  const YAML::Node cfg = YAML::Load(doc.substr(start + 8, end - start - 8));
  Defaults d;
  const std::string listen = str(cfg["admin"]["listen"]);
  d.admin_port = std::stoi(listen.substr(listen.rfind(':') + 1));
  d.shutdown_grace_s = cfg["shutdown_grace_s"].as<int>();
  return d;
}

int port_of(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos) return -1;
  try {
    return std::stoi(host_port.substr(colon + 1));
  } catch (...) {
    return -1;
  }
}

// "http://host:port/path" -> {host, port, path}
struct Url {
  std::string host;
  int port = -1;
  std::string path;
};
Url parse_url(const std::string& url) {
  static const std::regex re(R"(^https?://([^/:]+)(?::(\d+))?(/.*)?$)");
  std::smatch m;
  Url u;
  if (std::regex_match(url, m, re)) {
    u.host = m[1];
    u.port = m[2].matched ? std::stoi(m[2]) : (url.rfind("https", 0) == 0 ? 443 : 80);
    u.path = m[3].matched ? std::string(m[3]) : "/";
  }
  return u;
}

std::string base64_decode(const std::string& in) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    const auto pos = chars.find(c);
    if (pos == std::string::npos) break;
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

// Every series name declared in src/obs/metric_names.h ("cdp_relay_..." literals).
std::set<std::string> declared_metrics(const std::string& header) {
  std::set<std::string> names;
  const std::string text = read_file(header);
  static const std::regex re("\"(cdp_relay_[a-z0-9_]+)\"");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it)
    names.insert((*it)[1]);
  return names;
}

// Every series name in a Prometheus text exposition (TYPE lines and samples).
std::set<std::string> scraped_metrics(const std::string& path) {
  std::set<std::string> names;
  std::istringstream in(read_file(path));
  std::string line;
  static const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*))");
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name;
      words >> name;
      names.insert(name);
    } else if (!line.empty() && line[0] != '#' && std::regex_search(line, m, sample)) {
      names.insert(m[1]);
    }
  }
  return names;
}

std::set<std::string> metric_names_in(const std::string& expr) {
  std::set<std::string> names;
  static const std::regex re(R"(\bcdp_relay_[a-z0-9_]+)");
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), re); it != std::sregex_iterator();
       ++it)
    names.insert(it->str());
  return names;
}

bool labels_match(const YAML::Node& selector, const YAML::Node& labels) {
  if (!selector || !selector.IsMap() || selector.size() == 0) return false;
  for (const auto& kv : selector)
    if (str(labels[kv.first.as<std::string>()]) != kv.second.as<std::string>()) return false;
  return true;
}

std::string arg(const std::map<std::string, std::string>& args, const std::string& key,
                bool required = true) {
  const auto it = args.find(key);
  if (it == args.end()) {
    if (required) die("missing " + key);
    return "";
  }
  return it->second;
}

// The dashboard: $namespace and $release variables, every cdp_relay_ query
// filtered by the release, and the panels operators look for first.
void check_dashboard_content(const nlohmann::json& dashboard) {
  std::set<std::string> variables;
  for (const auto& v : dashboard["templating"]["list"]) variables.insert(v.value("name", ""));
  check(variables.count("namespace") && variables.count("release"),
        "dashboard has $namespace and $release variables (two releases do not mix)");
  std::string all_exprs;
  bool every_query_filtered = true;
  for (const auto& panel : dashboard["panels"])
    for (const auto& target : panel.value("targets", nlohmann::json::array())) {
      const std::string expr = target.value("expr", "");
      all_exprs += expr + "\n";
      if (expr.find("cdp_relay_") != std::string::npos &&
          expr.find("app_kubernetes_io_instance=~\"$release\"") == std::string::npos) {
        every_query_filtered = false;
        std::cout << "        unfiltered: " << expr << "\n";
      }
    }
  check(every_query_filtered, "every cdp_relay_ query of the dashboard filters on $release");
  for (const char* series :
       {"cdp_relay_offset_commit_failures_total", "cdp_relay_consumer_errors_total",
        "cdp_relay_pending_events", "cdp_relay_build_info", "container_cpu_usage_seconds_total",
        "container_memory_working_set_bytes", "kube_pod_container_status_restarts_total"})
    check(all_exprs.find(series) != std::string::npos, std::string("a dashboard panel shows ") + series);
  check(all_exprs.find("\"class\", \"${1}xx\", \"code\"") != std::string::npos,
        "a dashboard panel shows HTTP responses by status class");
}

// ---------------------------------------------------------------------------
int check_helm(const std::map<std::string, std::string>& args) {
  const Defaults defaults = load_defaults(arg(args, "--docs"));
  const std::string expect_autoscaler = arg(args, "--expect-autoscaler");
  const bool optional_on = arg(args, "--optional") == "on";
  const std::string existing_secret = arg(args, "--existing-secret", false);

  std::map<std::string, std::vector<YAML::Node>> by_kind;
  for (const YAML::Node& doc : YAML::LoadAllFromFile(arg(args, "--manifest"))) {
    if (!doc || doc.IsNull()) continue;
    by_kind[str(doc["kind"])].push_back(doc);
  }
  auto count = [&](const std::string& kind) { return by_kind[kind].size(); };
  std::cout << "manifest kinds:";
  for (const auto& [kind, docs] : by_kind) std::cout << " " << kind << "x" << docs.size();
  std::cout << "\n";

  for (const auto& [kind, docs] : by_kind)
    for (const auto& doc : docs)
      check(!str(doc["metadata"]["name"]).empty() &&
                str(doc["metadata"]["labels"]["app.kubernetes.io/name"]) == "cdp-relay",
            kind + " " + str(doc["metadata"]["name"]) +
                ": has a name and the app.kubernetes.io/name label");

  check(count("Deployment") == 1, "exactly one Deployment");
  check(count("Service") == 1, "exactly one Service");
  if (count("Deployment") != 1 || count("Service") != 1) return g_failures;
  const YAML::Node deploy = by_kind["Deployment"][0];
  const std::string deploy_name = str(deploy["metadata"]["name"]);
  const YAML::Node pod = deploy["spec"]["template"];
  const YAML::Node pod_spec = pod["spec"];
  const YAML::Node pod_labels = pod["metadata"]["labels"];
  check(labels_match(deploy["spec"]["selector"]["matchLabels"], pod_labels),
        "Deployment selector matches its pod labels");

  // --- the relay ConfigMap: the one holding relay.yaml --------------------
  // (yaml-cpp's Node::operator= writes through to the node it refers to: pick
  // documents by index, never by assigning one Node over another.)
  const std::vector<YAML::Node>& config_maps = by_kind["ConfigMap"];
  int relay_index = -1, dashboard_index = -1;
  for (size_t i = 0; i < config_maps.size(); ++i) {
    if (config_maps[i]["data"]["relay.yaml"]) relay_index = static_cast<int>(i);
    if (config_maps[i]["data"]["cdp-relay.json"]) dashboard_index = static_cast<int>(i);
  }
  check(relay_index >= 0, "a ConfigMap holds relay.yaml");
  if (relay_index < 0) return g_failures;
  const YAML::Node relay_cm = config_maps[relay_index];
  const std::string relay_yaml = str(relay_cm["data"]["relay.yaml"]);
  const YAML::Node relay = YAML::Load(relay_yaml);
  write_file(arg(args, "--config-out"), relay_yaml);

  // --- container, ports, probes -------------------------------------------
  const YAML::Node containers = pod_spec["containers"];
  check(containers.IsSequence() && containers.size() == 1, "one container");
  const YAML::Node c = containers[0];
  int admin_container_port = -1;
  for (const auto& p : c["ports"])
    if (str(p["name"]) == "admin") admin_container_port = p["containerPort"].as<int>();
  check(admin_container_port == defaults.admin_port,
        "container port 'admin' = " + std::to_string(admin_container_port) +
            " = the binary's default admin port " + std::to_string(defaults.admin_port) +
            " (docs/config.md admin.listen)");
  check(port_of(str(relay["admin"]["listen"])) == admin_container_port,
        "relay.yaml admin.listen (" + str(relay["admin"]["listen"]) +
            ") listens on the container's admin port");
  auto resolve_port = [&](const YAML::Node& port) -> int {
    const std::string p = str(port);
    if (p == "admin") return admin_container_port;
    try {
      return std::stoi(p);
    } catch (...) {
      return -1;
    }
  };
  const YAML::Node liveness = c["livenessProbe"]["httpGet"];
  const YAML::Node readiness = c["readinessProbe"]["httpGet"];
  check(str(liveness["path"]) == "/healthz" &&
            resolve_port(liveness["port"]) == defaults.admin_port,
        "livenessProbe: GET /healthz on port " + std::to_string(defaults.admin_port));
  check(str(readiness["path"]) == "/readyz" &&
            resolve_port(readiness["port"]) == defaults.admin_port,
        "readinessProbe: GET /readyz on port " + std::to_string(defaults.admin_port));
  if (!arg(args, "--expect-image", false).empty())
    check(str(c["image"]) == arg(args, "--expect-image"),
          "container image " + str(c["image"]) + " = " + arg(args, "--expect-image"));
  // A soft spread across nodes by default: one node's drain takes few pods.
  bool spread = false;
  for (const auto& t : pod_spec["topologySpreadConstraints"])
    if (str(t["topologyKey"]) == "kubernetes.io/hostname" &&
        labels_match(t["labelSelector"]["matchLabels"], pod_labels))
      spread = true;
  check(spread, "pods spread across nodes (topologySpreadConstraints by kubernetes.io/hostname)");
  check(c["resources"]["requests"]["cpu"] && c["resources"]["requests"]["memory"] &&
            c["resources"]["limits"]["memory"],
        "resources: cpu/memory requests and a memory limit");

  // The config file the container reads is the ConfigMap's relay.yaml.
  std::string config_path;
  const YAML::Node cargs = c["args"];
  for (size_t i = 0; i + 1 < cargs.size(); ++i)
    if (str(cargs[i]) == "-c") config_path = str(cargs[i + 1]);
  check(cargs.size() >= 1 && str(cargs[0]) == "run", "container args start with `run`");
  bool config_mounted = false;
  for (const auto& vm : c["volumeMounts"]) {
    for (const auto& v : pod_spec["volumes"]) {
      if (str(v["name"]) != str(vm["name"]) || !v["configMap"]) continue;
      if (str(v["configMap"]["name"]) == str(relay_cm["metadata"]["name"]) &&
          str(vm["mountPath"]) + "/relay.yaml" == config_path)
        config_mounted = true;
    }
  }
  check(config_mounted, "`-c " + config_path + "` is the relay ConfigMap's relay.yaml, mounted");

  // --- security -----------------------------------------------------------
  const YAML::Node psc = pod_spec["securityContext"];
  const YAML::Node csc = c["securityContext"];
  check(str(psc["runAsNonRoot"]) == "true" || str(csc["runAsNonRoot"]) == "true",
        "runAsNonRoot: true");
  check(str(psc["runAsUser"], "1") != "0" && str(csc["runAsUser"], "1") != "0",
        "runAsUser is not 0");
  check(str(csc["readOnlyRootFilesystem"]) == "true", "readOnlyRootFilesystem: true");
  check(str(csc["allowPrivilegeEscalation"]) == "false", "allowPrivilegeEscalation: false");
  bool drops_all = false;
  for (const auto& cap : csc["capabilities"]["drop"])
    if (str(cap) == "ALL") drops_all = true;
  check(drops_all && !csc["capabilities"]["add"], "capabilities: drop ALL, add none");
  check(str(psc["seccompProfile"]["type"]) == "RuntimeDefault" ||
            str(csc["seccompProfile"]["type"]) == "RuntimeDefault",
        "seccompProfile: RuntimeDefault");
  check(str(pod_spec["automountServiceAccountToken"]) == "false",
        "no service account token mounted (the relay never calls the API server)");

  // --- shutdown and rollout -----------------------------------------------
  const int grace = relay["shutdown_grace_s"] ? relay["shutdown_grace_s"].as<int>()
                                              : defaults.shutdown_grace_s;
  const int termination = pod_spec["terminationGracePeriodSeconds"].as<int>(-1);
  check(termination > grace, "terminationGracePeriodSeconds " + std::to_string(termination) +
                                 " > shutdown_grace_s " + std::to_string(grace));
  const std::string checksum = str(pod["metadata"]["annotations"]["checksum/config"]);
  check(std::regex_match(checksum, std::regex("[0-9a-f]{64}")),
        "pod template has a sha256 checksum/config annotation");
  write_file(arg(args, "--checksum-out"), checksum + "\n");

  // --- secrets ------------------------------------------------------------
  const bool vidora_enabled = str(relay["destinations"]["vidora"]["enabled"], "true") == "true";
  check(str(relay["destinations"]["vidora"]["api_key"]) ==
            (vidora_enabled ? "${VIDORA_API_KEY}" : "${VIDORA_API_KEY:-}"),
        "relay.yaml destinations.vidora.api_key is the env reference ${VIDORA_API_KEY}");
  check(str(relay["destinations"]["spideo"]["api_key"]) == "${SPIDEO_API_KEY:-}",
        "relay.yaml destinations.spideo.api_key is the env reference ${SPIDEO_API_KEY:-}");
  std::map<std::string, std::string> secret_data;  // key -> decoded value
  std::string secret_name;
  if (!existing_secret.empty()) {
    check(count("Secret") == 0, "existingSecret: the chart renders no Secret");
    secret_name = existing_secret;
  } else {
    check(count("Secret") == 1, "one Secret for the API keys");
    if (count("Secret") == 1) {
      const YAML::Node s = by_kind["Secret"][0];
      secret_name = str(s["metadata"]["name"]);
      for (const auto& kv : s["data"])
        secret_data[kv.first.as<std::string>()] = base64_decode(str(kv.second));
      for (const auto& kv : s["stringData"])
        secret_data[kv.first.as<std::string>()] = str(kv.second);
    }
  }
  auto env_ref = [&](const std::string& name) -> YAML::Node {
    for (const auto& e : c["env"])
      if (str(e["name"]) == name) return e["valueFrom"]["secretKeyRef"];
    return YAML::Node();
  };
  const YAML::Node vref = env_ref("VIDORA_API_KEY");
  check(vref && str(vref["name"]) == secret_name &&
            (!existing_secret.empty() || secret_data.count(str(vref["key"]))),
        "env VIDORA_API_KEY comes from Secret " + secret_name + " key " + str(vref["key"]));
  const YAML::Node sref = env_ref("SPIDEO_API_KEY");
  check(sref && str(sref["name"]) == secret_name && str(sref["optional"]) == "true",
        "env SPIDEO_API_KEY comes from Secret " + secret_name + " (optional key)");
  for (const auto& [key, value] : secret_data) {
    if (value.empty()) continue;
    bool leaked = false;
    for (const auto& cm : config_maps)
      for (const auto& kv : cm["data"])
        if (str(kv.second).find(value) != std::string::npos) leaked = true;
    check(!leaked, "Secret value of '" + key + "' appears in no ConfigMap");
    check(relay_yaml.find(value) == std::string::npos &&
              YAML::Dump(pod).find(value) == std::string::npos,
          "Secret value of '" + key + "' is neither in relay.yaml nor in the pod spec");
  }

  // --- Service, PDB, ServiceMonitor ---------------------------------------
  const YAML::Node svc = by_kind["Service"][0];
  check(labels_match(svc["spec"]["selector"], pod_labels), "Service selects the relay pods");
  std::string svc_port_name;
  bool svc_port_ok = false;
  for (const auto& p : svc["spec"]["ports"])
    if (p["port"].as<int>() == defaults.admin_port && resolve_port(p["targetPort"]) ==
                                                          defaults.admin_port) {
      svc_port_ok = true;
      svc_port_name = str(p["name"]);
    }
  check(svc_port_ok, "Service port " + std::to_string(defaults.admin_port) +
                         " -> the container's admin port");
  check(count("PodDisruptionBudget") == 1 &&
            labels_match(by_kind["PodDisruptionBudget"][0]["spec"]["selector"]["matchLabels"],
                         pod_labels),
        "a PodDisruptionBudget selects the relay pods");
  // /readyz turns 503 on every pod together during a destination outage: a
  // budget counting only healthy pods would then block every node drain.
  if (count("PodDisruptionBudget") == 1)
    check(str(by_kind["PodDisruptionBudget"][0]["spec"]["unhealthyPodEvictionPolicy"]) ==
              "AlwaysAllow",
          "PodDisruptionBudget unhealthyPodEvictionPolicy: AlwaysAllow (drains pass while "
          "every pod is unready)");
  // The alerts select targets by this label (copied by the ServiceMonitor).
  check(str(svc["metadata"]["labels"]["app.kubernetes.io/part-of"]) == "cdp-relay" &&
            str(svc["metadata"]["labels"]["app.kubernetes.io/instance"]) ==
                str(pod_labels["app.kubernetes.io/instance"]),
        "Service carries app.kubernetes.io/part-of=cdp-relay and the release's instance label");

  // --- Kafka security: secrets only as ${ENV}, the same block on both sides -
  static const std::regex env_reference(R"(^\$\{[A-Za-z_][A-Za-z0-9_]*\}$)");
  for (const char* side : {"consumer", "producer"})
    for (const char* key : {"sasl.password", "ssl.key.password", "ssl.key.pem",
                            "ssl.keystore.password", "sasl.oauthbearer.client.secret",
                            "sasl.oauthbearer.config"}) {
      const YAML::Node v = at(relay, {"kafka", side, key});
      if (v) check(std::regex_match(str(v), env_reference),
                   std::string("relay.yaml kafka.") + side + "." + key + " is a ${ENV} reference");
    }
  for (const char* key : {"security.protocol", "sasl.mechanisms", "sasl.username",
                          "sasl.password", "ssl.ca.location"}) {
    const std::string consumer = str(at(relay, {"kafka", "consumer", key}));
    if (!consumer.empty())
      check(str(at(relay, {"kafka", "producer", key})) == consumer,
            std::string("kafka.producer.") + key + " = kafka.consumer." + key +
                " (the dead-letter producer connects like the consumer)");
  }

  // --- autoscaling --------------------------------------------------------
  const bool has_replicas = deploy["spec"]["replicas"].IsDefined();
  if (expect_autoscaler == "none") {
    check(has_replicas, "no autoscaler: the Deployment sets replicas");
    check(count("ScaledObject") == 0 && count("HorizontalPodAutoscaler") == 0,
          "no ScaledObject, no HorizontalPodAutoscaler");
  } else {
    check(!has_replicas, "autoscaled: the Deployment leaves replicas to the autoscaler");
  }
  if (expect_autoscaler == "hpa") {
    check(count("HorizontalPodAutoscaler") == 1 && count("ScaledObject") == 0,
          "one HorizontalPodAutoscaler, no ScaledObject");
    if (count("HorizontalPodAutoscaler") == 1) {
      const YAML::Node hpa = by_kind["HorizontalPodAutoscaler"][0];
      check(str(hpa["spec"]["scaleTargetRef"]["kind"]) == "Deployment" &&
                str(hpa["spec"]["scaleTargetRef"]["name"]) == deploy_name,
            "HPA targets the Deployment");
    }
  }
  if (expect_autoscaler == "keda") {
    check(count("ScaledObject") == 1 && count("HorizontalPodAutoscaler") == 0,
          "one KEDA ScaledObject, no HorizontalPodAutoscaler (KEDA makes its own)");
    if (count("ScaledObject") == 1) {
      const YAML::Node so = by_kind["ScaledObject"][0];
      check(str(so["apiVersion"]) == "keda.sh/v1alpha1", "ScaledObject apiVersion keda.sh/v1alpha1");
      check(str(so["spec"]["scaleTargetRef"]["name"]) == deploy_name,
            "ScaledObject targets the Deployment " + deploy_name);
      const int min = so["spec"]["minReplicaCount"].as<int>(-1);
      const int max = so["spec"]["maxReplicaCount"].as<int>(-1);
      const YAML::Node triggers = so["spec"]["triggers"];
      // Only the Kafka trigger reads its metric from outside the relay pods:
      // the Prometheus one cannot scale back up from 0 pods.
      const bool prometheus_trigger =
          triggers.IsSequence() && triggers.size() >= 1 && str(triggers[0]["type"]) == "prometheus";
      check(min >= (prometheus_trigger ? 1 : 0) && max >= min,
            prometheus_trigger ? "1 <= minReplicaCount <= maxReplicaCount (prometheus trigger)"
                               : "0 <= minReplicaCount <= maxReplicaCount (kafka trigger)");
      const std::string auth_ref =
          triggers.IsSequence() && triggers.size() >= 1
              ? str(at(triggers[0], {"authenticationRef", "name"}))
              : "";
      if (!auth_ref.empty() && count("TriggerAuthentication") > 0) {
        bool found = false;
        for (const auto& ta : by_kind["TriggerAuthentication"])
          if (str(ta["metadata"]["name"]) == auth_ref) found = true;
        check(found, "the trigger's authenticationRef " + auth_ref + " is a rendered TriggerAuthentication");
      }
      check(triggers.IsSequence() && triggers.size() >= 1, "ScaledObject has a trigger");
      const std::set<std::string> declared = declared_metrics(arg(args, "--metric-names"));
      const std::string scrape_path = arg(args, "--scrape", false);
      std::set<std::string> scraped;
      if (!scrape_path.empty()) scraped = scraped_metrics(scrape_path);
      for (const auto& t : triggers) {
        const std::string type = str(t["type"]);
        if (type == "prometheus") {
          const std::string query = str(t["metadata"]["query"]);
          const auto used = metric_names_in(query);
          check(!used.empty(), "prometheus trigger query names a cdp_relay_ series: " + query);
          for (const auto& name : used) {
            check(declared.count(name) == 1, name + " is declared in src/obs/metric_names.h");
            if (!scrape_path.empty())
              check(scraped.count(name) == 1, name + " is in a real /metrics scrape of the binary");
          }
          check(used.count("cdp_relay_consumer_lag_seconds") == 1,
                "the trigger uses the seconds-behind series (cdp_relay_consumer_lag_seconds)");
          if (!arg(args, "--keda-query-out", false).empty())
            write_file(arg(args, "--keda-query-out"), query + "\n");
          check(parse_url(str(t["metadata"]["serverAddress"])).port > 0,
                "prometheus trigger has a serverAddress URL");
          check(std::regex_match(str(t["metadata"]["threshold"]), std::regex(R"(\d+(\.\d+)?)")),
                "prometheus trigger threshold is a number (as a string)");
        } else if (type == "kafka") {
          check(str(t["metadata"]["consumerGroup"]) == str(relay["kafka"]["group_id"]),
                "kafka trigger consumerGroup = relay kafka.group_id");
          check(str(t["metadata"]["bootstrapServers"]) == str(relay["kafka"]["brokers"]),
                "kafka trigger bootstrapServers = relay kafka.brokers");
          std::string reset = str(at(relay, {"kafka", "consumer", "auto.offset.reset"}), "earliest");
          if (reset == "largest" || reset == "end") reset = "latest";
          if (reset == "smallest" || reset == "beginning") reset = "earliest";
          check(str(t["metadata"]["offsetResetPolicy"]) == reset,
                "kafka trigger offsetResetPolicy = the consumer's auto.offset.reset (" + reset + ")");
          check(str(t["metadata"]["allowIdleConsumers"]) == "false",
                "kafka trigger: no replicas beyond the partition count (allowIdleConsumers false)");
        } else {
          check(false, "unexpected trigger type " + type);
        }
      }
    }
  }

  // --- kinds the case expects (e.g. the production values' Strimzi objects) -
  {
    std::istringstream kinds(arg(args, "--expect-kinds", false));
    std::string item;
    while (std::getline(kinds, item, ',')) {
      const auto eq = item.find('=');
      if (eq == std::string::npos) die("--expect-kinds: Kind=N, got " + item);
      const std::string kind = item.substr(0, eq);
      check(count(kind) == std::stoul(item.substr(eq + 1)),
            "exactly " + item.substr(eq + 1) + " " + kind + " (got " + std::to_string(count(kind)) + ")");
    }
  }

  // --- NetworkPolicy: the relay pods, the admin port open to scraping ------
  for (const auto& np : by_kind["NetworkPolicy"]) {
    check(labels_match(np["spec"]["podSelector"]["matchLabels"], pod_labels),
          "NetworkPolicy selects the relay pods");
    bool admin_open = false, egress_any = false;
    for (const auto& rule : np["spec"]["ingress"])
      for (const auto& p : rule["ports"])
        if (p["port"].as<int>(-1) == admin_container_port) admin_open = true;
    for (const auto& rule : np["spec"]["egress"])
      if (rule["ports"].IsSequence() && rule["ports"].size() > 0) egress_any = true;
    check(admin_open, "NetworkPolicy lets the admin port in (scraping)");
    check(egress_any, "NetworkPolicy lets egress out (brokers, destinations)");
  }

  // --- Strimzi: no npm package carries its CRD schemas, so the structure is
  // checked here: cluster label, topic names, and exactly the relay's ACLs. -
  auto strimzi_common = [&](const YAML::Node& doc) {
    const std::string kind = str(doc["kind"]);
    check(str(doc["apiVersion"]) == "kafka.strimzi.io/v1beta2", kind + " apiVersion kafka.strimzi.io/v1beta2");
    check(!str(doc["metadata"]["labels"]["strimzi.io/cluster"]).empty(),
          kind + " " + str(doc["metadata"]["name"]) + " carries the strimzi.io/cluster label");
    check(std::regex_match(str(doc["metadata"]["name"]), std::regex("[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) &&
              str(doc["metadata"]["name"]).size() <= 63,
          kind + " name is a DNS-1123 name");
  };
  std::set<std::string> write_topics = {str(relay["dead_letter"]["topic"])};
  if (at(relay, {"normalized", "topic"})) write_topics.insert(str(at(relay, {"normalized", "topic"})));
  for (const auto& topic : by_kind["KafkaTopic"]) {
    strimzi_common(topic);
    check(write_topics.count(str(topic["spec"]["topicName"])) == 1,
          "KafkaTopic " + str(topic["spec"]["topicName"]) + " is the dead-letter or normalized topic");
    check(topic["spec"]["partitions"].as<int>(0) >= 1 && topic["spec"]["replicas"].as<int>(0) >= 1,
          "KafkaTopic has partitions and replicas");
  }
  for (const auto& user : by_kind["KafkaUser"]) {
    strimzi_common(user);
    const std::string auth = str(user["spec"]["authentication"]["type"]);
    check(auth == "scram-sha-512" || auth == "tls", "KafkaUser authentication scram-sha-512 or tls");
    check(str(user["spec"]["authorization"]["type"]) == "simple", "KafkaUser authorization simple");
    // (resource type, name) -> operations
    std::map<std::pair<std::string, std::string>, std::set<std::string>> acls;
    for (const auto& acl : user["spec"]["authorization"]["acls"])
      for (const auto& op : acl["operations"])
        acls[{str(acl["resource"]["type"]), str(acl["resource"]["name"])}].insert(str(op));
    std::map<std::pair<std::string, std::string>, std::set<std::string>> want;
    for (const auto& src : relay["sources"]) want[{"topic", str(src["topic"])}] = {"Read", "Describe"};
    want[{"group", str(at(relay, {"kafka", "group_id"}), "cdp-relay")}] = {"Read", "Describe"};
    for (const auto& t : write_topics) want[{"topic", t}] = {"Write", "Describe"};
    want[{"cluster", ""}] = {"IdempotentWrite"};
    check(acls == want, "KafkaUser ACLs are exactly: Read+Describe on the sources and the group, "
                        "Write+Describe on the dead-letter/normalized topics, IdempotentWrite on the cluster");
    check(str(user["metadata"]["name"]) ==
              str(at(relay, {"kafka", "consumer", "sasl.username"}), str(user["metadata"]["name"])),
          "KafkaUser name = the relay's sasl.username (SCRAM user)");
  }

  // --- optional monitoring objects ----------------------------------------
  if (!optional_on) {
    check(count("ServiceMonitor") == 0 && count("PrometheusRule") == 0 && dashboard_index < 0,
          "optional features off: no ServiceMonitor, PrometheusRule or dashboard ConfigMap");
  } else {
    check(count("ServiceMonitor") == 1, "one ServiceMonitor");
    if (count("ServiceMonitor") == 1) {
      const YAML::Node sm = by_kind["ServiceMonitor"][0];
      check(labels_match(sm["spec"]["selector"]["matchLabels"], svc["metadata"]["labels"]),
            "ServiceMonitor selects the Service");
      const YAML::Node ep = sm["spec"]["endpoints"][0];
      check(str(ep["port"]) == svc_port_name && str(ep["path"]) == "/metrics",
            "ServiceMonitor scrapes /metrics on the Service port '" + svc_port_name + "'");
      std::set<std::string> target_labels;
      for (const auto& l : sm["spec"]["targetLabels"]) target_labels.insert(str(l));
      check(target_labels.count("app.kubernetes.io/part-of") && target_labels.count("app.kubernetes.io/instance"),
            "ServiceMonitor copies app.kubernetes.io/part-of and /instance onto the series "
            "(the alerts, the dashboard and the KEDA query select by them)");
    }
    check(count("PrometheusRule") == 1, "one PrometheusRule");
    if (count("PrometheusRule") == 1) {
      const YAML::Node alerts = YAML::LoadFile(arg(args, "--alerts"));
      check(yaml_equal(by_kind["PrometheusRule"][0]["spec"]["groups"], alerts["groups"]),
            "PrometheusRule groups = deploy/prometheus/alerts.yml groups (parsed, deep-equal)");
    }
    check(dashboard_index >= 0, "a dashboard ConfigMap");
    if (dashboard_index >= 0) {
      const YAML::Node dashboard_cm = config_maps[dashboard_index];
      check(str(dashboard_cm["metadata"]["labels"]["grafana_dashboard"]) == "1",
            "dashboard ConfigMap carries the Grafana sidecar label grafana_dashboard=\"1\"");
      auto rendered = nlohmann::json::parse(str(dashboard_cm["data"]["cdp-relay.json"]));
      auto source = nlohmann::json::parse(read_file(arg(args, "--dashboard")));
      const std::string uid = rendered.value("uid", "");
      check(!uid.empty() && uid.size() <= 40 && uid != source.value("uid", ""),
            "dashboard uid '" + uid + "' is the release's own (<= 40 chars, not the source's)");
      if (!arg(args, "--dashboard-uid-out", false).empty())
        write_file(arg(args, "--dashboard-uid-out"), uid + "\n");
      check_dashboard_content(source);
      for (auto* d : {&rendered, &source}) {
        d->erase("uid");
        d->erase("title");
      }
      check(rendered == source,
            "dashboard JSON = deploy/grafana/cdp-relay.json but uid and title (parsed, equal)");
    }
  }
  return g_failures;
}

// A compose port, short ("[ip:]published:target[/proto]") or long syntax
// ({host_ip, published, target}); docker-compose config keeps either.
struct PublishedPort {
  std::string host_ip;
  int target = -1;
};
PublishedPort published_port(const YAML::Node& p) {
  PublishedPort out;
  if (p.IsScalar()) {
    std::string spec = p.as<std::string>();
    spec = spec.substr(0, spec.find('/'));
    const auto parts = std::count(spec.begin(), spec.end(), ':');
    if (parts == 2) out.host_ip = spec.substr(0, spec.find(':'));
    out.target = port_of(spec.find(':') == std::string::npos ? ":" + spec : spec);
  } else {
    out.host_ip = str(p["host_ip"]);
    out.target = p["target"].as<int>(-1);
  }
  return out;
}

// ---------------------------------------------------------------------------
int check_compose(const std::map<std::string, std::string>& args) {
  const Defaults defaults = load_defaults(arg(args, "--docs"));
  const YAML::Node compose = YAML::LoadFile(arg(args, "--config"));
  const YAML::Node services = compose["services"];
  for (const char* name :
       {"kafka", "kafka-init", "cdp-relay", "emulator", "producer", "prometheus", "grafana"})
    check(services[name].IsDefined(), std::string("service ") + name);
  if (g_failures) return g_failures;

  auto depends = [&](const std::string& svc, const std::string& on, const std::string& cond) {
    check(str(services[svc]["depends_on"][on]["condition"]) == cond,
          svc + " depends_on " + on + " (" + cond + ")");
  };
  auto env_of = [&](const std::string& svc, const std::string& key) {
    return str(services[svc]["environment"][key]);
  };
  // A volume entry, short ("src:dst[:mode]") or long ({source, target}) syntax.
  auto volume = [](const YAML::Node& v) -> std::pair<std::string, std::string> {
    if (v.IsScalar()) {
      const std::string s = v.as<std::string>();
      const auto a = s.find(':');
      std::string tgt = s.substr(a + 1);
      return {s.substr(0, a), tgt.substr(0, tgt.find(':'))};
    }
    return {str(v["source"]), str(v["target"])};
  };
  // Host path mounted at `target` in service `svc`.
  auto mount_source = [&](const std::string& svc, const std::string& target) -> std::string {
    for (const auto& v : services[svc]["volumes"]) {
      const auto [source, tgt] = volume(v);
      if (tgt == target) return source;
    }
    return "";
  };

  // Kafka: KRaft, healthy before anyone uses it.
  const YAML::Node kafka = services["kafka"];
  check(str(kafka["image"]).rfind("apache/kafka:", 0) == 0, "kafka runs the apache/kafka image");
  check(env_of("kafka", "KAFKA_PROCESS_ROLES").find("controller") != std::string::npos &&
            !env_of("kafka", "KAFKA_CONTROLLER_QUORUM_VOTERS").empty(),
        "kafka is in KRaft mode (process roles include controller, quorum voters set)");
  for (const char* name : {"kafka", "cdp-relay", "emulator", "prometheus", "grafana"})
    check(services[name]["healthcheck"]["test"].IsDefined(),
          std::string(name) + " has a healthcheck");
  depends("kafka-init", "kafka", "service_healthy");
  depends("cdp-relay", "kafka-init", "service_completed_successfully");
  depends("cdp-relay", "emulator", "service_healthy");
  depends("producer", "kafka-init", "service_completed_successfully");
  depends("prometheus", "cdp-relay", "service_started");
  depends("grafana", "prometheus", "service_healthy");

  // The relay: its mounted config.
  const YAML::Node cmd = services["cdp-relay"]["command"];
  std::string config_target;
  for (size_t i = 0; i + 1 < cmd.size(); ++i)
    if (str(cmd[i]) == "-c") config_target = str(cmd[i + 1]);
  check(cmd.size() > 0 && str(cmd[0]) == "run" && !config_target.empty(),
        "cdp-relay runs `run -c " + config_target + "`");
  const std::string relay_source = mount_source("cdp-relay", config_target);
  check(!relay_source.empty() && fs::exists(relay_source),
        "the relay config is mounted from the repository: " + relay_source);
  if (relay_source.empty() || !fs::exists(relay_source)) return g_failures;
  fs::copy_file(relay_source, arg(args, "--relay-config-out"),
                fs::copy_options::overwrite_existing);
  const YAML::Node relay = YAML::LoadFile(relay_source);
  // The relay's environment, one NAME=value a line, for check-config.
  {
    std::ostringstream env;
    for (const auto& kv : services["cdp-relay"]["environment"])
      env << kv.first.as<std::string>() << "=" << str(kv.second) << "\n";
    write_file(arg(args, "--relay-env-out"), env.str());
  }

  const int admin_port = port_of(str(relay["admin"]["listen"]));
  check(admin_port == defaults.admin_port,
        "relay admin.listen port " + std::to_string(admin_port) + " = the default admin port");
  std::string health_url;
  for (const auto& t : services["cdp-relay"]["healthcheck"]["test"])
    if (str(t).find("http") == 0) health_url = str(t);
  const Url hu = parse_url(health_url);
  check(hu.port == admin_port && hu.path == "/healthz",
        "relay healthcheck GETs /healthz on the admin port (" + health_url + ")");
  bool published = false;
  for (const auto& p : services["cdp-relay"]["ports"])
    if (published_port(p).target == admin_port) published = true;
  check(published, "the relay publishes its admin port");

  // Kafka wiring: brokers and topics.
  const std::string brokers = str(relay["kafka"]["brokers"]);
  check(env_of("kafka", "KAFKA_ADVERTISED_LISTENERS").find("//" + brokers) != std::string::npos,
        "relay kafka.brokers (" + brokers + ") is an advertised listener of the kafka service");
  std::set<std::string> created;
  {
    std::istringstream topics(env_of("kafka-init", "TOPICS"));
    std::string spec;
    while (topics >> spec) created.insert(spec.substr(0, spec.find(':')));
  }
  std::vector<std::string> needed;
  for (const auto& s : relay["sources"]) needed.push_back(str(s["topic"]));
  needed.push_back(str(relay["dead_letter"]["topic"]));
  if (relay["normalized"]) needed.push_back(str(relay["normalized"]["topic"]));
  for (const auto& t : needed) check(created.count(t) == 1, "kafka-init creates topic " + t);
  check(env_of("kafka-init", "BOOTSTRAP") == brokers, "kafka-init talks to " + brokers);

  // The emulator: same API key, reachable at the relay's base_url.
  const YAML::Node ecmd = services["emulator"]["command"];
  std::string listen;
  for (size_t i = 0; i + 1 < ecmd.size(); ++i)
    if (str(ecmd[i]) == "--listen") listen = str(ecmd[i + 1]);
  check(ecmd.size() > 0 && str(ecmd[0]) == "emulate", "the emulator runs `cdp-relay emulate`");
  check(str(services["emulator"]["image"]) == str(services["cdp-relay"]["image"]),
        "the emulator runs the relay image");
  const Url base = parse_url(str(relay["destinations"]["vidora"]["base_url"]));
  check(base.host == "emulator" && base.port == port_of(listen),
        "relay vidora.base_url points at the emulator service's --listen port (" + listen + ")");
  check(!env_of("cdp-relay", "VIDORA_API_KEY").empty() &&
            env_of("cdp-relay", "VIDORA_API_KEY") ==
                env_of("emulator", "CDP_RELAY_EMULATOR_API_KEY"),
        "the relay's VIDORA_API_KEY is the key the emulator accepts");
  std::string emu_health;
  for (const auto& t : services["emulator"]["healthcheck"]["test"])
    if (str(t).find("http") == 0) emu_health = str(t);
  check(parse_url(emu_health).port == port_of(listen) && parse_url(emu_health).path == "/healthz",
        "emulator healthcheck GETs /healthz on its port");

  // The producer: writes to a source topic of the relay.
  bool produces_source = false;
  for (const auto& s : relay["sources"])
    if (str(s["topic"]) == env_of("producer", "TOPIC")) produces_source = true;
  check(produces_source, "the producer writes to a relay source topic (" +
                             env_of("producer", "TOPIC") + ")");
  check(env_of("producer", "BOOTSTRAP") == brokers, "the producer talks to " + brokers);
  std::string script_target;
  for (const auto& e : services["producer"]["entrypoint"])
    if (str(e).find(".sh") != std::string::npos) script_target = str(e);
  const std::string script_source = mount_source("producer", script_target);
  check(!script_source.empty() && fs::exists(script_source),
        "the producer script is mounted from the repository: " + script_source);

  // Prometheus: rebuild its mounted file layout under --prom-root, for promtool.
  const fs::path prom_root = arg(args, "--prom-root");
  for (const auto& v : services["prometheus"]["volumes"]) {
    const auto [source, target] = volume(v);
    check(fs::exists(source), "prometheus mount source exists: " + source);
    const fs::path dst = prom_root / fs::path(target).relative_path();
    fs::create_directories(dst.parent_path());
    fs::remove(dst);
    fs::create_symlink(fs::absolute(source), dst);
  }
  const fs::path prom_config = prom_root / "etc/prometheus/prometheus.yml";
  check(fs::exists(prom_config), "prometheus config mounted at /etc/prometheus/prometheus.yml");
  if (fs::exists(prom_config)) {
    const YAML::Node pc = YAML::LoadFile(prom_config.string());
    bool scrapes_relay = false, loads_rules = false;
    for (const auto& job : pc["scrape_configs"])
      for (const auto& sc : job["static_configs"])
        for (const auto& t : sc["targets"])
          if (str(t) == "cdp-relay:" + std::to_string(admin_port) &&
              str(job["metrics_path"], "/metrics") == "/metrics" &&
              str(job["job_name"]).find("cdp-relay") != std::string::npos)
            scrapes_relay = true;
    check(scrapes_relay, "prometheus job 'cdp-relay*' scrapes cdp-relay:" +
                             std::to_string(admin_port) + "/metrics");
    for (const auto& rf : pc["rule_files"]) {
      const fs::path rules = prom_config.parent_path() / str(rf);
      if (fs::exists(rules) && fs::canonical(rules) ==
                                   fs::canonical(arg(args, "--alerts")))
        loads_rules = true;
    }
    check(loads_rules, "prometheus loads deploy/prometheus/alerts.yml (rule_files, via its mount)");
  }

  // Exposure: every published port on loopback only (the emulator, the admin
  // port and Kafka's plaintext listener have no authentication).
  for (const auto& svc_kv : services) {
    const std::string name = svc_kv.first.as<std::string>();
    for (const auto& p : svc_kv.second["ports"]) {
      const PublishedPort port = published_port(p);
      check(port.host_ip == "127.0.0.1", name + " publishes port " + std::to_string(port.target) +
                                             " on 127.0.0.1 only");
    }
  }
  // Kafka keeps its data in a named volume, at its log.dirs.
  {
    const std::string log_dirs = env_of("kafka", "KAFKA_LOG_DIRS");
    const std::string source = mount_source("kafka", log_dirs);
    check(!log_dirs.empty() && !source.empty() && compose["volumes"][source].IsDefined(),
          "kafka's log dirs (" + log_dirs + ") are the named volume '" + source + "'");
  }
  // Grafana: no anonymous access, no default admin password.
  check(env_of("grafana", "GF_AUTH_ANONYMOUS_ENABLED") != "true",
        "grafana: anonymous access off");
  check(!env_of("grafana", "GF_SECURITY_ADMIN_PASSWORD").empty() &&
            env_of("grafana", "GF_SECURITY_ADMIN_PASSWORD") != "admin",
        "grafana: the admin password is the caller's, not 'admin'");

  // Grafana: datasource and dashboard provisioned.
  const std::string ds_source =
      mount_source("grafana", "/etc/grafana/provisioning/datasources/cdp-relay.yml");
  check(!ds_source.empty() && fs::exists(ds_source), "grafana datasource provisioning mounted");
  if (!ds_source.empty() && fs::exists(ds_source)) {
    const YAML::Node ds = YAML::LoadFile(ds_source);
    check(str(ds["datasources"][0]["type"]) == "prometheus" &&
              parse_url(str(ds["datasources"][0]["url"])).host == "prometheus",
          "grafana datasource: type prometheus at the prometheus service");
  }
  const std::string db_source =
      mount_source("grafana", "/etc/grafana/provisioning/dashboards/cdp-relay.yml");
  check(!db_source.empty() && fs::exists(db_source), "grafana dashboard provisioning mounted");
  if (!db_source.empty() && fs::exists(db_source)) {
    const YAML::Node db = YAML::LoadFile(db_source);
    const std::string dir = str(db["providers"][0]["options"]["path"]);
    const std::string json_source = mount_source("grafana", dir + "/cdp-relay.json");
    check(!json_source.empty() && fs::exists(json_source) &&
              fs::canonical(json_source) == fs::canonical(arg(args, "--dashboard")),
          "deploy/grafana/cdp-relay.json is mounted in the provider's path " + dir);
  }
  return g_failures;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: deploy_check helm|compose --key value ...");
  const std::string mode = argv[1];
  std::map<std::string, std::string> args;
  for (int i = 2; i + 1 < argc; i += 2) args[argv[i]] = argv[i + 1];
  int failures = 0;
  try {
    if (mode == "helm")
      failures = check_helm(args);
    else if (mode == "compose")
      failures = check_compose(args);
    else
      die("unknown mode " + mode);
  } catch (const std::exception& e) {
    std::cerr << "deploy_check: " << e.what() << "\n";
    return 100;
  }
  std::cout << (failures ? "FAILED: " + std::to_string(failures) + " assertion(s)\n"
                         : std::string("all assertions hold\n"));
  return std::min(failures, 99);
}
