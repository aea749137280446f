#!/usr/bin/env python3
"""ctest deploy_dockerfile: the Dockerfile's structure, checked without a Docker
engine (none runs on these machines, so `docker build` itself is not tested).

  check_dockerfile.py SOURCE_DIR CDP_RELAY_BINARY BUILD_DIR

Asserts, on the parsed instructions (continuations joined, per stage):
  - a bookworm build stage that installs scripts/install-deps.sh's `build`
    profile, and a bookworm-slim runtime stage;
  - the runtime stage: a non-root numeric USER (the uid useradd creates),
    ENTRYPOINT ["cdp-relay"], a HEALTHCHECK GETting /healthz on the default
    admin port (docs/config.md), the OCI labels, the binary and the schemas
    copied from the build stage (schemas to /usr/share/cdp-relay/schemas);
  - the runtime apt-get list = the Debian packages of the libraries the built
    binary links (readelf NEEDED -> dpkg -S), plus ca-certificates and curl;
    each comes from the same Debian source package as a -dev package of
    scripts/install-deps.sh's build profile;
  - `cmake --install` (DESTDIR, prefix /usr, as the build stage does) lays out
    the paths the runtime stage copies, and the installed emulator finds its
    schemas there;
  - .dockerignore keeps what the build stage COPYs and drops build trees.
"""
import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

failures = 0


def check(ok, what):
    global failures
    print(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        failures += 1


def parse_dockerfile(path):
    """[(instruction, argument)] with continuation lines joined."""
    out, buf = [], ""
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if not buf and (line.strip().startswith("#") or not line.strip()):
            continue
        if buf and line.strip().startswith("#"):
            continue  # comment inside a continued instruction
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    return out


def stages_of(instructions):
    args, stages = {}, []
    for ins, arg in instructions:
        if ins == "ARG" and not stages:
            name, _, default = arg.partition("=")
            args[name] = default
        elif ins == "FROM":
            words = arg.split()
            image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), words[0])
            alias = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append({"image": image, "alias": alias, "ins": []})
        elif stages:
            stages[-1]["ins"].append((ins, arg))
    return stages


def admin_port(source_dir):
    doc = open(os.path.join(source_dir, "docs/config.md"), encoding="utf-8").read()
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    m = re.search(r'^admin:\n(?:\s+.*\n)*?\s+listen:\s*"[^"]*:(\d+)"', block, re.M)
    return int(m.group(1))


def bash_array(script, name):
    text = open(script, encoding="utf-8").read()
    m = re.search(name + r"=\((.*?)\)", text, re.S)
    return m.group(1).split()


def dpkg_source(pkg):
    out = subprocess.run(["dpkg-query", "-W", "-f=${source:Package}", pkg],
                         capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def needed_packages(binary):
    """Debian packages providing the binary's direct (NEEDED) libraries."""
    dyn = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dyn.stdout)
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
    pkgs = {}
    for lib in needed:
        path = os.path.realpath(paths.get(lib, lib))
        found = None
        for candidate in (paths.get(lib, ""), path, "*/" + lib):
            if not candidate:
                continue
            r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if r.returncode == 0:
                found = r.stdout.split(":")[0].strip()
                break
        pkgs[lib] = found
    return pkgs


