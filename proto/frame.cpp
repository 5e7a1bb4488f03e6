#include "proto/frame.h"

#include "common/text.h"

namespace drover::wire {

std::string encode(const v1::Envelope& envelope) {
    std::string out;
    envelope.SerializeToString(&out);
    return out;
}

Result<v1::Envelope> decode(std::string_view bytes, size_t max_frame) {
    if (bytes.size() > max_frame)
        return fail(cat("frame of ", bytes.size(), " bytes exceeds the limit of ", max_frame));
    v1::Envelope env;
    if (!env.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
        return fail(cat("frame of ", bytes.size(), " bytes is not a valid Envelope"));
    if (env.msg_case() == v1::Envelope::MSG_NOT_SET) return fail("frame carries no message");
    return env;
}

const char* message_name(const v1::Envelope& envelope) {
    switch (envelope.msg_case()) {
        case v1::Envelope::kHello: return "hello";
        case v1::Envelope::kWelcome: return "welcome";
        case v1::Envelope::kDesired: return "desired";
        case v1::Envelope::kFetch: return "fetch";
        case v1::Envelope::kChunk: return "chunk";
        case v1::Envelope::kStatus: return "status";
        case v1::Envelope::kAck: return "ack";
        case v1::Envelope::kClose: return "close";
        case v1::Envelope::kCredential: return "credential";
        case v1::Envelope::kCredentialStored: return "credential_stored";
        case v1::Envelope::kCertificateRequest: return "certificate_request";
        case v1::Envelope::kClientCertificate: return "client_certificate";
        case v1::Envelope::kClientCertificateStored: return "client_certificate_stored";
        case v1::Envelope::MSG_NOT_SET: break;
    }
    return "none";
}

}  // namespace drover::wire
