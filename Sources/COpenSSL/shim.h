// The system OpenSSL (3.x; the libssl-dev package), linked, for the tests' TLS
// server (Tests/WeftTests/TLSTestServer.swift), imported into Swift as the
// system-library module COpenSSL. (The library itself loads OpenSSL on first use:
// Sources/CWeftTLS.) The static inline helper wraps what the server needs in one call.
#ifndef WEFT_COPENSSL_SHIM_H
#define WEFT_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/bio.h>

static inline int weft_ssl_ctx_use_pem_chain_and_key(SSL_CTX *ctx, const char *cert, const char *key) {
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) return 0;
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) return 0;
    return SSL_CTX_check_private_key(ctx);
}

#endif
