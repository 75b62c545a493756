# Shared helpers for the setup scripts: logging and an apt wrapper that installs only what is missing.
# shellcheck shell=bash

log() { printf '\033[1;34m[memory-mesh]\033[0m %s\n' "$*" >&2; }

APT_UPDATED=0
# apt_install PKG... — installs the named Debian packages that are not installed yet.
# Naming already-installed packages can trigger a dpkg self-upgrade that this image's apt hook
# breaks, so we filter first and retry once after `dpkg --configure -a`.
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "${p%%=*}" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { dpkg --configure -a; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
}

# deb_tool PACKAGE BINARY — prints the path of BINARY from Debian's PACKAGE, unpacked once under
# target/tools/ (not installed: no service starts, nothing outside the repository changes).
deb_tool() {
  local pkg=$1 bin=$2 dir="$PWD/target/tools/$1"
  if [ ! -x "$dir/usr/bin/$bin" ]; then
    log "unpacking Debian's $pkg into target/tools (once)"
    local work
    work=$(mktemp -d)
    (cd "$work" && { apt-get download -q "$pkg" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null && apt-get download -q "$pkg" >/dev/null; }; })
    mkdir -p "$dir"
    dpkg-deb -x "$work"/"$pkg"_*.deb "$dir"
    rm -rf "$work"
  fi
  echo "$dir/usr/bin/$bin"
}

# served_url LOG PID — waits (up to 60 s) for the server PID, logging to LOG, to print its
# address, and prints it; if the process exits first or never says, shows its log and fails.
served_url() {
  local log_file=$1 pid=$2 url=""
  for _ in $(seq 1 600); do
    url=$(grep -o 'running at http://[0-9.:]*' "$log_file" | head -1 | cut -d' ' -f3) || true
    [ -n "$url" ] && { echo "$url"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the server did not start:" >&2
  cat "$log_file" >&2
  return 1
}
