#!/usr/bin/env bash
# shellcheck shell=bash
# Harness images: the Debian bases, the VPS image and the Docker Hub stand-ins, each rebuilt
# only when its recipe changes. Sourced by scripts/harness.

# image_current NAME HASH: true when NAME exists and carries the recipe hash label.
image_current() {
  [ "$(docker image inspect -f '{{ index .Config.Labels "pdezzy.recipe" }}' "$1" 2>/dev/null)" = "$2" ]
}

# debootstrap a minimal Debian release and import it as pdezzy/debian:<suite>.
build_base() {
  local suite="$1" image="pdezzy/debian:$1" hash
  hash="$(recipe_hash "$HARNESS/images/base.sh")-$suite"
  image_current "$image" "$hash" && return 0
  apt_install debootstrap
  log "images: debootstrap $suite (minbase)"
  local tarball="$CACHE/rootfs-$suite.tar"
  APT_CACHE_PORT="$APT_CACHE_PORT" bash "$HARNESS/images/base.sh" "$suite" >"$tarball.part"
  mv "$tarball.part" "$tarball"
  docker import --change "LABEL pdezzy.recipe=$hash" --change 'CMD ["/bin/bash"]' \
    "$tarball" "$image" >/dev/null
  rm -f "$tarball"
}

# build_layer NAME DIR BASE: docker build DIR on top of BASE, cached by recipe hash.
build_layer() {
  local image="$1" dir="$2" base="$3" hash
  hash="$(cd "$dir" && find . -type f -print0 | sort -z | xargs -0 cat | sha256sum | cut -c1-12)"
  hash="$hash-$(docker image inspect -f '{{.Id}}' "$base" | cut -c8-19)"
  image_current "$image" "$hash" && return 0
  log "images: building $image"
  docker build -q --build-arg "BASE=$base" --label "pdezzy.recipe=$hash" -t "$image" "$dir" >/dev/null
}

# The tested Debian releases: each gets a VPS image; the first is the sandbox's default.
VPS_SUITES=(trixie bookworm)
cmd_images() {
  local suite
  for suite in "${VPS_SUITES[@]}"; do
    build_base "$suite"
    build_layer "pdezzy/vps:$suite" "$HARNESS/images/vps" "pdezzy/debian:$suite"
  done
  # The second controller of the controller job (controller.sh), with the build host's CA bundle.
  local context
  context="$(staged_context "$HARNESS/images/controller" controller ca)"
  build_layer "$CONTROLLER_IMAGE" "$context" "pdezzy/debian:$CONTROLLER_SUITE"
}

# staged_context DIR NAME [ca]: DIR copied to $CACHE/context-NAME (with the build host's CA bundle
# when asked, so pip works through this workplace's TLS-intercepting proxy); prints its path.
staged_context() {
  local context="$CACHE/context-$2"
  rm -rf "$context" && cp -r "$1" "$context"
  [ "${3:-}" != ca ] || cp /etc/ssl/certs/ca-certificates.crt "$context/"
  echo "$context"
}

# Docker Hub stand-ins (test fixtures; the roles never know about them), served by the
# registry under the names the roles pull: library/postgres:15, library/redis:7-alpine, …
STANDINS=(
  "postgres:15 postgres bookworm"
  "redis:7-alpine redis bookworm"
  "python:3.11-slim python bookworm"
  "nginx:1.30.6-alpine nginx trixie"
  "certbot/certbot:v5.10.0 certbot trixie"
)

# Docker Hub's path of an image: official images live under library/.
hub_path() { case "$1" in */*) echo "$1" ;; *) echo "library/$1" ;; esac; }

cmd_standins() {
  local entry ref dir suite local_ref
  for entry in "${STANDINS[@]}"; do
    read -r ref dir suite <<<"$entry"
    local key="${ref//[:\/]/_}"
    build_base "$suite"
    local_ref="localhost:$REGISTRY_PORT/$(hub_path "$ref")"
    # The build context is staged so a stand-in can carry files of the build host (CA bundle).
    local ca="" context
    [ "$dir" != python ] || ca=ca
    context="$(staged_context "$HARNESS/standins/$dir" "$dir" "$ca")"
    build_layer "$local_ref" "$context" "pdezzy/debian:$suite"
    if ! curl -fs -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      "http://127.0.0.1:$REGISTRY_PORT/v2/$(hub_path "${ref%%:*}")/manifests/${ref#*:}" ||
      [ "$(cat "$CACHE/pushed-$key" 2>/dev/null)" != "$(docker image inspect -f '{{.Id}}' "$local_ref")" ]; then
      log "registry: pushing $(hub_path "$ref")"
      docker push -q "$local_ref" >/dev/null
      docker image inspect -f '{{.Id}}' "$local_ref" >"$CACHE/pushed-$key"
    fi
  done
}
