#!/usr/bin/env bash
# testbed.sh — N emulated GPU hosts on one Linux machine: one network namespace and one silo process per host,
# joined by a bridge through veth links shaped with tc, clustered through Redis. Parameters really cross the
# shaped links, so transfer rates, chains and link utilisation are measured, not assumed (DESIGN.md, "The
# multi-host testbed").
#
# Usage (as root; needs iproute2's ip and tc):
#   testbed.sh up --hosts N --link-mbit R [--gpus G] [--gpu-memory-gib X] [--state DIR] [--blitz "PREFIX"]
#                 [--no-silos] [--redis-port P] [--data-port P] [--cluster-id C] [--silo-args "ARGS"] [--timeout S] [--tls]
#                 [--cpus-per-host C]
#   testbed.sh down [--state DIR]
#   testbed.sh status [--state DIR]
#   testbed.sh exec hI CMD [ARGS...]          (runs CMD inside host I's namespace, with the cluster secret of the
#                                              state directory in $BLITZ_TESTBED_STATE, else /tmp/blitz-testbed, in the environment)
#   testbed.sh kill hI [--state DIR]          (SIGKILLs host I's silo process: a crash, no shutdown; its log is kept)
#   testbed.sh start hI [--state DIR] [--timeout S]
#                                             (starts host I's silo again with the command `up` gave it, appending to its
#                                              log; returns once it logged its start line again)
#   testbed.sh shape hI MBIT|restore [--state DIR]
#                                             (changes host I's link rate, both directions, to MBIT Mbit/s; `restore` sets
#                                              back the rate `up` gave every link)
#
# What `up` makes (and `down` removes, nothing else):
#   bridge blitzbr0 in the root namespace, 10.222.0.254/24
#   for each host i in 1..N: namespace blitz-h<i>; veth pair eth0 (in the namespace, 10.222.0.<i>/24) <-> blitz-vh<i>
#     (on the bridge); loopback up; the link shaped to R Mbit/s in both directions (egress of eth0 and of blitz-vh<i>)
#   redis-server on 10.222.0.254 and 127.0.0.1, port 6399 by default, no persistence
#   a random cluster secret in STATE/secret, given to the silos as BLITZSCALE_CLUSTER_SECRET
#   one silo per namespace:
#     ip netns exec blitz-h<i> <blitz> silo --host h<i> --gpus G --redis 10.222.0.254:PORT --cluster-id testbed
#        --advertise 10.222.0.<i> --nic-gbps R/1000 --data-port 7100 --dashboard false [--gpu-memory-gib X] [ARGS]
#   --cpus-per-host C (default 0: every silo may use every core): host i's silo runs under taskset on its own C cores,
#     (i-1)·C .. i·C-1 taken modulo the machine's cores, so that hosts do not share compute (the cpu backend: a new
#     instance then adds cores of its own, as a new GPU adds its own compute). The env file says CPUS_PER_HOST=C.
#   `up` returns once every silo has logged "BlitzScale silo for host h<i>" (or fails, naming the log to read).
#   --tls: a cluster CA and certificates made with openssl in STATE/tls (ECDSA P-256, one day): h<i>.pem/.key for each
#     silo (subject alternative names 10.222.0.<i> and 127.0.0.1), client.pem/.key for clients; every silo gets
#     --tls-cert STATE/tls/h<i>.pem --tls-key STATE/tls/h<i>.key --tls-ca STATE/tls/ca.pem (silo-to-silo and gateway
#     traffic in mutual TLS, the HTTP API over HTTPS). Clients pass --tls-cert STATE/tls/client.pem --tls-key
#     STATE/tls/client.key --tls-ca STATE/tls/ca.pem; `up` prints them. The env file says TLS=1.
#
# Shaping: a token bucket filter (tbf) on each direction, rate R, burst max(2 ms at R, 128 KiB), latency 20 ms.
#   The burst must hold at least one 64 KiB GSO super-packet (veth offloads TSO), else tbf splits every packet and
#   burns CPU; 2 ms of tokens lets a single TCP flow keep the bucket busy between timer wake-ups. 20 ms of queue is
#   far above the path's bandwidth-delay product (sub-millisecond RTT), so one TCP flow fills the link without a
#   drop-driven sawtooth (the sender's own queue is bounded by TCP small queues), while a control message behind a bulk
#   transfer waits at most ~20 ms. tbf counts whole frames, so a flow's payload tops out at 1448/1514 = 95.6% of R
#   (measured here: 95.3-95.9 MB/s of payload at R = 800 Mbit/s).
#   A host's traffic to any other host crosses its own egress bucket and the receiver's ingress bucket, like a
#   switch port: two senders into one receiver share its R.
#
# State directory (default $BLITZ_TESTBED_STATE, else /tmp/blitz-testbed): env (REDIS, CLUSTER_ID, HOSTS, LINK_MBIT, ...), secret, redis.pid,
# redis.log, silo-h<i>.pid, silo-h<i>.log, silo-h<i>.cmd (the silo's command line, NUL-separated, for `start`). `down` keeps the logs.
#
# Addresses: only 10.222.0.0/24 inside the namespaces this script creates, the bridge's 10.222.0.254, and loopback.
set -euo pipefail

