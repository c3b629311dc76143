#!/usr/bin/env bash
# Regenerates the TLS test fixtures (see README.md). Needs the openssl CLI.
set -euo pipefail
cd "$(dirname "$0")"
days=36500
# The test CA.
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days $days \
  -subj "/CN=Weft Test CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"
# server.pem: localhost and 127.0.0.1 (and ::1), signed by the test CA.
# wronghost.pem: only wrong.example.invalid, signed by the same CA.
for name in server wronghost; do
  if [[ $name == server ]]; then
    san="DNS:localhost,IP:127.0.0.1,IP:::1"; cn=localhost
  else
    san="DNS:wrong.example.invalid"; cn=wrong.example.invalid
  fi
  openssl req -newkey rsa:2048 -nodes -keyout $name.key -out $name.csr -subj "/CN=$cn"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
    "$san" >$name.ext
  openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $name.pem \
    -days $days -extfile $name.ext
  rm -f $name.csr $name.ext
done
rm -f ca.srl
