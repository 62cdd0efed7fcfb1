#!/bin/sh
# Beacon agent installer, served by a Beacon server at /install.sh. Usage on a robot:
#
#   curl -fsSL @@BEACON_URL@@/install.sh | sudo sh -s -- --name bot-01
#
# What it does, in this order (each step prints one line; any failure prints one line starting with ✗ and exits
# non-zero, changing nothing after that step):
#   1. reads the flags (--help lists them);
#   2. refuses a plain http:// server that is not on this machine (loopback) unless --insecure;
#   3. needs root (except with --dry-run);
#   4. finds a Java 17+ runtime, or installs the distribution's one with apt-get (default-jre-headless);
#   5. downloads the agent package from the server into a private temporary directory (curl, else wget) and checks
#      its SHA-256 against the one the server wrote into this script;
#   6. installs it (apt-get install ./file.deb; dpkg -i + apt-get -f install when that apt-get is too old), or skips
#      that when the same version is installed already;
#   7. enrolls into /etc/roboflare/agent.toml, unless that file already holds a robot token (then it keeps it; --force
#      enrolls again): the enrollment key is read from --enrollment-key-file or typed at /dev/tty without echo, and
#      handed to `beacon-agent enroll` in a file of mode 0600 (or on its standard input), never on a command line;
#   8. enables and (re)starts beacon-agent.service when systemd runs (/run/systemd/system exists), else prints the
#      command that starts the agent.
# --dry-run runs steps 1, 2, 4 (only looking) and 5 as any user and changes nothing on the machine. Exit codes:
# 0 done, 1 a step failed, 2 a wrong flag. The script depends on nothing but POSIX sh, coreutils-like tools, and
# curl or wget; its behaviour depends on the environment only through TMPDIR and the machine itself (no test hooks).
# Unattended (CI, provisioning): as root, `sh -s -- --name NAME --enrollment-key-file FILE` with the script on stdin;
# without /run/systemd/system it stops after enrolling and prints the `runuser -u beacon-agent -- beacon-agent run
# --config /etc/roboflare/agent.toml` line to start the agent with. The key is handed over with the agent's
# --enrollment-key-file when its `enroll --help` lists that flag, else on its standard input.
set -eu

BEACON_URL='@@BEACON_URL@@'
DEB_FILE='@@DEB_FILE@@'
DEB_SHA256='@@DEB_SHA256@@'
DEB_MISSING='@@DEB_MISSING@@'
CONFIG=/etc/roboflare/agent.toml
SERVICE=beacon-agent.service
AGENT_USER=beacon-agent

usage() {
  cat <<USAGE
Installs the Beacon agent from $BEACON_URL, enrolls this machine and starts the agent.

Usage: curl -fsSL $BEACON_URL/install.sh | sudo sh -s -- [options]

  --name NAME                 robot name, unique in the organization (default: this host's name)
  --enrollment-key-file FILE  read the enrollment key from FILE instead of asking for it
  --label KEY=VALUE           label to advertise (repeatable)
  --ca-cert PEM               trust this CA for the server's HTTPS (a private CA), for download and agent
  --insecure                  allow a plain http:// server that is not on this machine
  --replace                   take over an offline robot that holds the name (keeps its id and history)
  --force                     enroll again even if $CONFIG already holds a robot token
  --dry-run                   check this machine and the download, change nothing (no root needed)
  -h, --help                  show this help
USAGE
}

say() { printf '%s\n' "$*"; }
fail() { printf '✗ %s\n' "$*" >&2; exit 1; }
usage_error() { printf '✗ %s (see --help)\n' "$*" >&2; exit 2; }

name=''
key_file=''
ca_cert=''
insecure=0
replace=0
force=0
dry_run=0
labels=''
tmp=''
tty_saved=''
key_path=''

cleanup() {
  if [ -n "$tty_saved" ]; then stty "$tty_saved" </dev/tty 2>/dev/null || true; fi
  if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}

need_value() {
  [ "$2" -ge 2 ] || usage_error "$1 needs a value"
}

parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --name) need_value "$1" $#; name="$2"; shift 2 ;;
      --name=*) name="${1#*=}"; shift ;;
      --enrollment-key-file) need_value "$1" $#; key_file="$2"; shift 2 ;;
      --enrollment-key-file=*) key_file="${1#*=}"; shift ;;
      --ca-cert) need_value "$1" $#; ca_cert="$2"; shift 2 ;;
      --ca-cert=*) ca_cert="${1#*=}"; shift ;;
      --label) need_value "$1" $#; add_label "$2"; shift 2 ;;
      --label=*) add_label "${1#*=}"; shift ;;
      --insecure) insecure=1; shift ;;
      --replace) replace=1; shift ;;
      --force) force=1; shift ;;
      --dry-run) dry_run=1; shift ;;
      -h|--help) usage; exit 0 ;;
      --enrollment-key|--enrollment-key=*|--key|--key=*)
        usage_error "the enrollment key is never a flag (it would show in ps and shell history): use --enrollment-key-file FILE, or type it when asked" ;;
      *) usage_error "unknown option: $1" ;;
    esac
  done
  if [ -n "$name" ]; then
    case "$name" in *[!A-Za-z0-9._-]*) usage_error "--name may hold letters, digits, '.', '_' and '-' only" ;; esac
  fi
}

