#pragma once
// Owners of the mbedTLS contexts hub/pki uses. Each is init'ed on
// construction and freed on destruction; none is copyable or movable, so a
// raw pointer handed to mbedTLS stays valid for the owner's lifetime.
#include <mbedtls/bignum.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

namespace drover::pki {

template <class T, void (*Init)(T*), void (*Free)(T*)>
class MbedtlsHandle {
public:
    MbedtlsHandle() { Init(&ctx_); }
    ~MbedtlsHandle() { Free(&ctx_); }
    MbedtlsHandle(const MbedtlsHandle&) = delete;
    MbedtlsHandle& operator=(const MbedtlsHandle&) = delete;

    T* get() { return &ctx_; }
    const T* get() const { return &ctx_; }
    T* operator->() { return &ctx_; }
    const T* operator->() const { return &ctx_; }

private:
    T ctx_;
};

using PkContext = MbedtlsHandle<mbedtls_pk_context, mbedtls_pk_init, mbedtls_pk_free>;
using Certificate = MbedtlsHandle<mbedtls_x509_crt, mbedtls_x509_crt_init, mbedtls_x509_crt_free>;
using CertificateWriter =
    MbedtlsHandle<mbedtls_x509write_cert, mbedtls_x509write_crt_init, mbedtls_x509write_crt_free>;
using BigNumber = MbedtlsHandle<mbedtls_mpi, mbedtls_mpi_init, mbedtls_mpi_free>;

}  // namespace drover::pki
