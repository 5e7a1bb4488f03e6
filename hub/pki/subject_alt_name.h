#pragma once
// The subjectAltName extension (RFC 5280 4.2.1.6). mbedTLS 2.28 can parse it
// but not write it, so its DER is built here: GeneralNames ::= SEQUENCE OF
// GeneralName, of which drover writes dNSName [2] IA5String and iPAddress [7]
// OCTET STRING (4 bytes for IPv4, 16 for IPv6).
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace drover::pki {

struct AltName {
    enum class Kind { dns, ip };
    Kind kind;
    // dns: the lower-cased name; ip: the 4 or 16 address bytes.
    std::string value;
    // As a person writes it: "localhost", "127.0.0.1", "::1".
    std::string text;
};

// Classifies one operator-given host: an IPv4 or IPv6 literal ("[::1]" is
// accepted too) or a DNS name of letters, digits and hyphens, 1-63 characters
// per label and at most 253 in all; the first label may be "*". Anything else
// (URLs, ports, zone ids, underscores, an all-numeric last label) is an error
// naming the input.
Result<AltName> parse_alt_name(std::string_view host);

// Parses each host and drops repeats (same kind and value), keeping the first
// occurrence's order. At most kMaxAltNames names.
constexpr size_t kMaxAltNames = 64;
Result<std::vector<AltName>> parse_alt_names(const std::vector<std::string>& hosts);

// The DER value of the extension (the GeneralNames SEQUENCE), for
// mbedtls_x509write_crt_set_extension(MBEDTLS_OID_SUBJECT_ALT_NAME).
// Refuses an empty list: an empty GeneralNames is invalid DER for RFC 5280.
Result<std::string> encode_subject_alt_name(const std::vector<AltName>& names);

}  // namespace drover::pki