add_label() {
  case "$1" in
    *=*) ;;
    *) usage_error "--label needs KEY=VALUE, got: $1" ;;
  esac
  case "$1" in *"
"*) usage_error "--label may not hold a line break" ;; esac
  labels="$labels$1
"
}

# The host of BEACON_URL, without brackets and port.
url_host() {
  rest="${BEACON_URL#*://}"
  rest="${rest%%/*}"
  case "$rest" in
    \[*) rest="${rest#\[}"; rest="${rest%%]*}" ;;
    *) rest="${rest%:*}" ;;
  esac
  printf '%s' "$rest"
}

check_server_url() {
  case "$BEACON_URL" in
    https://*) return 0 ;;
    http://*) ;;
    *) fail "the server URL $BEACON_URL is neither https:// nor http://" ;;
  esac
  host="$(url_host)"
  case "$host" in
    localhost|::1) return 0 ;;
    127.*) case "$host" in *[!0-9.]*) ;; *) return 0 ;; esac ;; # 127.0.0.1, not 127.0.0.1.example.com
  esac
  [ "$insecure" = 1 ] || fail "refusing plain http:// to $BEACON_URL: the agent package and its token would cross the network unprotected. Serve Beacon over https (--public-url), or pass --insecure on a network you trust."
}

# Java 17 or newer on the PATH (or in /usr/lib/jvm): prints the java command.
find_java() {
  for java in "$(command -v java 2>/dev/null || true)" /usr/lib/jvm/*/bin/java; do
    if [ -z "$java" ] || [ ! -x "$java" ]; then continue; fi
    major="$("$java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)"
    if [ -n "$major" ] && [ "$major" -ge 17 ] 2>/dev/null; then
      printf '%s' "$java"
      return 0
    fi
  done
  return 1
}

ensure_java() {
  if java="$(find_java)"; then
    say "✓ Java 17 or newer found ($java)"
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    fail "no Java 17 or newer found, and this is not a Debian-like system with apt-get: install a Java 17+ runtime (e.g. OpenJDK 17 headless), then run this again, or use $BEACON_URL/downloads/beacon-agent-latest.tar.gz"
  fi
  if [ "$dry_run" = 1 ]; then
    say "• Would install a Java runtime: apt-get install default-jre-headless"
    return 0
  fi
  say "Installing a Java runtime (default-jre-headless)..."
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || fail "apt-get update failed; check this machine's package sources and network"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q default-jre-headless >/dev/null \
    || fail "apt-get could not install default-jre-headless; install a Java 17+ runtime yourself, then run this again"
  find_java >/dev/null || fail "default-jre-headless is older than Java 17 on this system; install a Java 17+ runtime (e.g. openjdk-17-jre-headless), then run this again"
  say "✓ Java runtime installed"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 "$1" | sed 's/.*= *//'
  else fail "no sha256sum, shasum or openssl to check the download with"
  fi
}

