#!/usr/bin/env bash
# Installs keyscan for the GitHub Action (action.yml, step "Install keyscan").
#
# In order, as KEYSCAN_INSTALL allows (auto: all three):
#   release  the release archive for this runner's OS and architecture,
#            checked against the release's SHA256SUMS, then extracted;
#   pip      the wheel from PyPI (pip install keyscan==VERSION) in a venv;
#   source   nothing here: prints method=source, and the action builds the
#            action's own checkout with a cached `cargo install`.
# A release that is missing (no such tag or asset, no network) falls through
# to the next way. A checksum that does not match never does: it fails the
# step, as a tampered or truncated download must not run.
#
# Environment (the action sets it; tests/it/dist.rs sets it against a fake
# release on 127.0.0.1):
#   KEYSCAN_VERSION      bare version (0.1.0); empty: the action's tag
#                        (GITHUB_ACTION_REF vX.Y.Z), else Cargo.toml's version
#   KEYSCAN_INSTALL      auto | release | pip | source (default auto)
#   KEYSCAN_RELEASE_URL  where the archives and SHA256SUMS are (default:
#                        the GitHub release vVERSION of KEYSCAN_REPOSITORY)
#   KEYSCAN_REPOSITORY   owner/name (default keyscan/keyscan)
#   KEYSCAN_PIP_ARGS     extra pip arguments (e.g. --index-url of a mirror)
#   KEYSCAN_DEST         install directory (default $RUNNER_TEMP/keyscan)
#   ACTION_PATH          the action's checkout (for Cargo.toml)
#   RUNNER_OS, RUNNER_ARCH, GITHUB_OUTPUT: as GitHub Actions sets them.
# Outputs (to GITHUB_OUTPUT, or stdout): method, bin, version.
set -euo pipefail

say() { echo "keyscan install: $*" >&2; }
fail() {
  echo "::error title=keyscan install::$*"
  exit 1
}
out() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1" >>"$GITHUB_OUTPUT"; else echo "$1"; fi
}

action_path=${ACTION_PATH:-$(cd "$(dirname "$0")/../.." && pwd)}
version=${KEYSCAN_VERSION:-}
version=${version#v}
if [ -z "$version" ]; then
  ref=${GITHUB_ACTION_REF:-}
  if [[ $ref =~ ^v([0-9]+\.[0-9]+\.[0-9]+.*)$ ]]; then
    version=${BASH_REMATCH[1]}
  else
    version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$action_path/Cargo.toml" | head -n 1)
  fi
fi
[ -n "$version" ] || fail "cannot tell which version to install (set the input version)"
mode=${KEYSCAN_INSTALL:-auto}
case $mode in auto | release | pip | source) ;; *) fail "install: '$mode' is not auto, release, pip or source" ;; esac
dest=${KEYSCAN_DEST:-${RUNNER_TEMP:-/tmp}/keyscan}
mkdir -p "$dest"
out "version=$version"

# The release target built for this runner (.github/workflows/release.yml).
target=
case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
esac
exe=keyscan
[ "${RUNNER_OS:-}" = Windows ] && exe=keyscan.exe

sha256_of() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
  fi
}

# Checks that the binary runs and is the version asked for; prints its path.
installed() {
  local bin=$1 got
  got=$("$bin" --version 2>&1) || fail "$bin does not run: $got"
  [ "$got" = "keyscan $version" ] || fail "$bin is '$got', not keyscan $version"
  out "bin=$bin"
  say "$got from $2"
}

from_release() {
  if [ -z "$target" ]; then
    say "no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}"
    return 1
  fi
  local base=${KEYSCAN_RELEASE_URL:-https://github.com/${KEYSCAN_REPOSITORY:-keyscan/keyscan}/releases/download/v$version}
  local stem=keyscan-$version-$target ext=.tar.gz
  [[ $target == *windows* ]] && ext=.zip
  local tmp=$dest/download
  rm -rf "$tmp" && mkdir -p "$tmp"
  local f
  for f in SHA256SUMS "$stem$ext"; do
    if ! curl -fsSL --retry 2 --connect-timeout 10 -o "$tmp/$f" "$base/$f"; then
      say "could not download $base/$f"
      return 1
    fi
  done
  # The line for exactly this file: the name is the second field.
  local want got
  want=$(awk -v n="$stem$ext" '$2 == n || $2 == "*" n { print $1 }' "$tmp/SHA256SUMS")
  [ -n "$want" ] || fail "SHA256SUMS of v$version does not list $stem$ext"
  got=$(sha256_of "$tmp/$stem$ext")
  [ "$got" = "$want" ] || fail "checksum mismatch for $stem$ext: expected $want, got $got (download refused)"
  rm -rf "${dest:?}/$stem"
  if [ "$ext" = .zip ]; then
    if command -v unzip >/dev/null; then
      unzip -q "$tmp/$stem$ext" -d "$dest"
    elif command -v 7z >/dev/null; then
      7z x -y -o"$dest" "$tmp/$stem$ext" >/dev/null
    else
      python3 -m zipfile -e "$tmp/$stem$ext" "$dest"
    fi
  else
    tar -xzf "$tmp/$stem$ext" -C "$dest"
  fi
  chmod +x "$dest/$stem/$exe" 2>/dev/null || true
  rm -rf "$tmp"
  installed "$dest/$stem/$exe" "the release archive $stem$ext (sha256 $got)"
  out "method=release"
}

from_pip() {
  local py
  py=$(command -v python3 || command -v python || true)
  if [ -z "$py" ]; then
    say "no python for the wheel"
    return 1
  fi
  local venv=$dest/venv
  rm -rf "$venv"
  "$py" -m venv "$venv" || return 1
  local bin=$venv/bin
  [ -d "$bin" ] || bin=$venv/Scripts
  # shellcheck disable=SC2086 # KEYSCAN_PIP_ARGS is a list of arguments
  if ! "$bin/python" -m pip install --quiet --disable-pip-version-check ${KEYSCAN_PIP_ARGS:-} "keyscan==$version" >&2; then
    say "pip could not install keyscan==$version"
    return 1
  fi
  installed "$bin/$exe" "the wheel keyscan==$version"
  out "method=pip"
}

case $mode in
  release) from_release || fail "no release archive of keyscan $version for this runner" ;;
  pip) from_pip || fail "pip could not install keyscan $version" ;;
  source) out "method=source" ;;
  auto)
    from_release || from_pip || {
      say "building keyscan $version from source (cached by version and runner OS)"
      out "method=source"
    }
    ;;
esac