def main():
    source_dir, binary, build_dir = sys.argv[1:4]
    dockerfile = os.path.join(source_dir, "Dockerfile")
    stages = stages_of(parse_dockerfile(dockerfile))
    port = admin_port(source_dir)

    check(len(stages) >= 2, f"multi-stage ({len(stages)} stages)")
    build, final = stages[0], stages[-1]
    check(build["image"] == "debian:bookworm" and build["alias"] == "build",
          f"build stage FROM debian:bookworm AS build ({build['image']} AS {build['alias']})")
    check(final["image"] == "debian:bookworm-slim",
          f"runtime stage FROM debian:bookworm-slim ({final['image']})")

    runs = [a for i, a in build["ins"] if i == "RUN"]
    check(any(re.search(r"scripts/install-deps\.sh build\b", r) for r in runs),
          "build stage installs scripts/install-deps.sh's build profile")
    check(any("-DCDP_RELAY_BUILD_TESTS=OFF" in r and "cmake --install" in r
              and "-DCMAKE_INSTALL_PREFIX=/usr" in r for r in runs),
          "build stage: cmake without tests, prefix /usr, cmake --install")

    fins = final["ins"]
    users = [a for i, a in fins if i == "USER"]
    uid = users[-1].split(":")[0] if users else ""
    check(bool(users) and uid.isdigit() and int(uid) != 0,
          f"runtime USER is a numeric non-root uid ({uid or 'none'})")
    creates = " ".join(a for i, a in fins if i == "RUN")
    check(re.search(r"useradd\b.*--uid " + re.escape(uid) + r"\b", creates) is not None,
          f"the runtime stage creates user uid {uid}")
    entry = [a for i, a in fins if i == "ENTRYPOINT"]
    check(bool(entry) and json.loads(entry[-1]) == ["cdp-relay"], 'ENTRYPOINT ["cdp-relay"] (exec form)')
    health = [a for i, a in fins if i == "HEALTHCHECK"]
    url = re.search(r"https?://[^\"' ]+", health[-1]).group(0) if health else ""
    check(bool(health) and re.fullmatch(rf"http://(127\.0\.0\.1|localhost):{port}/healthz", url) is not None,
          f"HEALTHCHECK GETs /healthz on the default admin port {port} ({url})")
    labels = set()
    for i, a in fins:
        if i == "LABEL":
            labels.update(tok.split("=", 1)[0] for tok in shlex.split(a) if "=" in tok)
    for key in ("title", "description", "version", "revision", "source", "licenses"):
        check(f"org.opencontainers.image.{key}" in labels, f"OCI label org.opencontainers.image.{key}")
    copies = [shlex.split(a) for i, a in fins if i == "COPY"]
    from_build = [c for c in copies if "--from=build" in c]
    dests = {c[-1].rstrip("/"): c[-2].rstrip("/") for c in from_build}
    check(dests.get("/usr/bin/cdp-relay") == "/out/usr/bin/cdp-relay",
          "the binary is copied from the build stage to /usr/bin/cdp-relay (on PATH)")
    check(dests.get("/usr/share/cdp-relay/schemas") == "/out/usr/share/cdp-relay/schemas",
          "schemas copied to /usr/share/cdp-relay/schemas (where the emulator looks)")

    # Runtime packages against what the binary links.
    install = next((a for i, a in fins if i == "RUN" and "apt-get install" in a), "")
    words = install.split("apt-get install", 1)[1].split("&&")[0].split() if install else []
    runtime = {w for w in words if not w.startswith("-")}
    check("--no-install-recommends" in words, "runtime apt-get install --no-install-recommends")
    linked = needed_packages(binary)
    check(all(linked.values()), "every NEEDED library of the binary maps to a Debian package: "
          + ", ".join(f"{k}->{v}" for k, v in sorted(linked.items())))
    base = {"libc6", "libstdc++6", "libgcc-s1"}  # essential in debian:bookworm-slim
    # A sanitizer build (-DCDP_RELAY_SANITIZE) links libasan/libubsan: not in an image.
    expected = {p for p in linked.values() if p and not re.match(r"lib(a|ub|t|l)san\d", p)} - base
    extras = {"ca-certificates", "curl"}
    check(runtime - extras == expected,
          f"runtime packages = the binary's libraries: missing {sorted(expected - runtime)}, "
          f"extra {sorted(runtime - extras - expected)}")
    check(extras <= runtime, "runtime has ca-certificates (TLS) and curl (HEALTHCHECK)")
    build_pkgs = bash_array(os.path.join(source_dir, "scripts/install-deps.sh"), "build_pkgs")
    build_sources = {dpkg_source(p) for p in build_pkgs} - {None}
    for pkg in sorted(expected):
        src = dpkg_source(pkg)
        check(src in build_sources,
              f"runtime {pkg} (source {src}) pairs with a -dev package of install-deps.sh build")

    # The install layout the runtime stage copies from.
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DESTDIR=tmp)
        r = subprocess.run(["cmake", "--install", build_dir, "--prefix", "/usr"], env=env,
                           capture_output=True, text=True)
        check(r.returncode == 0, "cmake --install (DESTDIR, prefix /usr) succeeds" +
              ("" if r.returncode == 0 else ": " + r.stderr[-500:]))
        installed_bin = os.path.join(tmp, "usr/bin/cdp-relay")
        schemas = os.path.join(tmp, "usr/share/cdp-relay/schemas")
        ours = sorted(f for f in os.listdir(os.path.join(source_dir, "schemas")))
        check(os.access(installed_bin, os.X_OK), "installs usr/bin/cdp-relay")
        check(os.path.isdir(schemas) and sorted(os.listdir(schemas)) == ours,
              f"installs usr/share/cdp-relay/schemas with every file of schemas/ ({len(ours)})")
        if os.access(installed_bin, os.X_OK):
            p = subprocess.Popen([installed_bin, "emulate", "--listen", "127.0.0.1:0",
                                  "--api-key", "k"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, cwd="/")
            try:
                line = p.stdout.readline()
            finally:
                p.terminate()
                p.wait(timeout=10)
            check(line.startswith("emulator listening on "),
                  "the installed emulator starts from / with the installed schemas: " + line.strip())

    # .dockerignore
    ignore = [l.strip() for l in open(os.path.join(source_dir, ".dockerignore"))
              if l.strip() and not l.startswith("#")]
    def ignored(path):
        return any(fnmatch.fnmatch(path, pat.rstrip("/")) or fnmatch.fnmatch(path.split("/")[0], pat.rstrip("/"))
                   for pat in ignore)
    context_paths = [shlex.split(a)[0] for i, a in build["ins"] if i == "COPY"]
    context_paths += [w for i, a in build["ins"] if i == "COPY" for w in shlex.split(a)[:-1]]
    for path in sorted(set(context_paths)):
        check(not ignored(path.rstrip("/")), f".dockerignore keeps {path}")
    for path in ("build", "build-deploy", ".tools", ".git", "node_modules"):
        check(ignored(path), f".dockerignore drops {path}")

    print("FAILED: %d assertion(s)" % failures if failures else "all assertions hold")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
