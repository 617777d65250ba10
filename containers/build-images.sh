#!/usr/bin/env bash
# Builds bmc-gateway's container images; `npm run build:images` runs it for the Java viewer image.
#
#   containers/build-images.sh [java] [gateway]        (no argument: java)
#
#   java     JAVA_IMAGE (bmc-gateway-java:1) from containers/java-viewer/Dockerfile, FROM JAVA_BASE
#            (debian:bookworm-slim; the Dockerfile installs JRE 17, Xvfb, x11vnc from Debian unless
#            the base has them already).
#   gateway  GATEWAY_IMAGE (bmc-gateway:local) from ./Dockerfile, FROM GATEWAY_BASE
#            (node:20-bookworm-slim), with PREBUILT=1: dist/ and the production node_modules are
#            made here on the host and copied in, so nothing inside `docker build` needs a network.
#
# An image whose label org.bmc-gateway.content-hash equals the hash of what it is built from (the
# build context's files, the build arguments, the base image's id) is up to date and not rebuilt.
# org.bmc-gateway.context-hash is the hash of the context's files alone: the tests compare it with
# the checkout to refuse a stale image.
set -euo pipefail
cd "$(dirname "$0")/.."

JAVA_IMAGE=${JAVA_IMAGE:-bmc-gateway-java:1}
JAVA_BASE=${JAVA_BASE:-debian:bookworm-slim}
GATEWAY_IMAGE=${GATEWAY_IMAGE:-bmc-gateway:local}
GATEWAY_BASE=${GATEWAY_BASE:-node:20-bookworm-slim}

# The hash of a directory's files (names and contents), then of that plus extra words (build
# arguments, the base image's id). test/helpers/java-image.ts computes the first the same way.
context_hash() {
  (cd "$1" && find . -type f ! -path './node_modules/*' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-32
}
content_hash() {
  local ctx=$1
  shift
  printf '%s\n' "$ctx" "$@" | sha256sum | cut -c1-32
}

base_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || echo "$1"; }

up_to_date() {
  [ "$(docker image inspect -f '{{ index .Config.Labels "org.bmc-gateway.content-hash" }}' "$1" 2>/dev/null || true)" = "$2" ]
}

build_java() {
  local ctx hash
  ctx=$(context_hash containers/java-viewer)
  hash=$(content_hash "$ctx" "BASE=$JAVA_BASE" "$(base_id "$JAVA_BASE")")
  if up_to_date "$JAVA_IMAGE" "$hash"; then
    echo "$JAVA_IMAGE is up to date ($hash)"
    return
  fi
  docker build --build-arg "BASE=$JAVA_BASE" --label "org.bmc-gateway.content-hash=$hash" --label "org.bmc-gateway.context-hash=$ctx" \
    -t "$JAVA_IMAGE" containers/java-viewer
}

stage=''
trap '[ -z "$stage" ] || rm -rf "$stage"' EXIT

build_gateway() {
  npm run build >/dev/null
  local ctx hash
  # What the image holds: the compiled code, the web page, the session script and the locked dependencies.
  stage=$(mktemp -d)
  cp -r package.json package-lock.json Dockerfile dist web containers "$stage/"
  ctx=$(context_hash "$stage")
  hash=$(content_hash "$ctx" "BASE=$GATEWAY_BASE" "$(base_id "$GATEWAY_BASE")" PREBUILT=1)
  if up_to_date "$GATEWAY_IMAGE" "$hash"; then
    echo "$GATEWAY_IMAGE is up to date ($hash)"
    return
  fi
  (cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
  docker build --build-arg "BASE=$GATEWAY_BASE" --build-arg PREBUILT=1 --label "org.bmc-gateway.content-hash=$hash" \
    --label "org.bmc-gateway.context-hash=$ctx" -t "$GATEWAY_IMAGE" "$stage"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(java)
for t in "${targets[@]}"; do
  case "$t" in
    java) build_java ;;
    gateway) build_gateway ;;
    *) echo "unknown image \"$t\" (java, gateway)" >&2; exit 2 ;;
  esac
done
