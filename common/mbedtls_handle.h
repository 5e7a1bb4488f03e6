#pragma once
// Owner of one mbedTLS context: init'ed on construction, freed on
// destruction; neither copyable nor movable, so a raw pointer handed to
// mbedTLS stays valid for the owner's lifetime.
#include <mbedtls/pk.h>

namespace drover {

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

}  // namespace drover
