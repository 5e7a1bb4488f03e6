#include "hub/pki/subject_alt_name.h"

#include <arpa/inet.h>
#include <mbedtls/asn1write.h>

#include <algorithm>

#include "common/text.h"

namespace drover::pki {

static bool dns_label_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool valid_dns_name(const std::string& name) {
    if (name.empty() || name.size() > 253) return false;
    auto labels = split(name, '.');
    for (size_t i = 0; i < labels.size(); ++i) {
        const std::string& label = labels[i];
        if (i == 0 && label == "*" && labels.size() > 1) continue;
        if (label.empty() || label.size() > 63) return false;
        if (!std::all_of(label.begin(), label.end(), dns_label_char)) return false;
        if (label.front() == '-' || label.back() == '-') return false;
    }
    // "10.0.0" is no host name: a numeric top label means a mistyped address.
    const std::string& top = labels.back();
    return !std::all_of(top.begin(), top.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<AltName> parse_alt_name(std::string_view host) {
    std::string_view literal = host;
    if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']')
        literal = literal.substr(1, literal.size() - 2);
    std::string text(literal);

    unsigned char addr[16];
    if (inet_pton(AF_INET, text.c_str(), addr) == 1)
        return AltName{AltName::Kind::ip, std::string(reinterpret_cast<char*>(addr), 4), text};
    if (inet_pton(AF_INET6, text.c_str(), addr) == 1)
        return AltName{AltName::Kind::ip, std::string(reinterpret_cast<char*>(addr), 16), text};

    std::string lower(host);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
    if (!valid_dns_name(lower))
        return fail(cat("hostname ", quoted(host), ": not a DNS name or an IPv4/IPv6 address"));
    return AltName{AltName::Kind::dns, lower, lower};
}

Result<std::vector<AltName>> parse_alt_names(const std::vector<std::string>& hosts) {
    std::vector<AltName> out;
    for (const auto& host : hosts) {
        auto name = parse_alt_name(host);
        if (!name) return std::unexpected(name.error());
        bool seen = std::any_of(out.begin(), out.end(), [&name](const AltName& n) {
            return n.kind == name->kind && n.value == name->value;
        });
        if (!seen) out.push_back(std::move(*name));
    }
    if (out.size() > kMaxAltNames)
        return fail(cat("too many hostnames: ", out.size(), " (at most ", kMaxAltNames, ")"));
    return out;
}

// Writes backwards from *p, as mbedTLS's ASN.1 writer does. Returns the
// number of bytes written or a negative mbedTLS error.
static int write_general_names(unsigned char** p, unsigned char* start, const std::vector<AltName>& names) {
    int ret = 0;
    size_t len = 0;
    for (auto it = names.rbegin(); it != names.rend(); ++it) {
        size_t item = 0;
        MBEDTLS_ASN1_CHK_ADD(item, mbedtls_asn1_write_raw_buffer(
                                       p, start, reinterpret_cast<const unsigned char*>(it->value.data()),
                                       it->value.size()));
        MBEDTLS_ASN1_CHK_ADD(item, mbedtls_asn1_write_len(p, start, item));
        // Both are primitive [n] IMPLICIT tags: IA5String and OCTET STRING
        // keep their content and take the context tag.
        unsigned char tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | (it->kind == AltName::Kind::dns ? 2 : 7);
        MBEDTLS_ASN1_CHK_ADD(item, mbedtls_asn1_write_tag(p, start, tag));
        len += item;
    }
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, len));
    MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
    return static_cast<int>(len);
}

Result<std::string> encode_subject_alt_name(const std::vector<AltName>& names) {
    if (names.empty()) return fail("subjectAltName needs at least one name");
    size_t capacity = 16;  // outer SEQUENCE tag and length
    for (const auto& n : names) capacity += n.value.size() + 4;
    std::vector<unsigned char> buf(capacity);
    unsigned char* p = buf.data() + buf.size();
    int len = write_general_names(&p, buf.data(), names);
    if (len < 0) return fail(cat("subjectAltName: cannot encode (mbedtls error ", len, ")"));
    return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
}

}  // namespace drover::pki