download() { # url file
  if command -v curl >/dev/null 2>&1; then
    if [ -n "$ca_cert" ]; then curl -fsSL --cacert "$ca_cert" -o "$2" "$1"
    else curl -fsSL -o "$2" "$1"
    fi
  elif command -v wget >/dev/null 2>&1; then
    if [ -n "$ca_cert" ]; then wget -q --ca-certificate="$ca_cert" -O "$2" "$1"
    else wget -q -O "$2" "$1"
    fi
  else
    echo "neither curl nor wget is installed" >&2
    return 1
  fi
}

fetch_package() {
  [ -n "$DEB_FILE" ] || fail "$DEB_MISSING"
  deb="$tmp/$DEB_FILE"
  if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
    fail "neither curl nor wget is installed; install one of them, then run this again"
  fi
  if ! download "$BEACON_URL/downloads/$DEB_FILE" "$deb" 2>"$tmp/download.err"; then
    fail "could not download $BEACON_URL/downloads/$DEB_FILE: $(tr '\n' ' ' <"$tmp/download.err" | sed 's/ *$//')"
  fi
  actual="$(sha256_of "$deb")"
  [ "$actual" = "$DEB_SHA256" ] || fail "the downloaded $DEB_FILE has SHA-256 $actual, not $DEB_SHA256 as the server says: not installing it"
  say "✓ Downloaded $DEB_FILE (SHA-256 checked)"
}

install_package() {
  version="${DEB_FILE#beacon-agent_}"
  version="${version%_all.deb}"
  installed="$(dpkg-query -W -f='${Status} ${Version}' beacon-agent 2>/dev/null || true)"
  if [ "$installed" = "install ok installed $version" ]; then
    say "✓ beacon-agent $version is installed already"
    return 0
  fi
  if [ "$dry_run" = 1 ]; then
    say "• Would install $DEB_FILE"
    return 0
  fi
  command -v dpkg >/dev/null 2>&1 || fail "this installer needs dpkg (Debian, Ubuntu, Raspberry Pi OS); elsewhere use $BEACON_URL/downloads/beacon-agent-latest.tar.gz"
  say "Installing $DEB_FILE..."
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" >"$tmp/apt.log" 2>&1; then
    DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$tmp/apt.log" 2>&1 \
      || DEBIAN_FRONTEND=noninteractive apt-get -f install -y -q >>"$tmp/apt.log" 2>&1 \
      || { cat "$tmp/apt.log" >&2; fail "could not install $DEB_FILE (apt-get and dpkg output above)"; }
  fi
  command -v beacon-agent >/dev/null 2>&1 || fail "$DEB_FILE installed, but there is no beacon-agent command on the PATH"
  say "✓ Installed beacon-agent $version"
}

enrolled() {
  [ -f "$CONFIG" ] && grep -q '^robot_token *=' "$CONFIG"
}

# Sets key_path to a file holding the enrollment key: --enrollment-key-file, or $tmp/key (mode 0600) holding what
# was typed at the terminal.
read_key() {
  if [ -n "$key_file" ]; then
    key_path="$key_file"
    return 0
  fi
  if ! (exec </dev/tty) 2>/dev/null; then
    fail "no terminal to ask for the enrollment key on: pass --enrollment-key-file FILE"
  fi
  printf 'Enter enrollment token: ' >/dev/tty
  tty_saved="$(stty -g </dev/tty 2>/dev/null || true)"
  stty -echo </dev/tty 2>/dev/null || true
  IFS= read -r key </dev/tty || key=''
  if [ -n "$tty_saved" ]; then stty "$tty_saved" </dev/tty 2>/dev/null || true; tty_saved=''; fi
  printf '\n' >/dev/tty
  [ -n "$key" ] || fail "no enrollment token entered"
  # printf is a shell builtin: the key is in no process's arguments.
  (umask 077 && printf '%s\n' "$key" >"$tmp/key") || fail "cannot write the key to $tmp"
  key=''
  key_path="$tmp/key"
}

