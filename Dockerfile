# syntax=docker/dockerfile:1
# cdp-relay container image (README "Run the full stack", "Deploy on Kubernetes").
#   docker build -t cdp-relay:local .
# Stage 1 builds with the Debian bookworm -dev packages of scripts/install-deps.sh
# (the same list CI uses); stage 2 is bookworm-slim with the runtime libraries
# only. tests/deploy/check_dockerfile.py keeps the runtime list equal to the
# libraries the built binary links (readelf NEEDED -> dpkg), and to the sources
# of the -dev packages in scripts/install-deps.sh.
# No Docker engine runs on the CI machines: the image build itself is not
# tested there (the structure of this file is).

ARG DEBIAN_RELEASE=bookworm

FROM debian:${DEBIAN_RELEASE} AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh build && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt ./
COPY include/ include/
COPY src/ src/
COPY schemas/ schemas/
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
          -DCDP_RELAY_BUILD_TESTS=OFF -DCDP_RELAY_BUILD_BENCH=OFF \
 && cmake --build /build -j"$(nproc)" \
 && DESTDIR=/out cmake --install /build --strip \
 && /out/usr/bin/cdp-relay --help >/dev/null

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="cdp-relay" \
      org.opencontainers.image.description="Kafka to Vidora Cortex event relay (Segment and mParticle inputs, at-least-once, DLQ)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/cdp-relay/cdp-relay" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"

# Runtime libraries of the binary (one per -dev package it links), plus
# ca-certificates (TLS to Vidora and Kafka) and curl (HEALTHCHECK).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates curl \
      libcpp-httplib0.11 libcurl4 libprometheus-cpp-core1.0 librdkafka1 \
      libsimdjson14 libyaml-cpp0.7 \
 && rm -rf /var/lib/apt/lists/*

# A fixed numeric uid/gid, so Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 cdp-relay \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin cdp-relay

COPY --from=build /out/usr/bin/cdp-relay /usr/bin/cdp-relay
# The emulator (`cdp-relay emulate`) finds its JSON Schemas here.
COPY --from=build /out/usr/share/cdp-relay/schemas/ /usr/share/cdp-relay/schemas/

USER 10001:10001
WORKDIR /tmp
# Admin port: /metrics, /healthz, /readyz (admin.listen, default 0.0.0.0:9464).
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:9464/healthz"]
ENTRYPOINT ["cdp-relay"]
CMD ["run", "-c", "/etc/cdp-relay/relay.yaml"]