readonly BRIDGE=blitzbr0
readonly SUBNET_PREFIX=10.222.0
readonly BRIDGE_ADDR=${SUBNET_PREFIX}.254
readonly NS_PREFIX=blitz-h
readonly VETH_PREFIX=blitz-vh
readonly MAX_HOSTS=200
readonly REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { echo "testbed: $*" >&2; exit 1; }
say() { echo "testbed: $*" >&2; }

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

require_root_and_tools() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, veth, bridges and tc need CAP_NET_ADMIN); try: sudo $0 ..."
    command -v ip >/dev/null 2>&1 || die "'ip' (iproute2) is missing: apt-get install -y iproute2"
    command -v tc >/dev/null 2>&1 || die "'tc' (iproute2) is missing: apt-get install -y iproute2"
    ip netns list >/dev/null 2>&1 || die "'ip netns' does not work here (no network namespace support?)"
}

# ---- state ------------------------------------------------------------------------------------------------------
STATE=${BLITZ_TESTBED_STATE:-/tmp/blitz-testbed}

load_env() {
    HOSTS=""; REDIS_PORT=""; CLUSTER_ID=""; LINK_MBIT=""
    if [ -f "$STATE/env" ]; then
        # shellcheck disable=SC1091
        . "$STATE/env"
    fi
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# Stops the process in a pid file if it is still the one we started (its command line contains $2), then removes the file.
stop_pidfile() {
    local file=$1 expect=$2 pid
    [ -f "$file" ] || return 0
    pid=$(cat "$file" 2>/dev/null || true)
    if pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$expect"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
        if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$file"
}

# ---- up ---------------------------------------------------------------------------------------------------------
cmd_up() {
    local hosts="" mbit="" gpus=1 gpu_mem="" blitz="" no_silos=0 redis_port=6399 data_port=7100 cluster_id=testbed
    local silo_args="" timeout=120 tls=0 cpus_per_host=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --hosts) hosts=${2:?--hosts needs a value}; shift 2 ;;
            --tls) tls=1; shift ;;
            --link-mbit) mbit=${2:?--link-mbit needs a value}; shift 2 ;;
            --gpus) gpus=${2:?--gpus needs a value}; shift 2 ;;
            --gpu-memory-gib) gpu_mem=${2:?--gpu-memory-gib needs a value}; shift 2 ;;
            --state) STATE=${2:?--state needs a value}; shift 2 ;;
            --blitz) blitz=${2:?--blitz needs a value}; shift 2 ;;
            --no-silos) no_silos=1; shift ;;
            --redis-port) redis_port=${2:?--redis-port needs a value}; shift 2 ;;
            --data-port) data_port=${2:?--data-port needs a value}; shift 2 ;;
            --cluster-id) cluster_id=${2:?--cluster-id needs a value}; shift 2 ;;
            --silo-args) silo_args=${2?--silo-args needs a value}; shift 2 ;;
            --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
            --cpus-per-host) cpus_per_host=${2:?--cpus-per-host needs a value}; shift 2 ;;
            *) die "up: unknown option $1 (see: $0 help)" ;;
        esac
    done
    [[ "$hosts" =~ ^[0-9]+$ ]] && [ "$hosts" -ge 1 ] && [ "$hosts" -le "$MAX_HOSTS" ] || die "up: --hosts must be 1..$MAX_HOSTS, got '${hosts}'"
    [[ "$mbit" =~ ^[0-9]+$ ]] && [ "$mbit" -ge 1 ] || die "up: --link-mbit must be a positive whole number of Mbit/s, got '${mbit}'"
    [[ "$gpus" =~ ^[0-9]+$ ]] && [ "$gpus" -ge 1 ] || die "up: --gpus must be ≥ 1, got '$gpus'"
    [[ "$redis_port" =~ ^[0-9]+$ ]] || die "up: --redis-port must be a port number, got '$redis_port'"
    [[ "$timeout" =~ ^[0-9]+$ ]] || die "up: --timeout must be whole seconds, got '$timeout'"
    local cores
    cores=$(nproc)
    [[ "$cpus_per_host" =~ ^[0-9]+$ ]] && [ "$cpus_per_host" -le "$cores" ] \
        || die "up: --cpus-per-host must be a whole number in 0..$cores (this machine's cores), got '$cpus_per_host'"
    [ "$cpus_per_host" -eq 0 ] || command -v taskset >/dev/null 2>&1 || die "up: --cpus-per-host needs taskset (util-linux)"
    require_root_and_tools
    [ "$tls" -eq 0 ] || command -v openssl >/dev/null 2>&1 || die "up: --tls needs openssl to make the certificates: apt-get install -y openssl"

    if [ -z "$blitz" ]; then
        local dll="$REPO_ROOT/Cli/bin/Release/net10.0/blitz.dll"
        [ "$no_silos" -eq 1 ] || [ -f "$dll" ] || die "up: $dll not found; build first: cd $REPO_ROOT && dotnet build BlitzScale.sln -c Release (or pass --blitz)"
        blitz="dotnet $dll"
    fi
    if [ "$no_silos" -eq 0 ] && ! command -v redis-server >/dev/null 2>&1; then
        say "installing redis-server"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null 2>&1 \
            || die "up: redis-server is missing and apt-get could not install it"
    fi

    # Refuse to build over something that is already there.
    if ip link show "$BRIDGE" >/dev/null 2>&1; then die "up: $BRIDGE already exists: a testbed is up (run: $0 down${STATE:+ --state $STATE})"; fi
    local i
    for i in $(seq 1 "$hosts"); do
        ip netns list | awk '{print $1}' | grep -qx "$NS_PREFIX$i" && die "up: namespace $NS_PREFIX$i already exists (run: $0 down)"
        ip link show "$VETH_PREFIX$i" >/dev/null 2>&1 && die "up: link $VETH_PREFIX$i already exists (run: $0 down)"
    done
    if ip -4 route show | grep -q "^${SUBNET_PREFIX}\.0/24"; then die "up: ${SUBNET_PREFIX}.0/24 is already routed on this machine; refusing to shadow it"; fi

    mkdir -p "$STATE"
    rm -f "$STATE"/*.pid
    {
        echo "HOSTS=$hosts"
        echo "LINK_MBIT=$mbit"
        echo "GPUS=$gpus"
        echo "REDIS_PORT=$redis_port"
        echo "REDIS=$BRIDGE_ADDR:$redis_port"
        echo "CLUSTER_ID=$cluster_id"
        echo "DATA_PORT=$data_port"
        echo "TLS=$tls"
        echo "CPUS_PER_HOST=$cpus_per_host"
    } >"$STATE/env"
    load_env
    UP_DONE=0
    trap 'if [ "$UP_DONE" -eq 0 ]; then say "up failed; tearing down what was made (logs kept in $STATE)"; teardown; fi' EXIT

    # Bridge in the root namespace.
    ip link add "$BRIDGE" type bridge stp_state 0 forward_delay 0
    ip addr add "$BRIDGE_ADDR/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up

    local burst
    burst=$(tbf_burst_bytes "$mbit")
    for i in $(seq 1 "$hosts"); do
        local ns="$NS_PREFIX$i" veth="$VETH_PREFIX$i"
        ip netns add "$ns"
        ip link add "$veth" type veth peer name "blitz-vp$i"
        ip link set "blitz-vp$i" netns "$ns"
        ip -n "$ns" link set "blitz-vp$i" name eth0
        ip -n "$ns" addr add "$SUBNET_PREFIX.$i/24" dev eth0
        ip -n "$ns" link set lo up
        ip -n "$ns" link set eth0 up
        ip link set "$veth" master "$BRIDGE"
        ip link set "$veth" up
        # Both directions of the host's NIC: what it sends (eth0 egress) and what it receives (bridge port egress).
        ip netns exec "$ns" tc qdisc add dev eth0 root tbf rate "${mbit}mbit" burst "$burst" latency 20ms
        tc qdisc add dev "$veth" root tbf rate "${mbit}mbit" burst "$burst" latency 20ms
    done
    say "$hosts hosts on $BRIDGE ($SUBNET_PREFIX.1-$hosts), links shaped to $mbit Mbit/s each way (tbf, burst $burst B)"

    if [ "$no_silos" -eq 0 ]; then
        start_redis "$redis_port"
        umask 077
        head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STATE/secret"
        umask 022
        [ "$tls" -eq 0 ] || make_certificates "$hosts"
        local secret nic_gbps
        secret=$(cat "$STATE/secret")
        nic_gbps=$(awk -v m="$mbit" 'BEGIN { printf "%g", m / 1000 }')
        for i in $(seq 1 "$hosts"); do
            local log="$STATE/silo-h$i.log"
            local -a cmd=()
            [ "$cpus_per_host" -eq 0 ] || cmd=(taskset -c "$(host_cores "$i" "$cpus_per_host" "$cores")")
            # shellcheck disable=SC2206
            cmd+=($blitz silo --host "h$i" --gpus "$gpus" --redis "$BRIDGE_ADDR:$redis_port" --cluster-id "$cluster_id"
                 --advertise "$SUBNET_PREFIX.$i" --nic-gbps "$nic_gbps" --data-port "$data_port" --dashboard false)
            [ -z "$gpu_mem" ] || cmd+=(--gpu-memory-gib "$gpu_mem")
            [ "$tls" -eq 0 ] || cmd+=(--tls-cert "$STATE/tls/h$i.pem" --tls-key "$STATE/tls/h$i.key" --tls-ca "$STATE/tls/ca.pem")
            # shellcheck disable=SC2206
            [ -z "$silo_args" ] || cmd+=($silo_args)
            printf '%s\0' "${cmd[@]}" >"$STATE/silo-h$i.cmd"
            : >"$log"
            launch_silo "$i" "$secret"
        done
        wait_for_silos "$hosts" "$timeout"
    fi
    UP_DONE=1
    say "up: $hosts hosts; cluster: --cluster redis://$BRIDGE_ADDR:$redis_port --cluster-id $cluster_id; state in $STATE"
    [ "$tls" -eq 0 ] || say "up: TLS: clients add --tls-cert $STATE/tls/client.pem --tls-key $STATE/tls/client.key --tls-ca $STATE/tls/ca.pem"
}

# A cluster CA and one certificate per silo and one for clients, in STATE/tls (keys readable by root only).
make_certificates() {
    local hosts=$1 dir="$STATE/tls" i
    local -a specs=("client=IP:$BRIDGE_ADDR,IP:127.0.0.1")
    for i in $(seq 1 "$hosts"); do specs+=("h$i=IP:$SUBNET_PREFIX.$i,IP:127.0.0.1"); done
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 700 "$dir"
    "$REPO_ROOT/tools/certificates.sh" "$dir" blitz-testbed-ca "${specs[@]}" || die "up: the TLS certificates could not be made (above)"
    say "TLS: a CA and $hosts silo certificate(s) and a client one in $dir"
}

# Starts host $1's silo with the command line saved in STATE/silo-h$1.cmd, its output appended to its log.
launch_silo() {
    local i=$1 secret=$2 log="$STATE/silo-h$1.log"
    local -a cmd
    mapfile -d '' -t cmd <"$STATE/silo-h$i.cmd"
    echo "# $(date -Is) ip netns exec $NS_PREFIX$i ${cmd[*]}" >>"$log"
    # Not a process-group leader here, so setsid execs in place and $! is the silo's own pid.
    BLITZSCALE_CLUSTER_SECRET="$secret" setsid ip netns exec "$NS_PREFIX$i" "${cmd[@]}" >>"$log" 2>&1 </dev/null &
    echo $! >"$STATE/silo-h$i.pid"
}

# Host $1's cores when each host has $2 of the machine's $3: (i-1)·C .. i·C-1 modulo the cores, as a taskset list.
host_cores() {
    awk -v i="$1" -v c="$2" -v n="$3" 'BEGIN { for (k = 0; k < c; k++) printf "%s%d", (k ? "," : ""), ((i - 1) * c + k) % n }'
}

# tbf burst in bytes: 2 ms at the rate, at least 128 KiB (two 64 KiB GSO packets).
tbf_burst_bytes() {
    awk -v m="$1" 'BEGIN { b = m * 1e6 / 8 * 0.002; if (b < 131072) b = 131072; printf "%d", b }'
}

start_redis() {
    local port=$1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then die "up: something already listens on 127.0.0.1:$port (pick --redis-port)"; fi
    setsid redis-server --bind "$BRIDGE_ADDR 127.0.0.1" --port "$port" --save "" --appendonly no \
        --protected-mode no --daemonize no >"$STATE/redis.log" 2>&1 </dev/null &
    echo $! >"$STATE/redis.pid"
    local _
    for _ in $(seq 1 100); do
        grep -q "Ready to accept connections" "$STATE/redis.log" 2>/dev/null && { say "redis on $BRIDGE_ADDR:$port and 127.0.0.1:$port"; return 0; }
        pid_alive "$(cat "$STATE/redis.pid")" || break
        sleep 0.1
    done
    die "up: redis-server did not start; see $STATE/redis.log"
}

wait_for_silos() {
    local hosts=$1 timeout=$2 deadline i pending
    deadline=$(( $(date +%s) + timeout ))
    while :; do
        pending=""
        for i in $(seq 1 "$hosts"); do
            local log="$STATE/silo-h$i.log"
            if grep -q "BlitzScale silo for host h$i:" "$log" 2>/dev/null; then continue; fi
            pid_alive "$(cat "$STATE/silo-h$i.pid")" || die "up: silo h$i exited before it was ready; see $log:
$(tail -n 15 "$log" | sed 's/^/    /')"
            pending="$pending h$i"
        done
        [ -n "$pending" ] || { say "all $hosts silos ready"; return 0; }
        if [ "$(date +%s)" -ge "$deadline" ]; then
            die "up: silo(s)$pending not ready after ${timeout}s (no \"BlitzScale silo for host\" line); see $STATE/silo-h${pending# h}.log (and the others) — last lines:
$(tail -n 15 "$STATE/silo-h${pending# h}.log" | sed 's/^/    /')"
        fi
        sleep 0.25
    done
}

# ---- down -------------------------------------------------------------------------------------------------------
cmd_down() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --state) STATE=${2:?--state needs a value}; shift 2 ;;
            *) die "down: unknown option $1" ;;
        esac
    done
    require_root_and_tools
    teardown
    say "down: nothing of the testbed is left (logs kept in $STATE)"
}

# Removes everything `up` makes; safe to run twice or after a partial `up`.
teardown() {
    set +e
    load_env
    local f
    for f in "$STATE"/silo-h*.pid; do [ -e "$f" ] && stop_pidfile "$f" " silo "; done
    # Anything else still running inside our namespaces (an `exec` left behind, a silo whose pid file was lost):
    # those processes were put there through this script, and a namespace cannot be deleted from under them.
    local ns pids
    for ns in $(our_namespaces); do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        if [ -n "$pids" ]; then
            kill -TERM $pids 2>/dev/null
            for _ in $(seq 1 50); do pids=$(ip netns pids "$ns" 2>/dev/null); [ -z "$pids" ] && break; sleep 0.1; done
            [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
        fi
    done
    stop_pidfile "$STATE/redis.pid" "redis-server"
    for ns in $(our_namespaces); do
        ip netns del "$ns" 2>/dev/null    # takes its end of the veth (eth0) and eth0's qdisc with it
    done
    local link
    for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^${VETH_PREFIX}[0-9]+$"); do
        ip link del "$link" 2>/dev/null   # deleting one end of a veth pair deletes both, and its qdisc
    done
    ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
    set -e
    return 0
}

# Namespaces named like ours (blitz-h<digits>): only this script creates them.
our_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${NS_PREFIX}[0-9]+$" || true; }

# ---- status / exec ----------------------------------------------------------------------------------------------
cmd_status() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --state) STATE=${2:?--state needs a value}; shift 2 ;;
            *) die "status: unknown option $1" ;;
        esac
    done
    require_root_and_tools
    load_env
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then echo "testbed: down"; return 0; fi
    echo "testbed: up; state $STATE; ${HOSTS:-?} hosts at ${LINK_MBIT:-?} Mbit/s; redis ${REDIS:-none}; cluster id ${CLUSTER_ID:-?}"
    local rpid
    rpid=$(cat "$STATE/redis.pid" 2>/dev/null || true)
    if [ -n "$rpid" ]; then echo "redis: pid $rpid $(pid_alive "$rpid" && echo running || echo STOPPED)"; fi
    local ns i pid addr rate
    for ns in $(our_namespaces | sort -V); do
        i=${ns#"$NS_PREFIX"}
        addr=$(ip -n "$ns" -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}')
        rate=$(ip netns exec "$ns" tc qdisc show dev eth0 2>/dev/null | grep -o 'rate [^ ]*' | head -1)
        pid=$(cat "$STATE/silo-h$i.pid" 2>/dev/null || true)
        printf '%-9s %-16s egress %-14s ingress %-14s silo %s\n' "h$i" "${addr:-?}" "${rate:-unshaped}" \
            "$(tc qdisc show dev "$VETH_PREFIX$i" 2>/dev/null | grep -o 'rate [^ ]*' | head -1)" \
            "$( [ -z "$pid" ] && echo none || { pid_alive "$pid" && echo "pid $pid running" || echo "pid $pid STOPPED (see $STATE/silo-h$i.log)"; })"
    done
}

cmd_exec() {
    [ $# -ge 2 ] || die "exec: usage: $0 exec hI CMD [ARGS...]"
    local host=$1; shift
    [[ "$host" =~ ^h[0-9]+$ ]] || die "exec: expected a host name like h1, got '$host'"
    require_root_and_tools
    ip netns list | awk '{print $1}' | grep -qx "$NS_PREFIX${host#h}" || die "exec: no namespace $NS_PREFIX${host#h} (is the testbed up?)"
    if [ -f "$STATE/secret" ]; then BLITZSCALE_CLUSTER_SECRET=$(cat "$STATE/secret"); export BLITZSCALE_CLUSTER_SECRET; fi
    exec ip netns exec "$NS_PREFIX${host#h}" "$@"
}

# ---- faults: kill / start / shape ------------------------------------------------------------------------------
# The host index of "hI" after checking that the testbed holds it; the remaining options (--state, --timeout) are parsed by the caller.
host_index() {
    local verb=$1 host=$2
    [[ "$host" =~ ^h[0-9]+$ ]] || die "$verb: expected a host name like h1, got '$host'"
    ip netns list | awk '{print $1}' | grep -qx "$NS_PREFIX${host#h}" || die "$verb: no namespace $NS_PREFIX${host#h} (is the testbed up?)"
    echo "${host#h}"
}

cmd_kill() {
    [ $# -ge 1 ] || die "kill: usage: $0 kill hI [--state DIR]"
    local host=$1; shift
    while [ $# -gt 0 ]; do
        case "$1" in
            --state) STATE=${2:?--state needs a value}; shift 2 ;;
            *) die "kill: unknown option $1" ;;
        esac
    done
    require_root_and_tools
    local i pid
    i=$(host_index kill "$host")
    pid=$(cat "$STATE/silo-h$i.pid" 2>/dev/null || true)
    pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- " silo " || die "kill: h$i has no running silo (pid file $STATE/silo-h$i.pid: '${pid}')"
    kill -KILL "$pid"
    for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
    pid_alive "$pid" && die "kill: silo h$i (pid $pid) is still alive 5 s after SIGKILL"
    echo "# $(date -Is) killed (SIGKILL) by testbed.sh kill" >>"$STATE/silo-h$i.log"
    rm -f "$STATE/silo-h$i.pid"
    say "kill: silo h$i (pid $pid) killed"
}

cmd_start() {
    [ $# -ge 1 ] || die "start: usage: $0 start hI [--state DIR] [--timeout S]"
    local host=$1 timeout=120; shift
    while [ $# -gt 0 ]; do
        case "$1" in
            --state) STATE=${2:?--state needs a value}; shift 2 ;;
            --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
            *) die "start: unknown option $1" ;;
        esac
    done
    [[ "$timeout" =~ ^[0-9]+$ ]] || die "start: --timeout must be whole seconds, got '$timeout'"
    require_root_and_tools
    local i pid log before deadline
    i=$(host_index start "$host")
    log="$STATE/silo-h$i.log"
    [ -f "$STATE/silo-h$i.cmd" ] || die "start: no $STATE/silo-h$i.cmd (was the testbed brought up with its silos by this script?)"
    pid=$(cat "$STATE/silo-h$i.pid" 2>/dev/null || true)
    pid_alive "$pid" && die "start: silo h$i is already running (pid $pid)"
    before=$(grep -c "BlitzScale silo for host h$i:" "$log" 2>/dev/null || true)
    launch_silo "$i" "$(cat "$STATE/secret")"
    deadline=$(( $(date +%s) + timeout ))
    while [ "$(grep -c "BlitzScale silo for host h$i:" "$log" 2>/dev/null || true)" -le "${before:-0}" ]; do
        pid_alive "$(cat "$STATE/silo-h$i.pid")" || die "start: silo h$i exited before it was ready; see $log:
$(tail -n 15 "$log" | sed 's/^/    /')"
        [ "$(date +%s)" -lt "$deadline" ] || die "start: silo h$i not ready after ${timeout}s; see $log"
        sleep 0.25
    done
    say "start: silo h$i running again (pid $(cat "$STATE/silo-h$i.pid"))"
}

cmd_shape() {
    [ $# -ge 2 ] || die "shape: usage: $0 shape hI MBIT|restore [--state DIR]"
    local host=$1 mbit=$2; shift 2
    while [ $# -gt 0 ]; do
        case "$1" in
            --state) STATE=${2:?--state needs a value}; shift 2 ;;
            *) die "shape: unknown option $1" ;;
        esac
    done
    require_root_and_tools
    load_env
    local i burst
    i=$(host_index shape "$host")
    if [ "$mbit" = restore ]; then
        mbit=$LINK_MBIT
        [ -n "$mbit" ] || die "shape: restore: no LINK_MBIT in $STATE/env"
    fi
    [[ "$mbit" =~ ^[0-9]+$ ]] && [ "$mbit" -ge 1 ] || die "shape: MBIT must be a positive whole number of Mbit/s or 'restore', got '$mbit'"
    burst=$(tbf_burst_bytes "$mbit")
    ip netns exec "$NS_PREFIX$i" tc qdisc change dev eth0 root tbf rate "${mbit}mbit" burst "$burst" latency 20ms
    tc qdisc change dev "$VETH_PREFIX$i" root tbf rate "${mbit}mbit" burst "$burst" latency 20ms
    say "shape: h$i at $mbit Mbit/s each way (tbf, burst $burst B)"
}

main() {
    local command=${1:-help}
    [ $# -eq 0 ] || shift
    case "$command" in
        up) cmd_up "$@" ;;
        down) cmd_down "$@" ;;
        status) cmd_status "$@" ;;
        exec) cmd_exec "$@" ;;
        kill) cmd_kill "$@" ;;
        start) cmd_start "$@" ;;
        shape) cmd_shape "$@" ;;
        help|-h|--help) usage ;;
        *) usage >&2; die "unknown command '$command'" ;;
    esac
}

main "$@"
