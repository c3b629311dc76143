// The lazy loader behind weft_tls.h.
#include "weft_tls.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

struct weft_openssl_api weft_openssl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char error[512];

static void load(void) {
    // RTLD_LOCAL: the symbols serve only this table (a host app may have its own
    // OpenSSL); libcrypto comes in as libssl's dependency, and dlsym on libssl's
    // handle searches it too.
    void *lib = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(error, sizeof error, "cannot load OpenSSL 3 (libssl.so.3): %s", why ? why : "not found");
        return;
    }
    void *p;
#define WEFT_OPENSSL_LOOKUP(name) \
    p = dlsym(lib, #name); \
    if (!p) { snprintf(error, sizeof error, "libssl.so.3 has no %s (OpenSSL 3 is needed)", #name); return; } \
    weft_openssl.name = (__typeof__(weft_openssl.name))p;
    WEFT_OPENSSL_FUNCTIONS(WEFT_OPENSSL_LOOKUP)
#undef WEFT_OPENSSL_LOOKUP
    loaded = 1;   // the library stays loaded for the life of the process
}

int weft_openssl_load(void) {
    pthread_once(&once, load);
    return loaded;
}

const char *weft_openssl_error(void) { return error; }

// The macros below expand to calls of these names; route them through the table.
#define SSL_CTX_ctrl (*weft_openssl.SSL_CTX_ctrl)
#define SSL_CTX_set_options (*weft_openssl.SSL_CTX_set_options)
#define SSL_ctrl (*weft_openssl.SSL_ctrl)
#define BIO_ctrl (*weft_openssl.BIO_ctrl)
#define BIO_ctrl_pending (*weft_openssl.BIO_ctrl_pending)

int weft_ssl_ctx_set_min_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

void weft_ssl_ctx_set_client_options(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
}

int weft_ssl_set_sni(SSL *ssl, const char *host) {
    return (int)SSL_set_tlsext_host_name(ssl, host);
}

long weft_bio_set_mem_eof_return(BIO *bio, int v) {
    return BIO_set_mem_eof_return(bio, v);
}

size_t weft_bio_pending(BIO *bio) {
    return BIO_ctrl_pending(bio);
}
