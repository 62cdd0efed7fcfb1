#!/usr/bin/env bash
# The package test: installs beacon-server and (through the server's install.sh) beacon-agent on this machine for
# real, as root, where systemd need not be PID 1, and checks what a user gets:
#   the server runs as its unit says (ExecStart as User= with EnvironmentFile=, started here with runuser), the agent
#   installs with `curl URL/install.sh | sh` on the machine's Java 17, the robot shows Online and runs a job, an
#   upgrade to a higher version keeps the robot's token and the server's data, and purging both leaves nothing.
# Also: systemd-analyze verify on both units, lintian on both packages (errors fail, warnings are listed).
# Usage: packages-test.sh SERVER_DEB   (the agent's packages are inside it, in /usr/share/beacon/downloads)
# Refuses to run unless root, and never touches a machine where either package is installed already.
set -euo pipefail

server_deb="$(readlink -f "$1")"
if [ "${CI:-}" != true ] && [ "${BEACON_PACKAGE_TESTS:-0}" != 1 ]; then
    echo "packages-test: SKIPPED: it installs and purges packages as root, so it runs only with CI=true or -Ppackage-tests."
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "packages-test: SKIPPED: it installs and purges packages, so it runs only as root (CI=true or -Ppackage-tests)."
    exit 0
fi
for tool in dpkg-deb curl jq runuser lintian systemd-analyze; do
    command -v "$tool" >/dev/null || { echo "packages-test: FAILED: $tool is missing (.ci/run installs it)" >&2; exit 1; }
done
for pkg in beacon-server beacon-agent; do
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'installed'; then
        echo "packages-test: FAILED: $pkg is installed on this machine; this test installs and purges it, so it stops here." >&2
        exit 1
    fi
done

started=$(date +%s)
work="$(mktemp -d /tmp/beacon-packages-test.XXXXXX)"
chmod 0755 "$work"
server_pid=""
agent_pid=""
step() { printf '\n== %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }
fail() { echo "packages-test: FAILED: $*" >&2; exit 1; }

stop_pid() { # SIGTERM, then wait up to 20 s for the process we started
    local pid="$1"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    set +e
    stop_pid "$agent_pid"
    stop_pid "$server_pid"
    if [ "$status" != 0 ]; then
        echo "--- server log (last 40 lines)"; tail -n 40 "$work/server.log" 2>/dev/null
        echo "--- agent log (last 40 lines)"; tail -n 40 "$work/agent.log" 2>/dev/null
    fi
    DEBIAN_FRONTEND=noninteractive dpkg --purge beacon-agent beacon-server >"$work/purge.log" 2>&1
    rm -rf "$work"
    if [ "$status" = 0 ]; then
        echo "packages-test: passed in $(($(date +%s) - started)) s"
    else
        echo "packages-test: FAILED (exit $status) after $(($(date +%s) - started)) s; both packages purged" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    local port
    for _ in $(seq 1 50); do
        # below Linux's ephemeral range (32768-60999), where servers and clients started on port 0 land
        port=$((20000 + RANDOM % 12000))
        ss -Hltn "sport = :$port" 2>/dev/null | grep -q . || { echo "$port"; return 0; }
    done
    return 1
}

unit_value() { sed -n "s/^$2=//p" "$1" | head -n 1; }
unit_of() { # grep reads all of dpkg's output: stopping early would kill dpkg with SIGPIPE, a failure under pipefail
    local units
    units="$(dpkg -L "$1" | grep '/systemd/system/.*\.service$')"
    echo "${units%%$'\n'*}"
}

start_server() { # the unit's ExecStart as its User= with its EnvironmentFile=, as systemd would (minus the sandbox)
    local unit user exec_start env_file
    unit="$(unit_of beacon-server)"
    user="$(unit_value "$unit" User)"
    exec_start="$(unit_value "$unit" ExecStart)"
    env_file="$(unit_value "$unit" EnvironmentFile)"
    (
        set -a
        # shellcheck disable=SC1090
        . "$env_file"
        set +a
        cd "$(unit_value "$unit" WorkingDirectory)"
        umask 0077
        # shellcheck disable=SC2086
        exec runuser -u "$user" -- $exec_start
    ) >>"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 360); do
        # ready, and it is this server that answers (its log names the URL), not another process on the port
        curl -fsS "$url/readyz" >/dev/null 2>&1 && grep -q "listening on $url" "$work/server.log" && return 0
        kill -0 "$server_pid" 2>/dev/null || fail "the server exited during start"
        sleep 0.5
    done
    fail "the server was not ready on $url/readyz within 180 s"
}

start_agent() { # the agent service's ExecStart as its User=, as install.sh says to without systemd
    local unit user exec_start
    unit="$(unit_of beacon-agent)"
    user="$(unit_value "$unit" User)"
    exec_start="$(unit_value "$unit" ExecStart)"
    (
        cd /
        # shellcheck disable=SC2086
        exec runuser -u "$user" -- $exec_start
    ) >>"$work/agent.log" 2>&1 &
    agent_pid=$!
}

api() { # api METHOD PATH [JSON]
    curl -fsS -X "$1" -H "X-Beacon-API-Key: $key" -H 'Content-Type: application/json' ${3:+-d "$3"} "$url$2"
}

robot_status() {
    api GET /api/robots | jq -r --arg name "$robot" '[.. | objects | select(.name? == $name) | .status][0] // "absent"'
}

wait_online() {
    for _ in $(seq 1 240); do
        [ "$(robot_status)" = online ] && return 0
        kill -0 "$agent_pid" 2>/dev/null || fail "the agent exited"
        sleep 0.5
    done
    fail "robot $robot was not Online within 120 s (status $(robot_status))"
}

run_job() { # submits an echo job to the robot and waits for it to succeed
    local job id state
    job="$(api POST /api/jobs "{\"kind\":\"echo\",\"payload\":{\"hello\":\"$1\"},\"target\":{\"robot_id\":\"$robot_id\"},\"timeout_s\":60}")"
    id="$(jq -r .id <<<"$job")"
    for _ in $(seq 1 120); do
        state="$(api GET "/api/jobs/$id" | jq -r .status)"
        case "$state" in
            succeeded) api GET "/api/jobs/$id" | jq -e --arg v "$1" '.output | tostring | contains($v)' >/dev/null \
                           || fail "job $id succeeded without echoing its payload"; return 0 ;;
            failed|timed_out|cancelled) fail "job $id ended $state" ;;
        esac
        sleep 0.5
    done
    fail "job $id did not finish within 60 s (status $state)"
}

