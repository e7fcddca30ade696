#!/bin/sh
# Installs what herd needs to build and test on Debian 12 (run as root).
# Skips apt entirely when everything is already present.
set -e
PKGS="build-essential pkg-config clang libclang-rt-14-dev libuv1-dev libsqlite3-dev
 libmicrohttpd-dev libjansson-dev libssl-dev libcurl4-openssl-dev zlib1g-dev liblzma-dev
 xz-utils iproute2 nftables openssl procps python3 python3-pytest python3-igraph python3-networkx parallel"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
