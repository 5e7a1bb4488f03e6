#pragma once
// The mbedTLS contexts hub/pki uses, each in an owner (common/mbedtls_handle.h).
#include <mbedtls/bignum.h>
#include <mbedtls/x509_crt.h>

#include "common/mbedtls_handle.h"

namespace drover::pki {

using drover::PkContext;
using Certificate = MbedtlsHandle<mbedtls_x509_crt, mbedtls_x509_crt_init, mbedtls_x509_crt_free>;
using CertificateWriter =
    MbedtlsHandle<mbedtls_x509write_cert, mbedtls_x509write_crt_init, mbedtls_x509write_crt_free>;
using BigNumber = MbedtlsHandle<mbedtls_mpi, mbedtls_mpi_init, mbedtls_mpi_free>;

}  // namespace drover::pki
