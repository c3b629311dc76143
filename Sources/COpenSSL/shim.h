// The system OpenSSL (3.x; the libssl-dev package) for `https://` in the `http`
// module (Sources/Weft/Modules/TLSClient.swift) and the TLS test server, imported
// into Swift as the system-library module COpenSSL. The static inline helpers wrap
// what OpenSSL defines as macros, which Swift cannot import.
#ifndef WEFT_COPENSSL_SHIM_H
#define WEFT_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/bio.h>

static inline int weft_ssl_ctx_set_min_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

/// No error for a peer that closes without close_notify (the HTTP framing —
/// Content-Length, chunked — detects truncation), and no renegotiation.
static inline void weft_ssl_ctx_set_client_options(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
}

static inline int weft_ssl_set_sni(SSL *ssl, const char *host) {
    return (int)SSL_set_tlsext_host_name(ssl, host);
}

static inline long weft_bio_set_mem_eof_return(BIO *bio, int v) {
    return BIO_set_mem_eof_return(bio, v);
}

static inline size_t weft_bio_pending(BIO *bio) {
    return BIO_ctrl_pending(bio);
}

static inline int weft_ssl_ctx_use_pem_chain_and_key(SSL_CTX *ctx, const char *cert, const char *key) {
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) return 0;
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) return 0;
    return SSL_CTX_check_private_key(ctx);
}

#endif
