#!/usr/bin/env bash
# certificates.sh DIR CA_CN NAME=SAN [NAME=SAN ...] — a cluster CA and one certificate per NAME signed by it, for mutual
# TLS (ECDSA P-256, valid one day, serverAuth and clientAuth, subject alternative names SAN as openssl writes them, e.g.
# IP:10.222.0.1,IP:127.0.0.1): DIR/ca.pem, DIR/ca.key, DIR/NAME.pem, DIR/NAME.key. Used by testbed.sh up --tls and
# tools/tls-cost.sh; docs/security.md shows the same steps.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 DIR CA_CN NAME=SAN [NAME=SAN ...]" >&2; exit 2; }
dir=$1 ca=$2
shift 2
fail() { echo "certificates.sh: $*" >&2; exit 1; }
command -v openssl >/dev/null 2>&1 || fail "openssl is missing: apt-get install -y openssl"
mkdir -p "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 1 \
    -subj "/CN=$ca" >/dev/null 2>&1 || fail "openssl could not make the CA $ca in $dir"
for spec in "$@"; do
    name=${spec%%=*} san=${spec#*=}
    [ -n "$name" ] && [ "$san" != "$spec" ] || fail "expected NAME=SAN, got '$spec'"
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' "$san" >"$dir/$name.ext"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/CN=$name" >/dev/null 2>&1 \
        && openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 1 \
            -out "$dir/$name.pem" -extfile "$dir/$name.ext" >/dev/null 2>&1 \
        || fail "openssl could not make the certificate of $name in $dir"
    rm -f "$dir/$name.csr" "$dir/$name.ext"
done