repack() { # repack DEB VERSION OUT: the same package with a higher version, for the upgrade
    rm -rf "$work/repack"
    dpkg-deb -R "$1" "$work/repack"
    sed -i "s/^Version: .*/Version: $2/" "$work/repack/DEBIAN/control"
    dpkg-deb --root-owner-group -Zgzip -b "$work/repack" "$3" >/dev/null
    rm -rf "$work/repack"
}

lint() { # lint DEB OUTPUT: errors fail the test, warnings are listed (BEACON_SKIP_LINTIAN=1 skips it on a rerun)
    if [ "${BEACON_SKIP_LINTIAN:-0}" = 1 ]; then echo "lintian skipped (BEACON_SKIP_LINTIAN=1)" | tee "$2"; return 0; fi
    lintian --fail-on error --tag-display-limit 0 "$1" | tee "$2"
}

step "lintian beacon-server"
lint "$server_deb" "$work/lintian-server.txt" || fail "lintian found errors in $server_deb"

step "install beacon-server with dpkg -i"
DEBIAN_FRONTEND=noninteractive dpkg -i "$server_deb" || fail "dpkg -i $server_deb"
getent passwd beacon >/dev/null || fail "no user beacon"
[ "$(stat -c '%a %U' /var/lib/beacon)" = "700 beacon" ] || fail "/var/lib/beacon is $(stat -c '%a %U' /var/lib/beacon), not 700 beacon"
systemd-analyze verify "$(unit_of beacon-server)" || fail "systemd-analyze verify beacon.service"
version="$(dpkg-query -W -f='${Version}' beacon-server)"

step "start the server (ExecStart as User=beacon, EnvironmentFile=/etc/default/beacon) on a free loopback port"
port="$(free_port)" || fail "no free port"
sed -i "s/^BEACON_PORT=.*/BEACON_PORT=$port/; s/^BEACON_HOST=.*/BEACON_HOST=127.0.0.1/" /etc/default/beacon
url="http://127.0.0.1:$port"
start_server
[ "$(stat -c '%a %U' /var/lib/beacon/initial-admin-password)" = "600 beacon" ] || fail "initial-admin-password is not 0600 beacon"
grep -q "$(cat /var/lib/beacon/initial-admin-password)" "$work/server.log" && fail "the admin password is in the server's output"

step "an admin API key with 'beacon admin' as root (runs as beacon on the server's database)"
key="$(beacon admin api-key create --name packages-test | tail -n 1)"
[ -n "$key" ] || fail "no API key"
site="$(api POST /api/sites '{"name":"ci-site"}' | jq -r .id)"
fleet="$(api POST /api/fleets "{\"site_id\":\"$site\",\"name\":\"ci-fleet\"}" | jq -r .id)"
api POST /api/enrollment-keys "{\"site_id\":\"$site\",\"fleet_id\":\"$fleet\",\"name\":\"ci\",\"max_uses\":1}" \
    | jq -r .key_value > "$work/enrollment-key"