enroll() {
  if enrolled && [ "$force" = 0 ]; then
    say "✓ Already enrolled ($CONFIG holds a robot token); keeping it. Pass --force to enroll again."
    return 0
  fi
  if [ "$dry_run" = 1 ]; then
    say "• Would enroll into $CONFIG"
    return 0
  fi
  read_key
  backup=''
  if enrolled; then
    if [ -d /run/systemd/system ]; then systemctl stop "$SERVICE" 2>/dev/null || true; fi
    backup="$CONFIG.replaced-$(date +%Y%m%d%H%M%S)"
    mv "$CONFIG" "$backup"
  fi
  set -- enroll --no-start --config "$CONFIG" --server "$BEACON_URL"
  if [ -n "$name" ]; then set -- "$@" --name "$name"; fi
  if [ -n "$ca_cert" ]; then set -- "$@" --ca-cert "$ca_cert"; fi
  if [ "$replace" = 1 ]; then set -- "$@" --replace; fi
  if [ -n "$labels" ]; then
    old_ifs="$IFS"; IFS='
'
    set -f # a label is a word, never a file pattern
    for label in $labels; do set -- "$@" --label "$label"; done
    set +f
    IFS="$old_ifs"
  fi
  # The key goes by file (or standard input for an agent without --enrollment-key-file), never as an argument.
  if beacon-agent enroll --help 2>/dev/null | grep -q -- '--enrollment-key-file'; then
    beacon-agent "$@" --enrollment-key-file "$key_path" && status=0 || status=$?
  else
    beacon-agent "$@" <"$key_path" && status=0 || status=$?
  fi
  rm -f "$tmp/key"
  if [ "$status" != 0 ]; then
    if [ -n "$backup" ]; then mv -f "$backup" "$CONFIG"; fi
    fail "enrollment failed (the reason is above)${backup:+; the previous credentials are back in place}"
  fi
  if [ -n "$backup" ]; then say "✓ The previous credentials are kept in $backup"; fi
  if id "$AGENT_USER" >/dev/null 2>&1; then
    chown "$AGENT_USER:" "$CONFIG" "$(dirname "$CONFIG")"
    chmod 0600 "$CONFIG"
  fi
}

start_agent() {
  if [ "$dry_run" = 1 ]; then
    say "• Dry run: nothing was changed."
    return 0
  fi
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    say "✓ Starting agent..."
    systemctl enable "$SERVICE" >/dev/null 2>&1 || fail "systemctl enable $SERVICE failed"
    systemctl restart "$SERVICE" || fail "systemctl restart $SERVICE failed; see: journalctl -u $SERVICE"
    say "✓ $SERVICE is enabled and running; its log: journalctl -u $SERVICE -f"
  else
    say "systemd is not running here (a container?), so nothing starts the agent by itself. Start it with:"
    if id "$AGENT_USER" >/dev/null 2>&1; then
      say "  runuser -u $AGENT_USER -- beacon-agent run --config $CONFIG"
    else
      say "  beacon-agent run --config $CONFIG"
    fi
  fi
}

main() {
  parse_args "$@"
  check_server_url
  if [ "$dry_run" = 0 ] && [ "$(id -u)" != 0 ]; then
    fail "this installs a package and a service, so it must run as root: curl -fsSL $BEACON_URL/install.sh | sudo sh -s -- ..."
  fi
  if [ -n "$key_file" ] && [ ! -r "$key_file" ]; then fail "cannot read --enrollment-key-file $key_file"; fi
  if [ -n "$ca_cert" ] && [ ! -r "$ca_cert" ]; then fail "cannot read --ca-cert $ca_cert"; fi
  trap cleanup EXIT
  trap 'exit 130' INT TERM HUP
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/beacon-install.XXXXXX")" || fail "cannot create a temporary directory"
  chmod 0700 "$tmp"
  ensure_java
  fetch_package
  install_package
  enroll
  start_agent
}

# Everything runs from here, so that a download cut short runs nothing at all.
main "$@"
