/* libcrypto, loaded the first time libmcp needs it instead of at program start. Mapping and
 * relocating it costs a stdio server 0.6 ms and 120 page faults at start, a third of its cold
 * start, yet only authentication, the audit log, signed request state and base64 (cursors,
 * blobs, task ids) use it. The callers use the usual OpenSSL names; the macros below route
 * them through the table, which the first call fills.
 *
 * libcrypto is a dependency of the package, so failing to load it is a broken installation:
 * before this the dynamic linker refused to start the program; now the first call that needs
 * it prints the reason and aborts. */
#ifndef MCP_CRYPTO_INT_H
#define MCP_CRYPTO_INT_H

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>

#define MCP__CRYPTO_FUNCTIONS(X)                                                                   \
    X(BN_bin2bn)                                                                                   \
    X(BN_free)                                                                                     \
    X(CRYPTO_free)                                                                                 \
    X(CRYPTO_memcmp)                                                                               \
    X(ECDSA_SIG_free)                                                                              \
    X(ECDSA_SIG_new)                                                                               \
    X(ECDSA_SIG_set0)                                                                              \
    X(EVP_DecodeBlock)                                                                             \
    X(EVP_Digest)                                                                                  \
    X(EVP_DigestFinal_ex)                                                                          \
    X(EVP_DigestInit_ex)                                                                           \
    X(EVP_DigestUpdate)                                                                            \
    X(EVP_DigestVerify)                                                                            \
    X(EVP_DigestVerifyInit_ex)                                                                     \
    X(EVP_EncodeBlock)                                                                             \
    X(EVP_MD_CTX_free)                                                                             \
    X(EVP_MD_CTX_new)                                                                              \
    X(EVP_PKEY_CTX_free)                                                                           \
    X(EVP_PKEY_CTX_new_from_name)                                                                  \
    X(EVP_PKEY_CTX_new_from_pkey)                                                                  \
    X(EVP_PKEY_free)                                                                               \
    X(EVP_PKEY_fromdata)                                                                           \
    X(EVP_PKEY_fromdata_init)                                                                      \
    X(EVP_PKEY_get_bits)                                                                           \
    X(EVP_PKEY_public_check)                                                                       \
    X(EVP_sha256)                                                                                  \
    X(HMAC)                                                                                        \
    X(OSSL_PARAM_BLD_free)                                                                         \
    X(OSSL_PARAM_BLD_new)                                                                          \
    X(OSSL_PARAM_BLD_push_BN)                                                                      \
    X(OSSL_PARAM_BLD_to_param)                                                                     \
    X(OSSL_PARAM_construct_end)                                                                    \
    X(OSSL_PARAM_construct_octet_string)                                                           \
    X(OSSL_PARAM_construct_utf8_string)                                                            \
    X(OSSL_PARAM_free)                                                                             \
    X(i2d_ECDSA_SIG)

#define MCP__CRYPTO_FIELD(name) __typeof__(name) *name;
struct mcp__crypto {
    MCP__CRYPTO_FUNCTIONS(MCP__CRYPTO_FIELD)
};
#undef MCP__CRYPTO_FIELD

/* Loads libcrypto on the first call (thread-safe) and returns its functions. */
const struct mcp__crypto *mcp__crypto(void);

/* crypto.c fills the table by these names, so it alone sees the functions themselves. */
#ifndef MCP__CRYPTO_LOADER
#define BN_bin2bn (mcp__crypto()->BN_bin2bn)
#define BN_free (mcp__crypto()->BN_free)
#define CRYPTO_free (mcp__crypto()->CRYPTO_free)
#define CRYPTO_memcmp (mcp__crypto()->CRYPTO_memcmp)
#define ECDSA_SIG_free (mcp__crypto()->ECDSA_SIG_free)
#define ECDSA_SIG_new (mcp__crypto()->ECDSA_SIG_new)
#define ECDSA_SIG_set0 (mcp__crypto()->ECDSA_SIG_set0)
#define EVP_DecodeBlock (mcp__crypto()->EVP_DecodeBlock)
#define EVP_Digest (mcp__crypto()->EVP_Digest)
#define EVP_DigestFinal_ex (mcp__crypto()->EVP_DigestFinal_ex)
#define EVP_DigestInit_ex (mcp__crypto()->EVP_DigestInit_ex)
#define EVP_DigestUpdate (mcp__crypto()->EVP_DigestUpdate)
#define EVP_DigestVerify (mcp__crypto()->EVP_DigestVerify)
#define EVP_DigestVerifyInit_ex (mcp__crypto()->EVP_DigestVerifyInit_ex)
#define EVP_EncodeBlock (mcp__crypto()->EVP_EncodeBlock)
#define EVP_MD_CTX_free (mcp__crypto()->EVP_MD_CTX_free)
#define EVP_MD_CTX_new (mcp__crypto()->EVP_MD_CTX_new)
#define EVP_PKEY_CTX_free (mcp__crypto()->EVP_PKEY_CTX_free)
#define EVP_PKEY_CTX_new_from_name (mcp__crypto()->EVP_PKEY_CTX_new_from_name)
#define EVP_PKEY_CTX_new_from_pkey (mcp__crypto()->EVP_PKEY_CTX_new_from_pkey)
#define EVP_PKEY_free (mcp__crypto()->EVP_PKEY_free)
#define EVP_PKEY_fromdata (mcp__crypto()->EVP_PKEY_fromdata)
#define EVP_PKEY_fromdata_init (mcp__crypto()->EVP_PKEY_fromdata_init)
#define EVP_PKEY_get_bits (mcp__crypto()->EVP_PKEY_get_bits)
#define EVP_PKEY_public_check (mcp__crypto()->EVP_PKEY_public_check)
#define EVP_sha256 (mcp__crypto()->EVP_sha256)
#define HMAC (mcp__crypto()->HMAC)
#define OSSL_PARAM_BLD_free (mcp__crypto()->OSSL_PARAM_BLD_free)
#define OSSL_PARAM_BLD_new (mcp__crypto()->OSSL_PARAM_BLD_new)
#define OSSL_PARAM_BLD_push_BN (mcp__crypto()->OSSL_PARAM_BLD_push_BN)
#define OSSL_PARAM_BLD_to_param (mcp__crypto()->OSSL_PARAM_BLD_to_param)
#define OSSL_PARAM_construct_end (mcp__crypto()->OSSL_PARAM_construct_end)
#define OSSL_PARAM_construct_octet_string (mcp__crypto()->OSSL_PARAM_construct_octet_string)
#define OSSL_PARAM_construct_utf8_string (mcp__crypto()->OSSL_PARAM_construct_utf8_string)
#define OSSL_PARAM_free (mcp__crypto()->OSSL_PARAM_free)
#define i2d_ECDSA_SIG (mcp__crypto()->i2d_ECDSA_SIG)
#endif

#endif