chmod 0600 "$work/enrollment-key"
grep -q '^rf_enroll_' "$work/enrollment-key" || fail "no enrollment key in the answer"

step "curl $url/install.sh | sh -s -- --name bot-ci --enrollment-key-file … (Java $(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'))"
robot=bot-ci
curl_started=$(date +%s%N)
curl -fsSL "$url/install.sh" | sh -s -- --name "$robot" --enrollment-key-file "$work/enrollment-key" 2>&1 | tee "$work/install.log"
[ "${PIPESTATUS[1]}" = 0 ] || fail "install.sh failed"
systemd-analyze verify "$(unit_of beacon-agent)" || fail "systemd-analyze verify beacon-agent.service"
[ "$(stat -c '%a %U' /etc/roboflare/agent.toml)" = "600 beacon-agent" ] || fail "/etc/roboflare/agent.toml is not 0600 beacon-agent"
start_agent
wait_online
online_ms=$((($(date +%s%N) - curl_started) / 1000000))
robot_id="$(api GET /api/robots | jq -r --arg name "$robot" '[.. | objects | select(.name? == $name) | .id][0]')"
run_job first
token_before="$(sha256sum /etc/roboflare/agent.toml | cut -c1-16)"

step "lintian beacon-agent"
cp /usr/share/beacon/downloads/beacon-agent_*_all.deb "$work/"
agent_deb="$(ls "$work"/beacon-agent_*_all.deb)"
lint "$agent_deb" "$work/lintian-agent.txt" || fail "lintian found errors in $agent_deb"

step "upgrade both packages to $version+1 (a higher version of the same build)"
repack "$server_deb" "$version+1" "$work/server-next.deb"
repack "$agent_deb" "$(dpkg-query -W -f='${Version}' beacon-agent)+1" "$work/agent-next.deb"
stop_pid "$agent_pid"
stop_pid "$server_pid"
DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold "$work/server-next.deb" "$work/agent-next.deb" || fail "upgrade"
[ "$(dpkg-query -W -f='${Version}' beacon-server)" = "$version+1" ] || fail "beacon-server was not upgraded"
grep -q "^BEACON_PORT=$port" /etc/default/beacon || fail "the upgrade lost the edited /etc/default/beacon"
start_server
start_agent
wait_online
[ "$(sha256sum /etc/roboflare/agent.toml | cut -c1-16)" = "$token_before" ] || fail "the upgrade changed agent.toml (the robot's token)"
[ "$(api GET /api/robots | jq -r --arg name "$robot" '[.. | objects | select(.name? == $name) | .id][0]')" = "$robot_id" ] \
    || fail "the robot is not the same after the upgrade"
run_job second

step "stop, purge both, and check nothing is left"
stop_pid "$agent_pid"; agent_pid=""
stop_pid "$server_pid"; server_pid=""
DEBIAN_FRONTEND=noninteractive dpkg --purge beacon-agent beacon-server
left=""
for path in /var/lib/beacon /var/lib/beacon-agent /etc/roboflare /etc/default/beacon /usr/share/beacon /usr/lib/beacon \
        /usr/bin/beacon /usr/bin/beacon-agent /usr/lib/systemd/system/beacon.service /usr/lib/systemd/system/beacon-agent.service \
        /etc/systemd/system/multi-user.target.wants/beacon.service /etc/systemd/system/multi-user.target.wants/beacon-agent.service \
        /usr/share/doc/beacon-server /usr/share/doc/beacon-agent; do
    [ -e "$path" ] || [ -L "$path" ] && left="$left $path"
done
for user in beacon beacon-agent; do getent passwd "$user" >/dev/null && left="$left user:$user"; done
for group in beacon beacon-agent; do getent group "$group" >/dev/null && left="$left group:$group"; done
[ -z "$left" ] || fail "purge left:$left"

step "figures"
echo "beacon-server .deb: $(stat -c %s "$server_deb") bytes, installed $(dpkg-deb -f "$server_deb" Installed-Size) KiB"
echo "beacon-agent .deb: $(stat -c %s "$agent_deb") bytes, installed $(dpkg-deb -f "$agent_deb" Installed-Size) KiB"
echo "curl … | sh to Online: ${online_ms} ms"
echo "lintian warnings: server $(grep -c '^W:' "$work/lintian-server.txt" || true), agent $(grep -c '^W:' "$work/lintian-agent.txt" || true)"
