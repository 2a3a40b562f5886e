# syntax=docker/dockerfile:1
# Vigil's image: built on Debian bookworm like the development machines (TOOLCHAIN.md),
# run as a non-root user with the binary, its shared libraries and CA certificates.
#
#   docker build -t vigil:0.1.0 .
#   docker run --rm -v $PWD/vigil.yaml:/etc/vigil/vigil.yaml:ro vigil:0.1.0 \
#     config check --config /etc/vigil/vigil.yaml
#
# tests/cli/dockerfile_test.sh keeps this file in step with the Makefile (build packages),
# with the libraries build/vigil links (runtime packages) and with charts/vigil (uid, port).

FROM debian:bookworm AS build
# The part of the Makefile's DEB_PACKAGES that building the vigil target needs: no
# fuzzers, benchmarks, clang or devnet tools. CMakeLists.txt always looks for GTest.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libcurl4-openssl-dev libwebsocketpp-dev libboost-dev libasio-dev \
      libleveldb-dev libsnappy-dev libsecp256k1-dev libyaml-cpp-dev prometheus-cpp-dev \
      libgtest-dev libgmock-dev libssl-dev nlohmann-json3-dev libsimdjson-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The configuration `make build` uses (Release), without the benchmarks.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DVIGIL_BENCH=OFF \
 && cmake --build build --target vigil -j"$(nproc)" \
 && strip build/vigil \
 && build/vigil version

FROM debian:bookworm-slim
# The shared libraries of the -dev packages above (the C++ runtime is in the base image).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      libcurl4 libleveldb1d libsnappy1v5 libsecp256k1-1 libyaml-cpp0.7 libssl3 \
      libprometheus-cpp-core1.0 libsimdjson14 \
 && rm -rf /var/lib/apt/lists/*
# uid/gid 10001: the chart's podSecurityContext runs as the same ids.
RUN groupadd --system --gid 10001 vigil \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/vigil --no-create-home \
      --shell /usr/sbin/nologin vigil \
 && mkdir -p /var/lib/vigil /etc/vigil \
 && chown 10001:10001 /var/lib/vigil
COPY --from=build /src/build/vigil /usr/local/bin/vigil
USER 10001:10001
WORKDIR /var/lib/vigil
VOLUME ["/var/lib/vigil"]
# /metrics, /healthz, /readyz (metrics.listen; the chart's metrics.port).
EXPOSE 9100
ENTRYPOINT ["vigil"]
CMD ["--help"]
