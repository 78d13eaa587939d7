# kpi-exporter image: built on Debian bookworm, run on bookworm-slim as non-root.
#   docker build --build-arg REVISION=$(git rev-parse --short=12 HEAD) \
#                --build-arg BRANCH=$(git rev-parse --abbrev-ref HEAD) -t kpi-exporter .
# .dockerignore keeps .git out of the context, so the revision the binary
# reports (--version, kpi_exporter_build_info) comes from these arguments.
#   docker run -p 9877:9877 -v $PWD/config.toml:/etc/kpi-exporter/config/config.toml:ro kpi-exporter

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config git ca-certificates \
      prometheus-cpp-dev libcivetweb-dev libyaml-cpp-dev libcrypt-dev libtomlplusplus-dev libsimdjson-dev \
      libspdlog-dev libfmt-dev libexpected-dev libcurl4-openssl-dev zlib1g-dev libjwt-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG REVISION=unknown
ARG BRANCH=unknown
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DKPI_BUILD_TESTS=OFF -DKPI_WERROR=ON \
      -DKPI_REVISION="${REVISION}" -DKPI_BRANCH="${BRANCH}" \
 && cmake --build /build --target kpi_exporter \
 && strip /build/kpi_exporter

FROM debian:bookworm-slim
ARG REVISION=unknown
LABEL org.opencontainers.image.source="https://github.com/kpi-exporter/kpi-exporter" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# Exactly the packages providing the binary's DT_NEEDED libraries beyond what
# bookworm-slim already has (libc6, libgcc-s1, libstdc++6, zlib1g);
# tests/integration/test_image.py compares this list with readelf/ldd output.
# ca-certificates is needed for HTTPS to the upstream APIs.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      # runtime-libraries:begin
      libcrypt1 \
      libcurl4 \
      libfmt9 \
      libjwt0 \
      libprometheus-cpp-core1.0 \
      libsimdjson14 \
      libspdlog1.10 \
      libtomlplusplus3 \
      libyaml-cpp0.7 \
      # runtime-libraries:end
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/kpi_exporter /usr/bin/kpi_exporter
USER 65534:65534
EXPOSE 9877
ENTRYPOINT ["/usr/bin/kpi_exporter"]
CMD ["--config.file=/etc/kpi-exporter/config/config.toml"]
