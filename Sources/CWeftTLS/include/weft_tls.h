// OpenSSL 3 for `https://` in the http module (Sources/Weft/Modules/TLSClient.swift),
// loaded with dlopen the first time a process makes an https request instead of
// being linked: libssl and libcrypto cost every process about 1.7 MiB of resident
// memory at start-up (docs/vm.md §8) though few scripts use https. The OpenSSL
// headers (libssl-dev) still give the types, constants and prototypes; the
// functions are called through `weft_openssl`, a table of pointers whose types
// are taken from those prototypes (so a wrong signature cannot compile).
#ifndef WEFT_TLS_H
#define WEFT_TLS_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/bio.h>

/// Every OpenSSL function TLSClient.swift calls (X-macro: the table's fields and
/// the loader's list of names to look up).
#define WEFT_OPENSSL_FUNCTIONS(X) \
    X(TLS_client_method) X(SSL_CTX_new) X(SSL_CTX_free) X(SSL_CTX_ctrl) \
    X(SSL_CTX_set_options) X(SSL_CTX_set_default_verify_paths) X(SSL_CTX_set_verify) \
    X(SSL_new) X(SSL_free) X(SSL_ctrl) X(SSL_set_bio) X(SSL_set_connect_state) \
    X(SSL_connect) X(SSL_read) X(SSL_write) X(SSL_shutdown) X(SSL_get_error) \
    X(SSL_get_verify_result) X(SSL_set1_host) X(SSL_set_hostflags) X(SSL_get0_param) \
    X(SSL_set_alpn_protos) X(X509_VERIFY_PARAM_set1_ip_asc) \
    X(X509_verify_cert_error_string) X(BIO_new) X(BIO_s_mem) X(BIO_free) X(BIO_read) \
    X(BIO_write) X(BIO_ctrl) X(BIO_ctrl_pending) X(ERR_get_error) X(ERR_clear_error) \
    X(ERR_reason_error_string) X(ERR_error_string_n)

#define WEFT_OPENSSL_FIELD(name) __typeof__(&name) _Nonnull name;
struct weft_openssl_api {
    WEFT_OPENSSL_FUNCTIONS(WEFT_OPENSSL_FIELD)
};
#undef WEFT_OPENSSL_FIELD

/// The functions; valid only after `weft_openssl_load` returned 1.
extern struct weft_openssl_api weft_openssl;

/// Loads libssl.so.3 (and with it libcrypto.so.3) and looks up every function, once
/// per process (later calls return the first outcome). 1 on success; 0 when the
/// library or a function is missing, with the reason in `weft_openssl_error()`.
int weft_openssl_load(void);
const char *_Nonnull weft_openssl_error(void);

// What OpenSSL defines as macros (which Swift cannot import), through the table.
int weft_ssl_ctx_set_min_tls12(SSL_CTX *_Nonnull ctx);
/// No error for a peer that closes without close_notify (the HTTP framing —
/// Content-Length, chunked — detects truncation), and no renegotiation.
void weft_ssl_ctx_set_client_options(SSL_CTX *_Nonnull ctx);
int weft_ssl_set_sni(SSL *_Nonnull ssl, const char *_Nonnull host);
long weft_bio_set_mem_eof_return(BIO *_Nonnull bio, int v);
size_t weft_bio_pending(BIO *_Nonnull bio);

#endif
